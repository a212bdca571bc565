"""Schedule files of version 1, written before names were kebab-case (`account_bad`,
`gc_runs`, `N`), are read through the version-2 migration (scheduler/schedule.py
`kebab_case_names`): the scenario and the parameters take their new names, and the
file replays as it did.

The files in tests/scenarios/schedules-v1/ were written by unpack-race at version 1: two
from the corpus as it was (git show main:scenarios/corpus/...), and a run of lastzero
recorded with its parameter `N`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from unpack_race.scenarios.api import replay
from unpack_race.scenarios.cli import main
from unpack_race.scenarios.regression_corpus import CORPUS, Case, generate
from unpack_race.scenarios.registry import SCENARIOS, scenario
from unpack_race.scheduler.schedule import VERSION, Schedule, ScheduleError, kebab_case

V1 = Path(__file__).resolve().parent / "schedules-v1"
FILES = sorted(V1.glob("*.schedule.json"))

#: every scenario and parameter name of version 1 (`unpack-race list` before the rename),
#: with the name it has now: the history, written down, that the migration's rule must meet
RENAMED = {
    "retry-after-cancel": "retry-after-cancel", "reorder_3_bad": "reorder-3-bad", "reorder_4_bad": "reorder-4-bad",
    "reorder_5_bad": "reorder-5-bad", "twostage_bad": "twostage-bad", "wronglock_3_bad": "wronglock-3-bad",
    "account_bad": "account-bad", "deadlock01_bad": "deadlock01-bad", "lazy01_bad": "lazy01-bad",
    "carter01_bad": "carter01-bad", "token_ring_bad": "token-ring-bad", "stack_bad": "stack-bad",
    "circular_buffer_bad": "circular-buffer-bad", "lastzero": "lastzero", "indexer": "indexer",
    "filesystem": "filesystem",
}
RENAMED_PARAMS = {"layers": "layers", "gc_runs": "gc-runs", "overlap": "overlap", "gc_policy": "gc-policy",
                  "kmutex": "kmutex", "backend_cleanup": "backend-cleanup", "cancel": "cancel", "N": "n"}
#: what came after version 2, with no version-1 name (issue 10): scenarios and parameters
ADDED = {"concurrent-pulls", "commit-already-exists", "remove-image-during-pull", "rootfs-apply-layer",
         "rootfs-apply-layers", "remap-snapshot", "crash-instead-of-cancel", "lease-deleted-under-pull"}
ADDED_PARAMS = {"order", "release", "shared", "own", "downtime", "sync-gc"}


def test_the_rule_maps_every_old_name_to_its_new_one_and_leaves_every_new_name_as_it_is():
    assert {old: kebab_case(old) for old in RENAMED} == RENAMED
    assert {old: kebab_case(old) for old in RENAMED_PARAMS} == RENAMED_PARAMS
    assert set(RENAMED.values()) | ADDED == set(SCENARIOS)
    params_now = {p.name for sc in SCENARIOS.values() for p in sc.params}
    assert set(RENAMED_PARAMS.values()) | set(ADDED_PARAMS) == params_now
    assert all(kebab_case(name) == name for name in {*SCENARIOS, *params_now})


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_version_1_file_is_read_with_the_names_of_version_2(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["version"] == 1 and VERSION == 3
    schedule = Schedule.load(path)
    assert schedule.scenario == RENAMED[raw["scenario"]]
    assert dict(schedule.params) == {RENAMED_PARAMS[k]: v for k, v in raw["params"].items()}
    assert [s.to_json() for s in schedule.steps] == [{"args": {}, **s} for s in raw["steps"]]
    assert {k: v for k, v in schedule.extensions.items()} == {
        k: v for k, v in raw.items() if k not in ("format", "version", "scenario", "variant", "params", "steps")}
    assert json.loads(schedule.dumps())["version"] == 2  # no crash step: written as version 2


@pytest.mark.parametrize("path", [p for p in FILES if (CORPUS / p.name.replace("_", "-")).exists()],
                         ids=lambda p: p.name)
def test_a_migrated_corpus_file_is_the_file_the_corpus_generates_for_its_parameters_but_for_its_comment(path):
    # the corpus was regenerated since under the GC scheduler (gc-policy's default); for the
    # file's own parameters (gc-policy any, as they were) the generator gives it again
    migrated = Schedule.load(path)
    generated = generate(Case(migrated.scenario, migrated.variant, dict(migrated.params))).to_json()
    migrated = migrated.to_json()
    migrated.pop("comment"), generated.pop("comment")
    # the parameters added since (order, release) are recorded at the defaults the old file is read with
    sc = scenario(migrated["scenario"])
    assert sc.resolve(migrated.pop("params")) == sc.resolve(generated.pop("params"))
    assert migrated == generated


@pytest.mark.parametrize("path", [p for p in FILES if "expect" in json.loads(p.read_text(encoding="utf-8"))],
                         ids=lambda p: p.name)
def test_a_version_1_file_replays_to_the_verdict_it_recorded(path):
    schedule = Schedule.load(path)
    recorded = json.loads(path.read_text(encoding="utf-8"))["expect"][schedule.variant]
    replayed = replay(path)
    assert replayed.result.verdict.value == recorded["verdict"]
    assert replayed.result.violation.property == recorded["property"]


def test_a_version_1_run_with_the_old_parameter_n_replays_step_for_step_under_its_new_name(capsys):
    path = V1 / "lastzero.as-written.schedule.json"
    steps = len(json.loads(path.read_text(encoding="utf-8"))["steps"])
    assert main(["replay", str(path)]) == 0
    out = capsys.readouterr().out
    assert "under variant as-written, n=2" in out and f"no violation in the {steps} replayed steps" in out
    assert scenario("lastzero").resolve(Schedule.load(path).params) == {"n": 2}


def test_two_version_1_parameters_that_become_one_name_are_refused_naming_both():
    data = json.loads((V1 / "retry-after-cancel.stat-early-return.no-kmutex.schedule.json").read_text("utf-8"))
    data["params"]["gc-runs"] = 2
    with pytest.raises(ScheduleError, match=r"^old\.json: field params: the version 1 parameters 'gc_runs' and "
                                            r"'gc-runs' are both 'gc-runs' in version 2; keep one of them$"):
        Schedule.loads(json.dumps(data), "old.json")


def test_a_version_1_file_with_a_malformed_scenario_or_params_is_refused_by_the_schema_not_the_migration():
    data = json.loads((V1 / "account_bad.as-written.schedule.json").read_text("utf-8"))
    for field, bad in (("scenario", 3), ("params", ["N"])):
        with pytest.raises(ScheduleError, match=rf"^old\.json: field {field}: expected"):
            Schedule.loads(json.dumps({**data, field: bad}), "old.json")
