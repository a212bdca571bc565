"""Minimisation and dependency-respecting reordering, checked on small random programs
against brute force (DESIGN.md, "Tests"): every order of a run's steps that keeps each
dependent pair in order replays to the same outcomes and the same final state; the
reordering with the fewest preemptions is the best of all such orders; minimising a
violating schedule keeps the violation and never makes the schedule longer."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy_world import (
    all_executions,
    build,
    merges,
    program_specs,
    racy_counter,
    step_outcome,
    tallied_racy_counter,
    var,
)
from unpack_race.scheduler.choices import replay
from unpack_race.scheduler.explore import VIOLATION, explore
from unpack_race.scheduler.follow import SUBSEQUENCE, follow, follow_schedule
from unpack_race.scheduler.happens_before import (
    fewest_preemptions_order,
    happens_before,
    respects,
)
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.minimize import ddmin, measure, minimize
from unpack_race.scheduler.properties import always, on_state
from unpack_race.scheduler.run import count_preemptions as preemptions
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies import DepthFirst

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcomes(steps) -> list[str]:
    """The steps' outcomes, wherever in the order each happened."""
    return sorted(map(repr, map(step_outcome, steps)))


def run_order(program, steps, order):
    """Replay the steps in `order` strictly; the execution and the runnable actors before
    each step."""
    execution = replay(Execution(program, footprints=True), [ScheduledStep.of(steps[i]) for i in order])
    return execution, execution.runnable_log


def per_actor_indices(steps):
    by_actor: dict[str, list[int]] = {}
    for s in steps:
        by_actor.setdefault(s.actor, []).append(s.index)
    return list(by_actor.values())


@SETTINGS
@given(spec=program_specs(max_total_steps=7), picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=3))
def test_every_order_that_keeps_dependencies_replays_to_the_same_outcomes_and_final_state(spec, picks):
    program = build(spec, daemons=True)
    executions = list(all_executions(program))
    for pick in picks:
        execution = executions[pick % len(executions)]
        steps = tuple(execution.steps)
        graph = happens_before(steps)
        final = execution.world.fingerprint()
        expected = outcomes(steps)
        kept = 0
        for order in merges(per_actor_indices(steps)):
            if not respects(graph, order):
                continue
            kept += 1
            replayed, _ = run_order(program, steps, order)
            assert replayed.world.fingerprint() == final
            assert outcomes(replayed.steps) == expected
        assert kept >= 1  # the run's own order is one of them


@SETTINGS
@given(spec=program_specs(max_total_steps=7), pick=st.integers(0, 10_000))
def test_the_fewest_preemption_order_is_the_best_order_that_keeps_dependencies(spec, pick):
    program = build(spec, daemons=True)
    executions = list(all_executions(program))
    steps = tuple(executions[pick % len(executions)].steps)
    if not steps:
        return
    graph = happens_before(steps)
    order, exhaustive = fewest_preemptions_order(program, steps)
    assert exhaustive
    assert respects(graph, order)
    replayed, runnable = run_order(program, steps, order)
    assert replayed.world.fingerprint() == executions[pick % len(executions)].world.fingerprint()
    best = preemptions(replayed.steps, runnable)
    brute = min(
        preemptions(run[0].steps, run[1])
        for run in (run_order(program, steps, o) for o in merges(per_actor_indices(steps)) if respects(graph, o))
    )
    assert best == brute


def x_stays_below(limit: int):
    return always(f"x-below-{limit}", on_state(lambda world: world.vars["x"] < limit, reads={var("x")}), f"x stays below {limit}")


@SETTINGS
@given(spec=program_specs(max_total_steps=8), limit=st.integers(1, 3), pick=st.integers(0, 10_000))
def test_minimising_keeps_the_violation_never_grows_and_is_a_fixpoint(spec, limit, pick):
    program = build(spec, daemons=True)
    prop = x_stays_below(limit)
    violating = []
    for execution in all_executions(program):
        run = follow_schedule(program, tuple(ScheduledStep.of(s) for s in execution.steps), [prop], SUBSEQUENCE)
        if run.violation is not None:
            violating.append(run)
    if not violating:
        return
    original = violating[pick % len(violating)]
    steps = original.schedule()
    result = minimize(program, [prop], steps)
    assert len(result.steps) <= len(steps)
    assert result.after <= result.before == measure(original)
    again = follow_schedule(program, result.steps, [prop], SUBSEQUENCE)
    assert again.exact and again.violation is not None and again.violation.property == prop.name
    assert again.violation.step_index == len(result.steps) - 1
    assert measure(again) == result.after
    follow(program, result.steps)  # replays strictly
    twice = minimize(program, [prop], result.steps)
    assert twice.steps == result.steps and not twice.improved


def test_minimising_a_racy_counter_keeps_only_the_lost_update():
    program = tallied_racy_counter(3)
    prop = always("counter-is-what-was-written", on_state(
        lambda world: world.vars["counter"] >= world.vars["writes"], reads={var("counter"), var("writes")}))
    found = explore(program, DepthFirst(state_caching=False), [prop])
    assert found.verdict == VIOLATION
    steps = tuple(ScheduledStep.of(s) for s in found.counterexample)
    result = minimize(program, [prop], steps)
    assert len(result.steps) == 4  # two reads of 0, then two writes of 1
    assert len({s.actor for s in result.steps}) == 2
    assert result.after.preemptions == 1  # a lost update needs one: between a read and its write


# -- ddmin itself ----------------------------------------------------------------------------


@given(n=st.integers(1, 40), needed=st.sets(st.integers(0, 39), min_size=1, max_size=6))
def test_ddmin_finds_exactly_the_needed_items_of_a_monotone_failure(n, needed):
    needed = {i for i in needed if i < n} or {0}
    calls = []

    def fails(candidate):
        calls.append(candidate)
        return needed <= set(candidate)

    result = ddmin(tuple(range(n)), fails)
    assert result == tuple(sorted(needed))
    assert all(len(c) < n for c in calls)


def test_ddmin_takes_the_shorter_input_a_failing_test_reports():
    # a test that reports what it actually used (a run that skipped steps) lets ddmin
    # jump to it: here any candidate containing 5 fails, and the run uses only 5.
    result = ddmin(tuple(range(10)), lambda c: (5,) if 5 in c else False)
    assert result == (5,)


def test_ddmin_leaves_a_single_failing_item_alone():
    assert ddmin((7,), lambda c: True) == (7,)
    assert ddmin((), lambda c: True) == ()


def test_preemptions_count_switches_away_from_an_actor_that_could_still_move():
    program = racy_counter(2, rounds=1)
    for order, expected in ((["t0", "t0", "t1", "t1"], 0), (["t0", "t1", "t0", "t1"], 2)):
        execution = Execution(program)
        runnable = []
        for name in order:
            runnable.append(tuple(execution.runnable()))
            execution.step(name)
        assert preemptions(execution.steps, runnable) == expected
    assert list(itertools.islice(merges([[0, 1], [2]]), 5)) == [[0, 1, 2], [0, 2, 1], [2, 0, 1]]
