"""The brute-force oracles of toy_world, which other tests trust instead of the
engine's searches, checked against hand counts, formulas and each other."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from toy_world import (
    all_executions,
    build,
    count_executions,
    distinct_states,
    independent_program,
    locked_counter,
    merges,
    multinomial,
    opposite_locks,
    program_specs,
    racy_counter,
    shortest_violation,
    tallied_racy_counter,
)


@pytest.mark.parametrize("sizes", [(1,), (1, 1), (2, 1), (2, 2), (3, 1, 2)])
def test_all_executions_of_independent_actors_are_the_merges_of_their_steps_in_order(sizes):
    executions = [tuple(s.actor for s in e.steps) for e in all_executions(independent_program(sizes))]
    assert executions == [tuple(m) for m in merges([[f"a{i}"] * n for i, n in enumerate(sizes)])]
    assert len(executions) == multinomial(sizes) == count_executions(independent_program(sizes))


@pytest.mark.parametrize("sizes", [(1, 1), (2, 2), (3, 1, 2)])
def test_the_states_of_independent_actors_are_how_far_each_got(sizes):
    # every combination of progress, prod(n_i + 1), the initial and final ones included
    assert distinct_states(independent_program(sizes)) == math.prod(n + 1 for n in sizes)


def test_the_racy_counter_by_hand():
    # two actors, read then write: the 4!/(2!2!) = 6 orders of four always-enabled
    # steps; the counter ends at 2 after the two serial orders, at 1 after the other four
    finals = sorted(e.world.vars["counter"] for e in all_executions(racy_counter(2)))
    assert finals == [1, 1, 1, 1, 2, 2]


def test_the_shortest_violation_by_hand():
    def write_of(value):
        return lambda step: step.effect.name == "Write" and step.effect.value == value

    # the counter reaches 2 only after read, write 1, read, write 2: four steps
    assert shortest_violation(racy_counter(2), write_of(2)) == 4
    # under the lock each round is lock, read, write, unlock: 2 goes in at step 7
    assert shortest_violation(locked_counter(2), write_of(2)) == 7
    assert shortest_violation(locked_counter(2), write_of(3)) is None  # two increments only


def test_a_deadlocked_execution_is_an_execution_too():
    # alice takes A, bob takes B (in either order) and both wait: 2 of the 6 interleavings
    executions = list(all_executions(opposite_locks()))
    assert len(executions) == count_executions(opposite_locks()) == 6
    assert sum(e.deadlocked() for e in executions) == 2


@settings(max_examples=30, deadline=None)
@given(program_specs(max_total_steps=7))
def test_the_memoised_count_equals_enumerating_every_execution(spec):
    program = build(spec)
    assert count_executions(program) == len(list(all_executions(program)))


def test_tallied_writes_count_themselves():
    finals = {(e.world.vars["counter"], e.world.vars["writes"]) for e in all_executions(tallied_racy_counter(2))}
    assert finals == {(1, 2), (2, 2)}
