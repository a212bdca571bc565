"""DFS with state caching is checked against brute-force enumeration (DFS without
caching) on small programs: the same reachable world states, the same final states, the
same verdicts, and never more executions."""

from __future__ import annotations

import pytest
from toy_world import (
    Recording,
    bank_account,
    independent_program,
    locked_counter,
    money_is_conserved,
    no_lost_update,
    opposite_locks,
    racy_counter,
    spender_and_depositor,
    waiter_on_closed_gate,
)
from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import PASS, VACUOUS, VIOLATION, explore
from unpack_race.scheduler.kernel import Status
from unpack_race.scheduler.properties import (
    NO_DEADLOCK,
    always,
    at_end,
    on_end,
    on_state,
    sometimes,
)
from unpack_race.scheduler.strategies import DepthFirst

PROGRAMS = {
    "racy counter, 2 actors": lambda: racy_counter(2),
    "racy counter, 3 actors": lambda: racy_counter(3),
    "racy counter, 2 actors x 2 rounds": lambda: racy_counter(2, rounds=2),
    "locked counter, 2 actors x 2 rounds": lambda: locked_counter(2, rounds=2),
    "locked counter, 3 actors": lambda: locked_counter(3),
    "bank account": lambda: bank_account(locked=False),
    "locked bank account": lambda: bank_account(locked=True),
    "spender and depositor": spender_and_depositor,
    "independent actors": lambda: independent_program((2, 2, 1)),
    "daemon on a closed gate": lambda: waiter_on_closed_gate(daemon=True),
}


def explore_recording_states(program, caching: bool):
    """Run a full search with no violating property; return the recording, the set of
    world states seen after any step, and the result."""
    seen = set()

    def record(world) -> bool:
        seen.add(world.fingerprint())
        return True

    recording = Recording()
    result = explore(program, DepthFirst(state_caching=caching), [always("record-every-state", on_state(record))], on_run=recording)
    return recording, seen, result


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_state_caching_reaches_the_same_world_states_and_final_states_as_plain_dfs(name):
    plain_rec, plain_seen, plain = explore_recording_states(PROGRAMS[name](), caching=False)
    cached_rec, cached_seen, cached = explore_recording_states(PROGRAMS[name](), caching=True)
    assert plain.verdict == cached.verdict == PASS
    assert cached_seen == plain_seen
    assert set(cached_rec.final_worlds) == set(plain_rec.final_worlds)
    assert cached.executions <= plain.executions
    assert cached.steps <= plain.steps


def test_the_racy_counter_really_has_more_than_one_final_state():
    # Guards the test above against comparing trivial programs only.
    recording, _, _ = explore_recording_states(racy_counter(2), caching=True)
    assert {final["counter"] for final in recording.final_vars} == {1, 2}
    recording, _, _ = explore_recording_states(racy_counter(3), caching=True)
    assert {final["counter"] for final in recording.final_vars} == {1, 2, 3}


def test_the_locked_counter_has_a_single_final_state_under_both_searches():
    for caching in (False, True):
        recording, _, _ = explore_recording_states(locked_counter(3), caching)
        assert len(set(recording.final_worlds)) == 1
        assert recording.final_vars[0] == {"counter": 3}


@pytest.mark.parametrize(
    "name", ["racy counter, 3 actors", "racy counter, 2 actors x 2 rounds", "independent actors"]
)
def test_state_caching_cuts_executions_when_interleavings_reach_the_same_state(name):
    _, _, plain = explore_recording_states(PROGRAMS[name](), caching=False)
    _, _, cached = explore_recording_states(PROGRAMS[name](), caching=True)
    assert cached.executions < plain.executions
    assert cached.states is not None and cached.states > 0
    assert f"{cached.states} distinct states" in claim(cached)


def counter_is(n: int):
    return lambda end: end.world.vars["counter"] == n


def all_done(end) -> bool:
    return all(actor.status is not Status.RUNNING for actor in end.actors)


CHECKS = {
    "racy counter loses an update": (
        lambda: racy_counter(2),
        [at_end("counter-is-2", counter_is(2))],
        VIOLATION,
        "counter-is-2",
    ),
    "three racy actors lose an update": (
        lambda: racy_counter(3),
        [at_end("counter-is-3", counter_is(3))],
        VIOLATION,
        "counter-is-3",
    ),
    "racy counter: the lost update is reached": (
        lambda: racy_counter(2),
        [sometimes("lost-update", on_end(lambda end: all_done(end) and end.world.vars["counter"] == 1))],
        PASS,
        None,
    ),
    "locked counter never loses an update": (
        lambda: locked_counter(2, rounds=2),
        [at_end("counter-is-4", counter_is(4)), always("at-most-4", on_state(lambda world: world.vars["counter"] <= 4))],
        PASS,
        None,
    ),
    "locked counter: the lost update is never reached": (
        lambda: locked_counter(2),
        [sometimes("lost-update", on_end(lambda end: all_done(end) and end.world.vars["counter"] == 1))],
        VACUOUS,
        None,
    ),
    "locked counter: the lock is exclusive": (
        lambda: locked_counter(3),
        [always("one-holder", on_state(lambda world: len(world.holders) <= 1))],
        PASS,
        None,
    ),
    "bank account loses a deposit": (lambda: bank_account(False), [no_lost_update()], VIOLATION, "no-lost-update"),
    "locked bank account keeps every deposit": (lambda: bank_account(True), [no_lost_update()], PASS, None),
    "spender and depositor lose money": (spender_and_depositor, [money_is_conserved()], VIOLATION, "money-conserved"),
    "opposite locks deadlock": (opposite_locks, [], VIOLATION, NO_DEADLOCK),
    "a blocked daemon is no deadlock": (lambda: waiter_on_closed_gate(daemon=True), [], PASS, None),
    "a blocked worker is a deadlock": (lambda: waiter_on_closed_gate(daemon=False), [], VIOLATION, NO_DEADLOCK),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_state_caching_gives_the_same_verdict_as_plain_dfs(name):
    make, properties, verdict, violated = CHECKS[name]
    plain = explore(make(), DepthFirst(state_caching=False), properties)
    cached = explore(make(), DepthFirst(state_caching=True), properties)
    assert plain.verdict == verdict
    assert cached.verdict == verdict
    violated_plain = plain.violation.property if plain.violation else None
    violated_cached = cached.violation.property if cached.violation else None
    assert violated_plain == violated_cached == violated
    assert cached.executions <= plain.executions
