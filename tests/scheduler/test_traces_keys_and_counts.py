"""Mazurkiewicz traces (scheduler/traces.py): happens-before, the canonical key and the
brute-force count, on hand-made executions, on programs whose counts are known by hand,
and on random programs against an independent reference (the classes obtained by
actually swapping adjacent independent steps)."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from toy_world import (
    Incr,
    Load,
    ProgramSpec,
    Read,
    Store,
    Write,
    all_executions,
    build,
    execute,
    independent_program,
    multinomial,
    opposite_locks,
    program,
    program_specs,
    racy_counter,
)
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.happens_before import dependent, happens_before
from unpack_race.scheduler.kernel import Execution, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.traces import (
    count_traces,
    equivalent,
    event_ids,
    foata_levels,
    trace_key,
)


def before(steps) -> tuple[frozenset[int], ...]:
    """For each step, the steps that happen before it (from the happens-before graph)."""
    graph = happens_before(steps)
    return tuple(frozenset(nx.ancestors(graph, s.index)) for s in steps)


def run(program: Program, actors: list[str]) -> tuple[Step, ...]:
    """The steps of `program` run along the given actors, with footprints."""
    return tuple(execute(program, actors).steps)


def spec_program(*actors: tuple) -> Program:
    """A program of actors a0, a1, ... from instruction tuples."""
    return build(ProgramSpec(tuple(actors)))


def two_writers(same_variable: bool) -> Program:
    return spec_program((Store("x", 1, False),), (Store("x" if same_variable else "y", 2, False),))


# -- hand-made executions ----------------------------------------------------------------


def test_two_independent_steps_give_one_trace_in_either_order():
    program = two_writers(same_variable=False)
    one, other = run(program, ["a0", "a1"]), run(program, ["a1", "a0"])
    assert trace_key(one) == trace_key(other)
    assert equivalent(one, other)
    assert foata_levels(one) == ((0, 1),)  # both at level 0, a0 first
    assert foata_levels(other) == ((1, 0),)


def test_two_dependent_steps_give_two_traces():
    program = two_writers(same_variable=True)
    one, other = run(program, ["a0", "a1"]), run(program, ["a1", "a0"])
    assert trace_key(one) != trace_key(other)
    assert not equivalent(one, other)
    assert foata_levels(one) == ((0,), (1,))


def test_a_read_and_a_write_of_the_same_variable_are_dependent_but_two_reads_are_not():
    program = spec_program((Load("x"),), (Load("x"),), (Store("x", 1, False),))
    steps = run(program, ["a0", "a1", "a2"])
    assert not dependent(steps[0], steps[1])
    assert dependent(steps[0], steps[2]) and dependent(steps[1], steps[2])
    # the write goes before or after each read, independently: 2 x 2 traces of 6 orders
    counted = count_traces(program)
    assert (counted.executions, counted.traces) == (6, 4)


def test_steps_of_one_actor_stay_in_order_even_when_their_footprints_do_not_conflict():
    program = spec_program((Load("x"), Load("y")))
    first, second = run(program, ["a0", "a0"])
    assert not first.footprint.conflicts_with(second.footprint)
    assert dependent(first, second)
    assert before((first, second)) == (frozenset(), frozenset({0}))


def test_happens_before_is_transitive_through_a_third_actor():
    # a0 writes x; a1 reads x, then writes y; a2 reads y. a0's write happens before a2's
    # read although they touch nothing in common. a3 reads z and is ordered with nothing.
    def one(effect):
        def body():
            yield effect

        return body

    def reader_then_writer():
        value = yield Read("x")
        yield Write("y", value)

    chain = program(
        "chain", {"x": 0, "y": 0, "z": 0},
        [("a0", one(Write("x", 1))), ("a1", reader_then_writer), ("a2", one(Read("y"))), ("a3", one(Read("z")))],
    )
    steps = run(chain, ["a3", "a0", "a1", "a1", "a2"])
    assert [s.actor for s in steps] == ["a3", "a0", "a1", "a1", "a2"]
    assert not dependent(steps[1], steps[4])
    assert before(steps) == (
        frozenset(),
        frozenset(),
        frozenset({1}),
        frozenset({1, 2}),
        frozenset({1, 2, 3}),
    )
    assert foata_levels(steps) == ((1, 0), (2,), (3,), (4,))


def test_the_key_names_each_step_by_actor_index_kind_and_arguments():
    steps = run(spec_program((Incr("x"), Store("y", 2, True))), ["a0", "a0"])
    assert event_ids(steps) == (
        ("a0", 0, "Increment", (("var", "x"),)),
        ("a0", 1, "Write", (("var", "y"), ("value", 3))),
    )
    assert trace_key(steps) == ((event_ids(steps)[0],), (event_ids(steps)[1],))
    hash(trace_key(steps))


def test_the_racy_counter_has_four_traces_among_its_six_interleavings():
    # The two reads commute; the writes and a read against the other's write do not:
    # r0 r1 w0 w1 ~ r1 r0 w0 w1, r0 r1 w1 w0 ~ r1 r0 w1 w0, and the two serial orders.
    program = racy_counter(2)
    assert trace_key(run(program, ["t0", "t1", "t0", "t1"])) == trace_key(run(program, ["t1", "t0", "t0", "t1"]))
    assert trace_key(run(program, ["t0", "t1", "t0", "t1"])) != trace_key(run(program, ["t0", "t0", "t1", "t1"]))
    counted = count_traces(program)
    assert (counted.executions, counted.traces) == (6, 4)
    assert {e.world.vars["counter"] for e in all_executions(program)} == {1, 2}
    assert counted.deadlocks == 0 and counted.exhausted


def test_steps_without_footprints_are_refused_with_a_message_that_says_what_to_do():
    execution = Execution(two_writers(same_variable=True))
    execution.step("a0")
    with pytest.raises(ValueError, match=r"footprints=True"):
        trace_key(execution.steps)


def test_a_step_with_an_empty_footprint_commutes_with_everything_of_other_actors():
    a = Step(0, "a", Write("x", 1), footprint=Footprint())
    b = Step(1, "b", Write("x", 2), footprint=Footprint.everything())
    assert not dependent(a, b)
    assert trace_key((a, b)) == trace_key((b, a))


# -- count_traces on programs with known counts --------------------------------------------


@pytest.mark.parametrize("sizes", [(1, 1), (2, 2), (3, 2), (2, 2, 2), (1, 1, 1, 1), (4,)])
def test_independent_actors_have_one_trace_and_the_multinomial_number_of_executions(sizes):
    counted = count_traces(independent_program(sizes))
    assert counted.executions == multinomial(sizes)
    assert counted.traces == 1
    assert len(counted.final_worlds) == 1


@pytest.mark.parametrize("sizes", [(1, 1), (2, 2), (3, 2), (2, 2, 2), (1, 1, 1, 1)])
def test_fully_dependent_actors_have_as_many_traces_as_executions(sizes):
    # every step increments the same variable: no two steps ever commute
    program = spec_program(*[(Incr("x"),) * n for n in sizes])
    counted = count_traces(program)
    assert counted.executions == counted.traces == multinomial(sizes)


def test_opposite_locks_deadlock_in_one_trace_of_two_interleavings():
    counted = count_traces(opposite_locks())
    assert counted.deadlocks == 2  # alice takes A and bob takes B, in either order
    deadlocked = [e for e in all_executions(opposite_locks()) if e.deadlocked()]
    assert len({trace_key(e.steps) for e in deadlocked}) == 1
    assert len(counted.final_worlds) == 2  # both locks free, or A and B held forever


def test_final_states_include_what_each_actor_read_not_only_the_world():
    # a1 reads x before or after a0 writes it: one final world, two final states
    counted = count_traces(spec_program((Store("x", 1, False),), (Load("x"),)))
    assert len(counted.final_worlds) == 1
    assert {ends for _, ends in counted.final_states} == {
        (("a0", ("returned", 0)), ("a1", ("returned", 0))),
        (("a0", ("returned", 0)), ("a1", ("returned", 1))),
    }


def test_a_blocked_actor_ends_waiting_on_its_next_step():
    deadlocked = {ends for _, ends in count_traces(opposite_locks()).final_states if ends[0][1][0] == "waiting"}
    assert len(deadlocked) == 1
    (alice, bob), = deadlocked
    assert alice[1][0] == bob[1][0] == "waiting"
    assert alice[1][1].describe() == "Lock(mutex='B')" and bob[1][1].describe() == "Lock(mutex='A')"


def test_count_traces_stops_at_max_executions_and_says_it_did_not_finish():
    counted = count_traces(independent_program((2, 2)), max_executions=4)
    assert counted.executions == 4 and not counted.exhausted
    assert count_traces(independent_program((2, 2)), max_executions=6).exhausted


# -- random programs against a reference -----------------------------------------------------


def swap_classes(program: Program) -> tuple[list[Execution], list[int]]:
    """The reference: every interleaving, grouped by actually swapping adjacent steps of
    different actors whose recorded footprints do not conflict (union-find over the
    actor sequences). Each swap must give another interleaving that exists and ends in
    the same world, which also checks that the footprints are exact."""
    executions = list(all_executions(program))
    index = {tuple(s.actor for s in e.steps): i for i, e in enumerate(executions)}
    parent = list(range(len(executions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, execution in enumerate(executions):
        steps = execution.steps
        actors = [s.actor for s in steps]
        for k in range(len(steps) - 1):
            a, b = steps[k], steps[k + 1]
            if a.actor != b.actor and not a.footprint.conflicts_with(b.footprint):
                swapped = tuple(actors[:k] + [b.actor, a.actor] + actors[k + 2 :])
                assert swapped in index, f"swapping steps {k}, {k + 1} of {actors} is not an interleaving"
                j = index[swapped]
                assert executions[j].world.fingerprint() == execution.world.fingerprint()
                parent[find(i)] = find(j)
    return executions, [find(i) for i in range(len(executions))]


@settings(max_examples=100, deadline=None)
@given(program_specs(max_total_steps=8))
def test_trace_keys_are_equal_exactly_when_interleavings_are_related_by_swaps(spec):
    program = build(spec)
    executions, classes = swap_classes(program)
    keys = [trace_key(e.steps) for e in executions]
    by_class: dict[int, set] = {}
    for cls, key in zip(classes, keys):
        by_class.setdefault(cls, set()).add(key)
    assert all(len(k) == 1 for k in by_class.values()), "one swap class has several keys"
    assert len(set(keys)) == len(by_class), "two swap classes share a key"
    counted = count_traces(program)
    assert counted.traces == len(by_class)
    assert counted.executions == len(executions)
    assert counted.final_worlds == {e.world.fingerprint() for e in executions}


@settings(max_examples=50, deadline=None)
@given(program_specs(max_total_steps=8))
def test_the_foata_form_is_itself_an_interleaving_of_the_same_trace(spec):
    program = build(spec)
    for execution in all_executions(program):
        order = [execution.steps[p].actor for level in foata_levels(execution.steps) for p in level]
        replayed = run(program, order)  # raises if an actor in `order` cannot move
        assert trace_key(replayed) == trace_key(execution.steps)
