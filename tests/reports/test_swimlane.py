"""The swimlane of the canonical 3787 counterexample: one box per step in its actor's lane,
each with the SVG id a page highlights, the failed steps filled red, the same bytes every
time; a run too long to draw is refused with a sentence saying so."""

from __future__ import annotations

import re

import attrs
import pytest
from unpack_race.reports.figures.saving import figure_bytes
from unpack_race.reports.figures.swimlane import (
    FAILED_FILL,
    MAX_STEPS,
    OK_FILL,
    TooLargeToDraw,
    step_label,
    swimlane,
)
from unpack_race.scenarios import api
from unpack_race.scenarios.regression_corpus import CORPUS

CANONICAL = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"


@pytest.fixture(scope="module")
def run():
    return api.replay(CANONICAL).result.run


def box_fill(svg: str, index: int) -> str:
    group = re.search(rf'<g id="step-{index}">(.*?)</g>', svg, re.S)
    assert group, f"no box for step {index}"
    return re.search(r"fill: (#[0-9a-f]{6})", group.group(1)).group(1)


def test_every_step_has_one_box_with_its_id(run):
    svg = figure_bytes(swimlane(run), "svg").decode()
    assert sorted(int(k) for k in re.findall(r'<g id="step-(\d+)">', svg)) == list(range(len(run.steps)))


def test_failed_steps_are_filled_red_and_the_others_not(run):
    svg = figure_bytes(swimlane(run), "svg").decode()
    prepare = len(run.steps) - 1  # the retry's Prepare T1: parent snapshot sha256:c1 does not exist
    assert "parent snapshot sha256:c1 does not exist" in str(run.steps[prepare].error)
    assert box_fill(svg, prepare) == FAILED_FILL.lower()
    first_ok = next(s.index for s in run.steps if s.ok)
    assert box_fill(svg, first_ok) == OK_FILL.lower()


def test_a_box_is_labelled_with_the_effect_and_its_first_argument(run):
    gc = next(s for s in run.steps if type(s.effect).__name__ == "GcCollect")
    assert step_label(gc).startswith("GcCollect")
    stat = next(s for s in run.steps if type(s.effect).__name__ == "Stat")
    assert step_label(stat) == "Stat sha256:c1"


def test_the_same_run_draws_the_same_bytes(run):
    marks = {11: "cancel pull-1"}
    one = figure_bytes(swimlane(run, racing=(24, 25), path=(24, 25), violating=25, marks=marks), "svg")
    two = figure_bytes(swimlane(run, racing=(24, 25), path=(24, 25), violating=25, marks=marks), "svg")
    assert one == two


def test_a_run_too_long_to_draw_is_refused_with_a_sentence(run):
    long = attrs.evolve(run, steps=run.steps * (MAX_STEPS // len(run.steps) + 1))
    with pytest.raises(TooLargeToDraw, match=r"too many to draw as a swimlane \(at most 400\)"):
        swimlane(long)
