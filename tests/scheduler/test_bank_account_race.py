"""The classic lost update: two depositors read the balance, then write back what they
read plus their deposit. Exhaustive search and random walks find it; a lock fixes it."""

from __future__ import annotations

import pytest
from toy_world import INITIAL_BALANCE, bank_account, no_lost_update
from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import PASS, VIOLATION, explore
from unpack_race.scheduler.follow import follow
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies import DepthFirst, RandomWalk

THREE = {"alice": 10, "bob": 20, "carol": 40}


def final_balance(program, steps) -> int:
    return follow(program, tuple(ScheduledStep.of(s) for s in steps)).world.vars["balance"]


@pytest.mark.parametrize("caching", [False, True])
def test_exhaustive_search_finds_the_lost_update(caching):
    result = explore(bank_account(locked=False), DepthFirst(state_caching=caching), [no_lost_update()])
    assert result.verdict == VIOLATION
    assert result.violation.property == "no-lost-update"
    steps = result.counterexample
    kinds = [(s.actor, type(s.effect).__name__) for s in steps]
    # Both read before either writes: that is the lost update.
    assert sorted(kinds[:2]) == [("alice", "Read"), ("bob", "Read")]
    assert [k for _, k in kinds[2:]] == ["Write", "Write"]
    assert steps[0].result == steps[1].result == INITIAL_BALANCE
    assert final_balance(bank_account(locked=False), steps) in {INITIAL_BALANCE + 10, INITIAL_BALANCE + 20}
    assert "balance is" in result.violation.message


def test_the_first_executions_in_dfs_order_do_not_lose_the_update():
    # DFS tries alice, alice, bob, bob first (no race) and finds the race in execution 2.
    result = explore(bank_account(locked=False), DepthFirst(state_caching=False), [no_lost_update()])
    assert result.executions == 2
    assert [s.actor for s in result.counterexample] == ["alice", "bob", "alice", "bob"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 7, 12345])
def test_a_random_walk_finds_the_lost_update_within_twenty_runs(seed):
    result = explore(bank_account(locked=False), RandomWalk(runs=20, seed=seed), [no_lost_update()])
    assert result.verdict == VIOLATION
    assert result.violation.property == "no-lost-update"
    assert result.executions <= 20
    assert "runs of random walk, seed" in claim(result)


@pytest.mark.parametrize("seed", [0, 5])
def test_a_random_walk_finds_a_lost_update_among_three_depositors(seed):
    result = explore(bank_account(locked=False, deposits=THREE), RandomWalk(runs=50, seed=seed), [no_lost_update(THREE)])
    assert result.verdict == VIOLATION


@pytest.mark.parametrize(
    "deposits, executions",
    [
        # Only the order in which the depositors take the lock is a choice: 2! and 3!.
        ({"alice": 10, "bob": 20}, 2),
        (THREE, 6),
    ],
)
def test_the_lock_protected_account_passes_the_exhaustive_search(deposits, executions):
    result = explore(bank_account(locked=True, deposits=deposits), DepthFirst(state_caching=False), [no_lost_update(deposits)])
    assert result.verdict == PASS
    assert result.executions == executions
    assert claim(result).startswith("exhaustive within bounds")
    cached = explore(bank_account(locked=True, deposits=deposits), DepthFirst(state_caching=True), [no_lost_update(deposits)])
    assert cached.verdict == PASS


def test_a_random_walk_over_the_locked_account_passes_but_claims_only_a_sample():
    result = explore(bank_account(locked=True), RandomWalk(runs=30, seed=4), [no_lost_update()])
    assert result.verdict == PASS
    assert result.executions == 30
    assert claim(result) == ("sampled, not exhaustive: 30 runs of random walk, seed 4, bounds (none): 0 violations; "
                             "no guarantee: each run picks a uniformly random runnable actor at every step; interleavings are not equally likely and none is promised")


def test_a_random_walk_needs_at_least_one_run():
    with pytest.raises(ValueError, match="at least one run"):
        RandomWalk(runs=0, seed=1)
