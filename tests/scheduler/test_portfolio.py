"""The default exhaustive search (strategies/portfolio.py): DFS with state caching and
sleep sets and a DPOR side by side, the first to end answering.

Checked against each search run alone: the portfolio's verdict is theirs, its result is
the one of the search that, alone, applies fewer steps before it ends (the alternation
goes by steps), and it says so; DPOR is left out when a property needs every state;
source-DPOR replaces optimal DPOR on a program with crashes; Ctrl-C gives the partial
result of the search that was running.
"""

from __future__ import annotations

import attrs
import pytest
from toy_world import independent_program, racy_counter
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scheduler.crashes import crash_choice
from unpack_race.scheduler.explore import Budget, Interrupted, explore
from unpack_race.scheduler.properties import always, on_state
from unpack_race.scheduler.strategies import SleepSetDepthFirst
from unpack_race.scheduler.strategies.optimal_dpor import make_dpor
from unpack_race.scheduler.strategies.portfolio import candidates, portfolio_search
from unpack_race.scheduler.verdict import Verdict

CASES = [
    ("retry-after-cancel", "stat-early-return", {}),
    ("retry-after-cancel", "prepare-with-lease", {}),
    ("lastzero", "as-written", {"n": 4}),
    ("filesystem", "as-written", {"n": 5}),
    ("indexer", "as-written", {"n": 4}),
]


def built(name, variant, params):
    sc = SCENARIOS[name]
    return sc.build(variant, sc.resolve(params))


@pytest.mark.parametrize("name, variant, params", CASES, ids=[f"{n}-{v}" for n, v, _ in CASES])
def test_the_portfolio_answers_with_the_search_that_alone_ends_in_fewer_steps(name, variant, params):
    alone = {}
    for make in (SleepSetDepthFirst, lambda: make_dpor("optimal")):
        b = built(name, variant, params)
        result = explore(b.program, make(), b.properties, bounds=b.bounds)
        alone[result.coverage.facts.algorithm] = result
    b = built(name, variant, params)
    together = portfolio_search(b.program, b.properties, bounds=b.bounds)
    verdicts = {r.verdict for r in alone.values()}
    assert verdicts == {together.verdict}, f"the searches disagree: {verdicts}"
    dfs, dpor = alone.values()
    expected = dfs if dfs.steps <= dpor.steps else dpor  # ties go to the DFS, the first candidate
    facts = together.coverage.facts
    assert facts.algorithm == expected.coverage.facts.algorithm
    assert (together.executions, together.steps, together.states) == (expected.executions, expected.steps,
                                                                      expected.states)
    assert together.counterexample == expected.counterexample
    other = dpor if expected is dfs else dfs
    assert f"{facts.algorithm} ended first" in facts.notes[-1]
    assert f"{other.coverage.facts.algorithm} was stopped after" in facts.notes[-1]


def test_both_kinds_of_program_are_here_so_the_test_above_sees_both_winners():
    winners = set()
    for name, variant, params in (CASES[1], CASES[2]):
        b = built(name, variant, params)
        winners.add(portfolio_search(b.program, b.properties, bounds=b.bounds).coverage.facts.algorithm)
    assert len(winners) == 2, winners


def test_the_portfolio_is_deterministic():
    results = [portfolio_search(b.program, b.properties, bounds=b.bounds)
               for b in (built(*CASES[0]), built(*CASES[0]))]
    assert results[0].counterexample == results[1].counterexample
    assert results[0].coverage == results[1].coverage


def test_a_property_of_every_state_without_declared_reads_leaves_the_dfs_alone():
    anything = always("anything", on_state(lambda world: True))
    chosen = candidates(racy_counter(2), [anything], restore=True)
    assert [type(s).__name__ for s in chosen] == ["SleepSetDepthFirst"]
    result = portfolio_search(racy_counter(2), [anything])
    assert "ran DFS with state caching and sleep sets alone" in result.coverage.facts.notes[-1]


def test_a_program_with_crashes_gets_source_dpor_which_can_explore_it():
    program = independent_program((2, 1))
    first = program.actors[0].name
    crashing = attrs.evolve(program, actors=tuple(attrs.evolve(a, crashable=a.name == first) for a in program.actors))
    assert crash_choice(first) in crashing.choice_names()
    chosen = candidates(crashing, [], restore=True)
    assert [type(s).__name__ for s in chosen] == ["SleepSetDepthFirst", "Dpor"]
    assert chosen[1].reduction == "source"
    assert portfolio_search(crashing).ok


def test_ctrl_c_gives_the_partial_result_of_the_search_that_was_running():
    b = built("retry-after-cancel", "prepare-with-lease", {"gc-policy": "any"})
    calls = []

    def progress(seen):
        calls.append(seen)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as stopped:
        portfolio_search(b.program, b.properties, bounds=b.bounds, progress=progress, progress_every=0.0)
    partial = stopped.value.partial
    assert partial.verdict.name == "INTERRUPTED" and partial.executions >= 1
    assert calls[-1].executions >= partial.executions  # progress sums both searches
    assert f"{partial.coverage.facts.algorithm} was running when the search was interrupted" in \
        partial.coverage.facts.notes[-1]  # what ran is said with what it covered


def test_a_budget_that_runs_out_says_whose_ran_out_first():
    b = built("retry-after-cancel", "prepare-with-lease", {})
    result = portfolio_search(b.program, b.properties, bounds=b.bounds, budget=Budget(max_executions=5))
    assert result.verdict is Verdict.BUDGET and result.executions == 5  # each search has the whole budget
    note = result.coverage.facts.notes[-1]
    assert f"{result.coverage.facts.algorithm} ran out of its budget first" in note and "ended first" not in note
