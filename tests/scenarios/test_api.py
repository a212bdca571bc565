"""The library facade (scenarios.api): check, compare, replay, minimize and explain return
data that agrees with the engine called directly and with containerd's history, run the
program only as often as they must, and refuse bad input with one-line errors.

Expected verdicts come from containerd's history (README, "Variants"): the race of issue
3787 is present in every variant but the one shipped in 1.6.37, 1.7.23 and 2.0.0 (the
unpacker always calls Prepare, PR 10723, and Prepare leases an existing snapshot in the
same transaction, PR 10187), and the retry then fails with `parent snapshot sha256:c1 does
not exist: not found`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from unpack_race.model.variants import SHIPPED, registered
from unpack_race.reports.trace_text import counterexample_text
from unpack_race.scenarios import api
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.registry import SCENARIOS, scenario
from unpack_race.scenarios.regression_corpus import CORPUS
from unpack_race.scheduler import kernel
from unpack_race.scheduler.explain import explain as engine_explain
from unpack_race.scheduler.explore import Budget
from unpack_race.scheduler.minimize import minimize as engine_minimize
from unpack_race.scheduler.schedule import Schedule, ScheduledStep
from unpack_race.scheduler.strategies.portfolio import portfolio_search
from unpack_race.scheduler.verdict import Verdict

RACE = "retry-after-cancel"
FAST = {"overlap": False}  # the retry starts after the cancelled pull returns: a smaller search
UNSAFE = tuple(v.name for v in registered() if v.violates == "no-missing-parent")  # as each definition says
THE_FIX = "prepare-with-lease"


@pytest.fixture(scope="module")
def checked() -> api.Checked:
    return api.check(RACE, "stat-early-return")


class Executions:
    """Counts the executions the kernel starts (one world each), and remembers the steps of
    every execution when it is closed."""

    def __init__(self, monkeypatch) -> None:
        self.started = 0
        self.closed: list[tuple[tuple[str, object], ...]] = []
        init, close = kernel.Execution.__init__, kernel.Execution.close

        def counting_init(execution, *args, **kwargs):
            self.started += 1
            init(execution, *args, **kwargs)

        def recording_close(execution):
            self.closed.append(tuple((s.actor, s.effect) for s in execution.steps))
            close(execution)

        monkeypatch.setattr(kernel.Execution, "__init__", counting_init)
        monkeypatch.setattr(kernel.Execution, "close", recording_close)

    def running(self, steps) -> int:
        """How many closed executions took all of `steps` first."""
        wanted = tuple((s.actor, s.effect) for s in steps)
        return sum(1 for taken in self.closed if taken[: len(wanted)] == wanted)


# -- check ----------------------------------------------------------------------------------


# The canonical verdicts go through the pytest plugin (scenarios/pytest_plugin.py): the
# check must reach the scenario's expected verdict, or the test fails with the narrated
# counterexample and keeps its schedule for the next run.


@pytest.mark.parametrize("variant", UNSAFE)
def test_check_finds_the_missing_parent_under_every_variant_expected_to_violate_it(unpack_race_check, variant):
    checked = unpack_race_check(RACE, variant, params=FAST, expect="scenario")
    assert checked.verdict is Verdict.VIOLATION and checked.as_expected
    cx = checked.counterexample
    last = cx.steps[-1]
    assert cx.violation.property == "no-missing-parent" and cx.violation.step_index == last.index
    assert last.actor == "pull-2" and "parent snapshot sha256:c1 does not exist: not found" in str(last.error)
    assert checked.why_safe == ()


def test_check_proves_the_fixed_variant_safe_within_its_bounds(unpack_race_check):
    checked = unpack_race_check(RACE, THE_FIX, params=FAST, expect="scenario")
    assert checked.verdict is Verdict.PASS and checked.as_expected
    assert checked.counterexample is None and checked.schedule is None
    assert checked.result.coverage.finished


def test_a_check_without_gc_passes_and_says_the_sweep_is_unreachable():
    # without GC nothing is ever swept, so a GC sweeping a committed layer cannot be sought
    checked = api.check(RACE, "stat-early-return", params={"gc-policy": "any", "gc-runs": 0})
    assert checked.verdict is Verdict.PASS
    assert [u.property for u in checked.why_safe] == ["gc-sweeps-committed-layer"]


def test_check_returns_what_the_engine_called_directly_returns(checked):
    # the facade's default strategy is auto: the portfolio of exhaustive searches
    built = scenario(RACE).build("stat-early-return", scenario(RACE).resolve({}))
    direct = portfolio_search(built.program, built.properties, bounds=built.bounds)
    assert checked.result.verdict is direct.verdict
    assert checked.result.coverage.to_json() == direct.coverage.to_json()
    assert checked.result.violation == direct.violation
    assert checked.counterexample.steps == direct.counterexample
    assert checked.counterexample.preemptions == direct.preemptions


@pytest.mark.parametrize("given", ["schedule", "check"])
def test_the_schedule_of_a_check_replays_strictly_to_the_same_violation(checked, given):
    replayed = api.replay(checked.schedule if given == "schedule" else checked)
    assert isinstance(replayed, api.Replayed)
    assert replayed.result.violation == checked.counterexample.violation
    assert [s.narrate() for s in replayed.steps] == [s.narrate() for s in checked.counterexample.steps]


def test_a_check_with_a_counterexample_runs_the_program_once_per_execution_and_once_more_to_see_the_ends(monkeypatch):
    executions = Executions(monkeypatch)
    checked = api.check(RACE, "stat-early-return", strategy="dfs")
    # DFS makes no run off the record: each execution it reports is one world, and the one
    # extra run is the counterexample carried on past the violation (how each actor ends)
    assert executions.started == checked.result.executions + 1
    cx = checked.counterexample
    assert executions.running(cx.steps) == 2  # found once, continued once
    before = executions.started
    text = counterexample_text(cx.steps, cx.violation, cx.continuation)
    assert cx.schedule.steps == tuple(ScheduledStep.of(s) for s in cx.steps)
    assert cx.preemptions == cx.run.preemptions()
    assert "pull-2: failed: failed to pull and unpack image" in text
    assert executions.started == before  # narration, ends, schedule and preemptions run nothing


def test_explaining_a_check_runs_only_the_counterfactuals(monkeypatch, checked, tmp_path):
    path = checked.schedule.save(tmp_path / "cx.schedule.json")
    executions = Executions(monkeypatch)
    from_check = api.explain(checked)
    at_hand = executions.started
    assert executions.running(checked.counterexample.steps) == 0  # neither replayed nor continued again
    from_file = api.explain(path)
    # the file is replayed once (strictly), its continuation run once; the rest, the
    # counterfactuals, are the same runs in both
    assert executions.started - at_hand == at_hand + 2
    assert executions.running(checked.counterexample.steps) == 2
    assert from_file.story == from_check.story and from_check.story is not None
    assert from_file.explanation.racing == from_check.explanation.racing


# -- explain and minimize ---------------------------------------------------------------------


def test_explain_tells_issue_3787_and_agrees_with_the_engine_explaining_the_steps(checked):
    explained = api.explain(checked)
    cx = checked.counterexample
    direct = engine_explain(cx.built.program, cx.built.properties, cx.schedule.steps)
    assert explained.explanation.racing == direct.racing and explained.explanation.moves == direct.moves
    assert explained.explanation.edges == direct.edges
    assert any("This is containerd issue 3787." in s for s in explained.story)
    ends = explained.counterexample.continuation.actor_end("pull-2")
    assert any(f"the pull fails: {ends.error}" in s for s in explained.story)


def test_minimize_of_a_check_gives_what_the_engine_gives_from_the_schedule_steps(checked):
    minimized = api.minimize(checked)
    cx = checked.counterexample
    direct = engine_minimize(cx.built.program, cx.built.properties, cx.schedule.steps)
    assert minimized.schedule.steps == direct.steps
    assert (minimized.minimized.before, minimized.minimized.after) == (direct.before, direct.after)
    assert tuple(ScheduledStep.of(s) for s in minimized.minimized.run.steps) == direct.steps
    assert minimized.minimized.after.steps < minimized.minimized.before.steps


def test_a_schedule_that_goes_on_past_its_violation_is_explained_and_minimised_up_to_it(checked, tmp_path):
    # the one strict replay stops at the violation, as `replay` does: what follows is not run
    steps = checked.schedule.to_json()["steps"] + [{"actor": "gc", "effect": "GcCollect", "args": {}}]
    path = schedule_file(tmp_path, checked, steps=steps)
    explained = api.explain(path, max_executions=200)
    assert explained.counterexample.steps == checked.counterexample.steps
    assert api.minimize(path).schedule.steps == api.minimize(checked).schedule.steps


def test_minimize_of_a_corpus_file_finds_it_already_minimal():
    path = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"
    minimized = api.minimize(path)
    assert not minimized.improved and minimized.schedule.steps == Schedule.load(path).steps


# -- compare and replay -----------------------------------------------------------------------


def test_compare_finds_the_race_everywhere_but_in_the_fix_and_agrees_with_check_of_each_variant():
    compared = api.compare(params=FAST)
    assert compared.outcome is api.Outcome.AS_EXPECTED and compared.outcome.exit_code == 0
    assert compared.safe == tuple(v.name for v in registered() if v.violates is None)
    for row in compared.rows:
        alone = api.check(RACE, row.variant, params=FAST)
        assert row.result.verdict is alone.verdict
        assert row.result.coverage.to_json() == alone.result.coverage.to_json()
        assert (row.counterexample is None) == (alone.counterexample is None)
    releases = {r.variant: r.releases for r in compared.rows}
    assert releases[THE_FIX] == "containerd 1.6.37+, 1.7.23+, 2.0.0+"


def test_compare_has_no_verdict_when_only_budgets_stand_between_it_and_one():
    compared = api.compare(budget=Budget(max_executions=10))
    assert compared.outcome is api.Outcome.NO_VERDICT and compared.outcome.exit_code == 4
    assert compared.undecided == tuple(scenario(RACE).variants) and compared.wrong == ()


def test_replay_under_every_variant_violates_before_the_fix_and_passes_with_it(checked):
    replayed = api.replay(checked.schedule, all_variants=True)
    assert isinstance(replayed, api.ReplayedAll)
    verdicts = {v.variant: v.verdict for v in replayed.variants}
    assert verdicts[THE_FIX] == {"verdict": "pass", "property": None}
    assert verdicts["stat-early-return"] == {"verdict": "violation", "property": "no-missing-parent"}
    assert [v.variant for v in replayed.variants if v.recorded] == ["stat-early-return"]
    assert replayed.expect is None and replayed.any_violation


def test_replay_under_every_variant_checks_a_corpus_files_expectations():
    path = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"
    replayed = api.replay(path, all_variants=True)
    expect = json.loads(path.read_text())["expect"]
    assert replayed.all_as_expected and {v.variant: v.as_expected for v in replayed.variants
                                         if v.variant in expect} == {name: True for name in expect}


def test_a_schedule_of_a_users_own_scenario_replays_with_that_scenario_given(tmp_path):
    # a scenario the registry does not know: account-bad under another name (its verdict,
    # a violation of no-assertion-failure, is SCTBench's)
    mine = type("MyAccount", (type(scenario("account-bad")),), {"name": "my-account"})()
    path = api.check(mine, "as-written").schedule.save(tmp_path / "mine.schedule.json")
    with pytest.raises(api.ScheduleError, match=r"mine.schedule.json: unknown scenario 'my-account'"):
        api.replay(path)
    replayed = api.replay(path, scenario=mine)
    assert replayed.violated and replayed.result.violation.property == "no-assertion-failure"
    assert api.replay(path, scenario=mine, all_variants=True).any_violation
    with pytest.raises(api.ScheduleError, match=r"field scenario: expected 'account-bad' \(the scenario given\), "
                                                 r"got 'my-account'$"):
        api.replay(path, scenario=scenario("account-bad"))


# -- the catalog ------------------------------------------------------------------------------


def test_the_catalog_lists_every_scenario_with_its_variants_and_containerds_releases():
    entries = {e.name: e for e in api.catalog()}
    assert list(entries) == list(SCENARIOS)
    race = entries[RACE]
    assert [v.name for v in race.variants] == [v.name for v in registered()]
    assert {v.name: v.expected.verdict for v in race.variants} == {
        v.name: Verdict.VIOLATION if v.violates else Verdict.PASS for v in registered()}
    assert {v.name: v.releases for v in race.variants}[THE_FIX] == "containerd 1.6.37+, 1.7.23+, 2.0.0+"
    # the scenarios that go over containerd's variants say what each stands for and its code path
    containerd = {e.name for e in entries.values() if [v.name for v in e.variants] == [v.name for v in registered()]}
    assert {RACE, "concurrent-pulls", "remove-image-during-pull", "crash-instead-of-cancel",
            "lease-deleted-under-pull"} <= containerd
    shipped = {s.name for s in SHIPPED}
    assert all(v.releases is not None and v.code is not None for e in entries.values() if e.name in containerd
               for v in e.variants if v.name in shipped)
    split = {v.name: v.code for v in entries["commit-already-exists"].variants}
    assert split["prepare-half-only"] == "always Prepare (PR 10723); PR 10187: Prepare half on, Commit half off"
    classics = {sc.name for sc in CLASSICS}  # not containerd's: they stand for no release
    assert all(v.releases is None and v.code is None for e in entries.values() if e.name in classics
               for v in e.variants)
    # a scenario whose variants are callers of pkg/rootfs says what each stands for (shared_layers.Code)
    bk = {v.name: v for v in entries["rootfs-apply-layers"].variants}["buildkit-6558"]
    assert bk.releases.startswith("moby/buildkit 7cb764d22") and bk.summary.startswith("AddResource(top chain ID)")
    assert bk.code is None


# -- bad input --------------------------------------------------------------------------------


def schedule_file(tmp_path: Path, checked: api.Checked, **changes) -> Path:
    data = checked.schedule.to_json()
    data.update(changes)
    path = tmp_path / "changed.schedule.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda c, t: api.check("nope", "x"), api.ParamError, "unknown scenario 'nope'"),
        (lambda c, t: api.check(RACE, "v9"), api.ParamError, "has no variant 'v9'"),
        (lambda c, t: api.check(RACE, THE_FIX, params={"layers": 0}), api.ParamError, "layers: 0 is out of range"),
        (lambda c, t: api.check(RACE, THE_FIX, params={"colour": 1}), api.ParamError, "no parameter 'colour'"),
        (lambda c, t: api.check(RACE, THE_FIX, strategy="magic"), api.OptionError, "unknown strategy 'magic'"),
        (lambda c, t: api.check(RACE, THE_FIX, strategy="random", runs=0), api.OptionError,
         "--runs must be at least 1"),
        (lambda c, t: api.replay(t / "missing.json"), api.ScheduleError, "cannot read the schedule file"),
        (lambda c, t: api.replay(c.schedule, variant=THE_FIX), api.ScheduleError,
         "under variant prepare-with-lease, step 4: the schedule expects pull-1 to Stat"),
        (lambda c, t: api.replay(c.schedule, variant=THE_FIX, all_variants=True), api.ParamError,
         "cannot be used together"),
        (lambda c, t: api.explain(schedule_file(t, c, variant=THE_FIX)), api.ScheduleError,
         "cannot explain a schedule that does not replay"),
        (lambda c, t: api.minimize(schedule_file(t, c, steps=c.schedule.to_json()["steps"][:5])), api.ScheduleError,
         "nothing to minimise under variant stat-early-return: its 5 steps violate no property"),
        (lambda c, t: api.minimize(c, max_runs=0), api.ParamError, "--max-runs must be at least 1"),
        (lambda c, t: api.explain(api.check(RACE, THE_FIX, params={"gc-runs": 0})), api.ScheduleError,
         "the check found no counterexample: nothing to explain"),
    ],
    ids=["scenario", "variant", "param-range", "param-name", "strategy", "option", "no-file", "diverges",
         "variant-and-all", "explain-diverges", "nothing-to-minimise", "max-runs", "explain-a-pass"],
)
def test_bad_input_raises_an_input_error_with_a_one_line_message(checked, tmp_path, call, error, words):
    with pytest.raises(error) as caught:
        call(checked, tmp_path)
    assert isinstance(caught.value, api.INPUT_ERRORS)
    message = str(caught.value)
    assert words in message and "\n" not in message
