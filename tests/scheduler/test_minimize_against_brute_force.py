"""Minimisation and dependency-respecting reordering, checked on small random programs
against brute force (DESIGN.md, "Tests"): every order of a run's steps that keeps each
dependent pair in order replays to the same outcomes and the same final state; the
reordering with the fewest preemptions is the best of all such orders; minimising a
violating schedule keeps the violation and never makes the schedule longer."""

from __future__ import annotations

import itertools

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from random_programs import all_executions
from unpack_race.scheduler.effect import Effect, Footprint
from unpack_race.scheduler.explore import VIOLATION, explore
from unpack_race.scheduler.follow import SUBSEQUENCE, follow_schedule
from unpack_race.scheduler.choices import replay
from unpack_race.scheduler.follow import follow
from unpack_race.scheduler.happens_before import fewest_preemptions_order, happens_before, respects
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.run import count_preemptions as preemptions
from unpack_race.scheduler.minimize import ddmin, measure, minimize
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.properties import always, on_state
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies import DepthFirst

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- small random programs, built here --------------------------------------------------------
# Each actor has a register r and runs a list of instructions, one atomic step each:
# ("read", v): r := v; ("write", v, c, plus): v := c or r + c; ("incr", v): v += 1, r := v;
# ("lock",) / ("unlock",): the one mutex m (taken and released in pairs, never nested);
# ("branch", c, a, b): instruction a if r >= c else b (a data step whose choice depends on
# what the actor read). Footprints are exact: var/<v> and mutex/m.


@attrs.define
class Memory:
    vars: dict = attrs.field(factory=lambda: {"x": 0, "y": 0})
    holder: str | None = None

    def fingerprint(self):
        return (tuple(sorted(self.vars.items())), self.holder)


@attrs.frozen
class Load(Effect):
    var: str

    def apply(self, world):
        return world.vars[self.var]

    def footprint(self, world=None):
        return Footprint.of(reads={f"var/{self.var}"})


@attrs.frozen
class Store(Effect):
    var: str
    value: int

    def apply(self, world):
        world.vars[self.var] = self.value

    def footprint(self, world=None):
        return Footprint.of(writes={f"var/{self.var}"})


@attrs.frozen
class Incr(Effect):
    var: str

    def apply(self, world):
        world.vars[self.var] += 1
        return world.vars[self.var]

    def footprint(self, world=None):
        return Footprint.of(reads={f"var/{self.var}"}, writes={f"var/{self.var}"})


@attrs.frozen
class Lock(Effect):
    owner: str

    def enabled(self, world):
        return world.holder is None

    def apply(self, world):
        world.holder = self.owner

    def footprint(self, world=None):
        return Footprint.of(writes={"mutex/m"})


@attrs.frozen
class Unlock(Effect):
    owner: str

    def apply(self, world):
        world.holder = None

    def footprint(self, world=None):
        return Footprint.of(writes={"mutex/m"})


def effect_of(ins, owner, r):
    kind = ins[0]
    if kind == "read":
        return Load(ins[1]), True
    if kind == "write":
        return Store(ins[1], r + ins[2] if ins[3] else ins[2]), False
    if kind == "incr":
        return Incr(ins[1]), True
    if kind == "lock":
        return Lock(owner), False
    if kind == "unlock":
        return Unlock(owner), False
    return effect_of(ins[2] if r >= ins[1] else ins[3], owner, r)


def build(spec) -> Program:
    def body_of(name, instructions):
        def body():
            r = 0
            for ins in instructions:
                effect, keeps = effect_of(ins, name, r)
                result = yield effect
                if keeps:
                    r = result

        return body

    actors = tuple(ActorSpec(f"a{i}", body_of(f"a{i}", ins), daemon=True) for i, ins in enumerate(spec))
    return Program(f"random{spec!r}", Memory, actors)


variables = st.sampled_from(("x", "y"))
data = st.one_of(
    st.tuples(st.just("read"), variables),
    st.tuples(st.just("write"), variables, st.integers(0, 2), st.booleans()),
    st.tuples(st.just("incr"), variables),
)
instruction = st.one_of(data, st.tuples(st.just("branch"), st.integers(0, 2), data, data))


@st.composite
def actor(draw, size):
    body = []
    while len(body) < size:
        if size - len(body) >= 3 and draw(st.booleans()):
            body += [("lock",), draw(instruction), ("unlock",)]
        else:
            body.append(draw(instruction))
    return tuple(body)


@st.composite
def program_specs(draw, max_total_steps=7):
    n = draw(st.integers(2, 3))
    sizes = [draw(st.integers(1, 3)) for _ in range(n)]
    while sum(sizes) > max_total_steps:
        sizes[sizes.index(max(sizes))] -= 1
    return tuple(draw(actor(size)) for size in sizes)


def interleavings(per_actor: list[list[int]]):
    """Every merge of the actors' index lists that keeps each list's order (brute force)."""
    total = sum(len(x) for x in per_actor)
    positions = [0] * len(per_actor)

    def extend(prefix):
        if len(prefix) == total:
            yield list(prefix)
            return
        for a, items in enumerate(per_actor):
            if positions[a] < len(items):
                prefix.append(items[positions[a]])
                positions[a] += 1
                yield from extend(prefix)
                positions[a] -= 1
                prefix.pop()

    yield from extend([])


def outcome(step):
    error = None if step.error is None else (type(step.error).__name__, str(step.error))
    return (step.actor, step.effect, step.result, error)


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
    program = build(spec)
    executions = list(all_executions(program))
    for pick in picks:
        execution = executions[pick % len(executions)]
        steps = tuple(execution.steps)
        graph = happens_before(steps)
        final = execution.world.fingerprint()
        outcomes = sorted(map(repr, map(outcome, steps)))
        kept = 0
        for order in interleavings(per_actor_indices(steps)):
            if not respects(graph, order):
                continue
            kept += 1
            replayed, _ = run_order(program, steps, order)
            assert replayed.world.fingerprint() == final
            assert sorted(map(repr, map(outcome, replayed.steps))) == outcomes
        assert kept >= 1  # the run's own order is one of them


@SETTINGS
@given(spec=program_specs(max_total_steps=7), pick=st.integers(0, 10_000))
def test_the_fewest_preemption_order_is_the_best_order_that_keeps_dependencies(spec, pick):
    program = build(spec)
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
        for run in (run_order(program, steps, o) for o in interleavings(per_actor_indices(steps)) if respects(graph, o))
    )
    assert best == brute


def x_stays_below(limit: int):
    return always(f"x-below-{limit}", on_state(lambda world: world.vars["x"] < limit, reads={"x"}), f"x stays below {limit}")


@SETTINGS
@given(spec=program_specs(max_total_steps=8), limit=st.integers(1, 3), pick=st.integers(0, 10_000))
def test_minimising_keeps_the_violation_never_grows_and_is_a_fixpoint(spec, limit, pick):
    program = build(spec)
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
    from scheduler_toys import tallied_racy_counter  # noqa: PLC0415 (the toys live beside the scheduler tests)

    program = tallied_racy_counter(3)
    prop = always("counter-is-what-was-written", on_state(
        lambda world: world.vars["counter"] >= world.vars["writes"], reads={"counter", "writes"}))
    found = explore(program, DepthFirst(), [prop])
    assert found.verdict == VIOLATION
    steps = tuple(ScheduledStep.of(s) for s in found.counterexample)
    result = minimize(program, [prop], steps)
    assert len(result.steps) == 4  # two reads of 0, then two writes of 1
    assert len({s.actor for s in result.steps}) == 2
    assert result.after.preemptions == 1


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
    from scheduler_toys import racy_counter  # noqa: PLC0415

    program = racy_counter(2, rounds=1)
    for order, expected in ((["t0", "t0", "t1", "t1"], 0), (["t0", "t1", "t0", "t1"], 2)):
        execution = Execution(program)
        runnable = []
        for name in order:
            runnable.append(tuple(execution.runnable()))
            execution.step(name)
        assert preemptions(execution.steps, runnable) == expected
    assert list(itertools.islice(interleavings([[0, 1], [2]]), 5)) == [[0, 1, 2], [0, 2, 1], [2, 0, 1]]
