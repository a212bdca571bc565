"""docs/findings/ keeps its promises: every schedule a finding names exists, replays step
for step, and violates under the variant it was recorded for; every scenario a finding
tells you to compare is registered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from unpack_race.scenarios import api
from unpack_race.scenarios.registry import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
FINDINGS = sorted((ROOT / "docs" / "findings").glob("*.md"))
NAMED = sorted({(doc.name, m) for doc in FINDINGS
                for m in re.findall(r"scenarios/corpus/[\w.-]+\.schedule\.json", doc.read_text())})


def test_there_is_a_finding_and_it_names_its_schedules():
    assert FINDINGS and NAMED


@pytest.mark.parametrize("doc, path", NAMED, ids=[p for _, p in NAMED])
def test_every_schedule_a_finding_names_replays_to_its_violation(doc, path):
    replayed = api.replay(ROOT / path)
    assert replayed.violated, f"{doc}: {path} no longer violates"


@pytest.mark.parametrize("doc", FINDINGS, ids=lambda p: p.name)
def test_every_scenario_a_finding_compares_is_registered(doc):
    named = re.findall(r"compare --scenario ([a-z][a-z0-9-]+)", doc.read_text())
    assert named and set(named) <= set(SCENARIOS)
