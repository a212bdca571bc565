"""The regression corpus (scenarios/corpus/): every file replays to its recorded verdict
under every variant, covers every scenario and variant that has a counterexample, is
already minimal, and is regenerated deterministically."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import unpack_race
from unpack_race.model.variants import SHIPPED, registered
from unpack_race.scenarios.api.replaying import follow_under_every_variant
from unpack_race.scenarios.registry import SCENARIOS, scenario
from unpack_race.scenarios.regression_corpus import (
    CORPUS,
    SUFFIX,
    Case,
    cases,
    generate,
)
from unpack_race.scheduler.explore import PASS, VIOLATION
from unpack_race.scheduler.follow import follow_schedule
from unpack_race.scheduler.minimize import minimize
from unpack_race.scheduler.schedule import Schedule

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(CORPUS.glob(f"*{SUFFIX}"))
#: variants registered from files (UNPACK_RACE_VARIANT_FILES, tests/conftest.py): the shipped
#: corpus records the shipped variants only, so these are left out of its comparisons
EXTRA = {v.name for v in registered()} - {v.name for v in SHIPPED}


def test_the_corpus_is_shipped_and_not_empty():
    # the package in use (installed, or this checkout) ships the checkout's corpus, file for file
    checkout = sorted((ROOT / "scenarios" / "corpus").glob(f"*{SUFFIX}"))
    assert [p.name for p in FILES] == [p.name for p in checkout]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(FILES, checkout))
    assert len(FILES) >= 3


def test_every_scenario_and_variant_with_a_counterexample_has_a_corpus_file():
    wanted = {c.filename for c in cases() if not c.tag}
    missing = sorted(wanted - {p.name for p in FILES})
    assert not missing, f"missing corpus files {missing}; run `unpack-race corpus --out scenarios/corpus`"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_corpus_file_replays_to_its_recorded_verdict_under_each_variant(path):
    schedule = Schedule.load(path)
    sc = scenario(schedule.scenario)
    expect = schedule.extensions["expect"]
    assert set(expect) == set(sc.variants) - EXTRA
    results = follow_under_every_variant(schedule, sc, sc.resolve(schedule.params))
    assert {r.variant: r.verdict for r in results if r.variant not in EXTRA} == {
        v: {"verdict": e["verdict"], "property": e.get("property")} for v, e in expect.items()
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_corpus_file_violates_under_its_own_variant_strictly_and_no_fixed_variant_violates(path):
    schedule = Schedule.load(path)
    sc = scenario(schedule.scenario)
    params = sc.resolve(schedule.params)
    built = sc.build(schedule.variant, params)
    run = follow_schedule(built.program, schedule.steps, built.properties)
    assert run.exact and run.violation is not None
    wanted = sc.expected(schedule.variant, params).property  # None: any property (Expectation)
    assert wanted is None or run.violation.property == wanted
    assert run.violation.step_index == len(schedule.steps) - 1
    for variant in sc.variants:
        if sc.expected(variant, params).verdict == PASS and variant not in EXTRA:
            assert schedule.extensions["expect"][variant]["verdict"] == PASS.value


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_corpus_file_is_already_minimal(path):
    schedule = Schedule.load(path)
    sc = scenario(schedule.scenario)
    built = sc.build(schedule.variant, sc.resolve(schedule.params))
    result = minimize(built.program, built.properties, schedule.steps)
    assert not result.improved and result.steps == schedule.steps


def test_corpus_file_names_say_scenario_variant_and_case():
    for path in FILES:
        schedule = Schedule.load(path)
        assert path.name.startswith(f"{schedule.scenario}.{schedule.variant}.")
        assert schedule.scenario in SCENARIOS


def test_generating_a_case_is_deterministic_in_one_process_and_across_hash_seeds():
    case = Case("retry-after-cancel", "stat-early-return", {})
    first = generate(case).dumps()
    assert generate(case).dumps() == first
    code = (
        "from unpack_race.scenarios.regression_corpus import Case, generate; import sys; "
        "from unpack_race.scenarios.variant_files import from_environment, register_files; "
        "register_files(from_environment()); "
        "sys.stdout.write(generate(Case('retry-after-cancel', 'stat-early-return', {})).dumps())"
    )
    for seed in ("0", "12345"):
        path = os.pathsep.join([str(Path(unpack_race.__file__).parent.parent), str(ROOT)])  # this process's package
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": path}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == first


def test_the_generated_case_agrees_with_the_shipped_file_on_steps_and_verdicts():
    case = Case("retry-after-cancel", "stat-early-return", {})
    shipped = Schedule.load(CORPUS / case.filename)
    fresh = generate(case)
    assert fresh.steps == shipped.steps
    fresh_expect = {k: e for k, e in fresh.extensions["expect"].items() if k not in EXTRA}
    assert fresh_expect == shipped.extensions["expect"]
    assert shipped.extensions["expect"]["stat-early-return"] == {"verdict": VIOLATION.value, "property": "no-missing-parent"}
