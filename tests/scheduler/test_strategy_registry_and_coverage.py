"""One strategy registry, read by the command line and the bench, with checked options;
and the structured coverage record every search returns, written to JSON as is."""

from __future__ import annotations

import json

import pytest
from toy_world import bank_account, independent_program, no_lost_update, racy_counter
from unpack_race.reports.claims import claim
from unpack_race.scenarios import bench
from unpack_race.scenarios.cli import build_parser
from unpack_race.scheduler.coverage import Kind
from unpack_race.scheduler.explore import Budget
from unpack_race.scheduler.properties import Scope
from unpack_race.scheduler.strategies import DepthFirst
from unpack_race.scheduler.checkpoint import CheckpointError
from unpack_race.scheduler.strategies.portfolio import portfolio_search
from unpack_race.scheduler.strategies.registry import (
    DEFAULT_STRATEGY,
    REGISTRY,
    OptionError,
    entry,
    refuse_checkpoint,
    search,
)
from unpack_race.scheduler.verdict import Verdict

EXPECTED_KIND = {
    "dfs": Kind.EXHAUSTIVE, "bfs": Kind.EXHAUSTIVE, "dpor": Kind.UP_TO_TRACES,
    "random": Kind.SAMPLED, "pct": Kind.SAMPLED, "pos": Kind.SAMPLED, "hypothesis": Kind.SAMPLED,
    "urw": Kind.SAMPLED, "surw": Kind.SAMPLED,
}


def expected_kind(name: str, result) -> Kind:
    """The kind a strategy's search must claim; for `auto`, that of the search it says ended first."""
    if name == "auto":
        return Kind.EXHAUSTIVE if result.coverage.facts.algorithm.startswith("DFS") else Kind.UP_TO_TRACES
    return EXPECTED_KIND[name]


def sampling(name: str, **options) -> dict:
    """A sampler's options, for a sampler only: another strategy refuses them."""
    return options if REGISTRY[name].sampling else {}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_strategy_finds_the_lost_update_and_says_what_kind_of_search_it_ran(name):
    result = search(name, bank_account(locked=False), [no_lost_update()], **sampling(name, runs=200, seed=0))
    assert result.verdict is Verdict.VIOLATION and result.violation.property == "no-lost-update"
    assert result.coverage.kind is expected_kind(name, result) is not None
    assert REGISTRY[name].sampling == (result.coverage.kind is Kind.SAMPLED)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_coverage_record_is_json_data_with_its_counts(name):
    result = search(name, bank_account(locked=True), [no_lost_update()], **sampling(name, runs=20, seed=1))
    assert result.verdict is Verdict.PASS
    data = json.loads(json.dumps(result.coverage.to_json()))
    assert data["kind"] == expected_kind(name, result).value
    assert data["executions"] == result.executions == data["complete"] + sum(data["cut"].values())
    assert data["steps"] == result.steps
    assert data["finished"] is True
    assert set(data["scopes"]) <= {s.value for s in Scope} and data["scopes"]
    assert data["guarantee"] and data["algorithm"]


def test_depth_first_search_caches_states_by_default_in_the_library_as_on_the_command_line():
    library, command_line = DepthFirst(), REGISTRY["dfs"].create()  # `--strategy dfs`, no --no-state-cache
    assert library.state_caching and command_line.state_caching
    assert library.facts().algorithm == command_line.facts().algorithm == "DFS with state caching"


def test_a_preemption_bound_makes_the_search_bounded_and_the_claim_says_so():
    result = search("dfs", bank_account(locked=False), [no_lost_update()], preemption_bound=0)
    assert result.coverage.kind is Kind.BOUNDED
    locked = search("dfs", bank_account(locked=True), [no_lost_update()], preemption_bound=1)
    assert claim(locked).startswith("bounded, not exhaustive: within bounds (none), DFS with state caching, "
                                    "at most 1 preemptions")


def test_a_search_cut_by_its_budget_is_not_finished():
    result = search("dfs", bank_account(locked=True), [no_lost_update()], budget=Budget(max_executions=1),
                    state_caching=False)
    assert result.verdict is Verdict.BUDGET and not result.coverage.finished and result.executions == 1


@pytest.mark.parametrize(("name", "options", "message"), [
    ("random", {"runs": 0}, "--runs must be at least 1, got 0"),
    ("pct", {"depth": 0}, "--depth must be at least 1, got 0"),
    ("dfs", {"preemption_bound": -1}, "--preemption-bound must be at least 0, got -1"),
    ("dpor", {"reduction": "best"}, "--reduction must be one of source, fg05, optimal, got 'best'"),
    ("dfs", {"state_caching": "yes"}, "--state-cache is on or off, got 'yes'"),
    ("dfs", {"sed": 1}, "unknown strategy option 'sed'; the options are: "),
])
def test_a_bad_option_is_refused_in_one_line_that_says_what_is_allowed(name, options, message):
    with pytest.raises(OptionError) as refused:
        entry(name).create(**options)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


def test_an_unknown_strategy_is_refused_with_the_list_of_strategies():
    with pytest.raises(OptionError, match=r"unknown strategy 'dfz'; the strategies are: dfs, dpor, bfs, auto, random, pct"):
        entry("dfz")


def test_the_command_line_and_the_bench_read_their_strategies_from_the_registry():
    parser = build_parser()
    check = next(a for a in parser._subparsers._group_actions[0].choices["check"]._actions if a.dest == "strategy")
    assert tuple(check.choices) == tuple(REGISTRY)
    assert {strategy for strategy, _ in bench.EXHAUSTIVE.values()} == {n for n, e in REGISTRY.items() if not e.sampling}
    assert {strategy for strategy, _ in bench.SAMPLERS.values()} == {n for n, e in REGISTRY.items() if e.sampling}


def test_the_hypothesis_search_keeps_to_its_execution_budget():
    # far more distinct executions than three (Hypothesis would otherwise stop when it has
    # tried every one)
    result = search("hypothesis", independent_program((4, 4, 4)), runs=100, seed=0,
                    budget=Budget(max_executions=3))
    assert result.verdict is Verdict.BUDGET and result.executions == 3 and not result.coverage.finished
    # with a violation found before the budget ran out, the shortest one so far is reported
    found = search("hypothesis", bank_account(locked=False), [no_lost_update()], runs=100, seed=0,
                   budget=Budget(max_executions=40))
    assert found.verdict is Verdict.VIOLATION and found.executions <= 40


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_strategy_keeps_to_an_execution_budget(name):
    # four actors incrementing a shared counter three times each: thousands of executions
    # even after any reduction, so no strategy can finish in three
    options = {"runs": 10**6} if REGISTRY[name].sampling else {}
    result = search(name, racy_counter(4, 3), [], budget=Budget(max_executions=3), **options)
    assert result.verdict is Verdict.BUDGET and result.executions == 3 and not result.coverage.finished


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_strategy_keeps_to_a_time_budget(name):
    # the same program, a million runs for a sampler: none ends of itself within the budget;
    # the search stops after the execution under way when the time is up (one execution
    # takes a millisecond here: the slack allows a loaded machine many times over)
    options = {"runs": 10**6} if REGISTRY[name].sampling else {}
    result = search(name, racy_counter(4, 3), [], budget=Budget(max_seconds=0.2), **options)
    assert result.verdict is Verdict.BUDGET and not result.coverage.finished
    assert 0.2 <= result.elapsed < 5, result.elapsed


def test_the_default_strategy_is_auto_the_portfolio_of_exhaustive_searches():
    assert DEFAULT_STRATEGY == "auto" and REGISTRY["auto"].drive is portfolio_search


@pytest.mark.parametrize(("name", "options", "spelled", "takers", "add"), [
    ("auto", {"state_caching": False}, "--no-state-cache", "dfs", "add --strategy dfs"),
    ("auto", {"sleep_sets": True}, "--sleep-sets", "dfs", "add --strategy dfs"),
    ("dfs", {"reduction": "optimal"}, "--reduction optimal", "dpor", "add --strategy dpor"),
    ("bfs", {"restore": False}, "--no-restore", "dfs, dpor, auto", "add --strategy with one of them"),
    ("dpor", {"runs": 5}, "--runs 5", "random, pct, pos, urw, surw, hypothesis", "add --strategy with one of them"),
    ("random", {"depth": 2}, "--depth 2", "pct", "add --strategy pct"),
])
def test_an_option_the_strategy_does_not_take_is_refused_naming_who_takes_it(name, options, spelled, takers, add):
    # which strategies take which option: the registry's table above, read by hand
    with pytest.raises(OptionError) as refused:
        entry(name).resolve(options)
    text = str(refused.value)
    assert text == (f"{spelled} is an option of {takers}, not of --strategy {name}, which would ignore it; "
                    f"{add} to use it, or drop {spelled.split()[0]}")


def test_an_option_given_as_none_is_not_given():
    assert entry("auto").resolve({"preemption_bound": None}) == {"restore": True}


def test_an_estimate_is_refused_for_a_strategy_that_has_none_instead_of_being_ignored():
    for name, options in (("auto", {}), ("random", {"runs": 5}), ("dfs", {"sleep_sets": True}),
                          ("dfs", {"preemption_bound": 1}), ("hypothesis", {})):
        with pytest.raises(OptionError, match="^--estimate-probes: --strategy ") as refused:
            search(name, bank_account(locked=True), [no_lost_update()], estimate_probes=5, **options)
        assert "has no cost estimate" in str(refused.value) and "\n" not in str(refused.value)
    estimated = search("dpor", bank_account(locked=True), [no_lost_update()], estimate_probes=5)
    assert estimated.estimate is not None


def test_a_search_that_drives_itself_cannot_be_checkpointed_and_says_so_in_one_line():
    with pytest.raises(CheckpointError) as refused:
        refuse_checkpoint("auto")
    assert str(refused.value).startswith("--strategy auto drives its own search and cannot be checkpointed; "
                                         "checkpoint one of its searches instead (--strategy dfs --sleep-sets")
    assert "\n" not in str(refused.value)
    refuse_checkpoint("dfs")  # a pull-style search can
