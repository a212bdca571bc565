"""A crash as a scheduler choice (scheduler/crashes.py): what it does to its actor, when it
can fall, its bound, restarts, and that every strategy stays sound with it: the reduced
and the stateful searches reach what brute force over the kernel reaches, the samplers
draw crashes, schedules record and replay them, the lint checks their footprints.

Expected numbers come from counting by hand (in the comments) or from brute force with
the kernel alone (toy_world.all_executions), never from the search under test."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from toy_world import (
    Increment,
    Load,
    Lock,
    Op,
    ProgramSpec,
    Read,
    Recording,
    Store,
    Unlock,
    Write,
    all_executions,
    build,
    history_key,
    opposite_locks,
    program,
    program_specs,
    var,
)
from unpack_race.reports.trace_text import actor_outcomes
from unpack_race.scheduler.choices import ReplayDivergence
from unpack_race.scheduler.crashes import Crash, crash_choice
from unpack_race.scheduler.effect import Effect, Footprint
from unpack_race.scheduler.explore import PASS, VIOLATION, PropertyScopeError, explore
from unpack_race.scheduler.kernel import Execution, HistoryInterner, Status
from unpack_race.scheduler.lint import lint
from unpack_race.scheduler.minimize import minimize_run
from unpack_race.scheduler.program import ActorSpec, Program, ProgramError
from unpack_race.scheduler.properties import NO_DEADLOCK, at_end
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.schedule import Schedule, ScheduledStep, ScheduleError
from unpack_race.scheduler.strategies import (
    PCT, POS, BreadthFirst, DepthFirst, Dpor, OptimalDpor, RandomWalk, SleepSetDepthFirst,
)
from unpack_race.scheduler.strategies.replay import Replay
from unpack_race.scheduler.traces import final_state, trace_key


def crashing(built: Program, crashable=(), restarts=None, max_crashes: int = 1) -> Program:
    """`built` with the named actors crashable and `restarts` (actor -> the actor it
    restarts) set."""
    restarts = restarts or {}
    actors = tuple(attrs.evolve(a, crashable=a.name in crashable, restarts=restarts.get(a.name))
                   for a in built.actors)
    return attrs.evolve(built, actors=actors, max_crashes=max_crashes)


def incrementer(variable: str, times: int):
    def body():
        for _ in range(times):
            yield Increment(variable)
    return body


def deferred_writer():
    """Increments x twice; its deferred code (a finally block) writes y := 1."""
    try:
        yield Increment("x")
        yield Increment("x")
    finally:
        yield Write("y", 1)


def brute(program: Program):
    executions = list(all_executions(program))
    return executions, [Run.of(e) for e in executions]


# -- what a crash does ----------------------------------------------------------------------


def test_a_crash_stops_its_actor_before_the_step_it_was_waiting_to_perform():
    # a increments x three times; it may crash before its 1st, 2nd or 3rd step, or never:
    # 4 executions, ending with x = 0, 1, 2 (crashed) and 3 (done).
    p = crashing(program("a-alone", {"x": 0}, [("a", incrementer("x", 3))]), crashable=("a",))
    executions, _ = brute(p)
    ends = sorted((e.world.vars["x"], e.actor("a").status) for e in executions)
    assert ends == [(0, Status.CRASHED), (1, Status.CRASHED), (2, Status.CRASHED), (3, Status.DONE)]
    crashed = next(e for e in executions if e.world.vars["x"] == 1)
    step = crashed.steps[-1]
    assert step.actor == crash_choice("a") and type(step.effect) is Crash
    assert type(step.effect.before) is Increment and step.ended.status is Status.CRASHED
    assert step.narrate() == ("a crashes before Increment(var='x'): it never moves again, and none of its "
                              "deferred code runs")


def test_a_crashed_actors_deferred_code_never_performs_a_step():
    # The finally block's Write(y, 1) is a step of its own: the crash can also fall just
    # before it. By hand: crash before step 1, 2 or the write -> y == 0; no crash -> y == 1.
    p = crashing(program("deferred", {"x": 0, "y": 0}, [("a", deferred_writer)]), crashable=("a",))
    executions, _ = brute(p)
    ends = sorted((e.world.vars["x"], e.world.vars["y"], e.actor("a").status.value) for e in executions)
    assert ends == [(0, 0, "crashed"), (1, 0, "crashed"), (2, 0, "crashed"), (2, 1, "done")]


def test_an_actor_not_marked_crashable_never_crashes_and_the_bound_caps_the_crashes():
    def three(max_crashes):
        return crashing(program("three", {"x": 0, "y": 0, "z": 0}, [
            ("a", incrementer("x", 1)), ("b", incrementer("y", 1)), ("c", incrementer("z", 1))]),
            crashable=("a", "b"), max_crashes=max_crashes)

    def crashed_sets(max_crashes):
        return {frozenset(x.name for x in e.actors if x.status is Status.CRASHED)
                for e in all_executions(three(max_crashes))}

    assert crashed_sets(1) == {frozenset(), frozenset("a"), frozenset("b")}
    assert crashed_sets(2) == {frozenset(), frozenset("a"), frozenset("b"), frozenset("ab")}
    assert crashed_sets(0) == {frozenset()}
    assert three(0).choice_names() == ("a", "b", "c")
    assert three(1).choice_names() == ("a", "b", "c", "crash(a)", "crash(b)")


def test_a_blocked_actor_cannot_crash_so_a_deadlock_is_still_a_final_state():
    # alice holds A and waits for B, bob holds B and waits for A: a deadlock. Both are
    # crashable and the budget allows a crash, but a crash falls only where its actor
    # could move, so no choice is left: the state is final, and a deadlock.
    p = crashing(opposite_locks(), crashable=("alice", "bob"))
    execution = Execution(p)
    assert execution.runnable() == ("alice", "bob", "crash(alice)", "crash(bob)")
    execution.step("alice")
    execution.step("bob")
    assert execution.runnable() == () and execution.deadlocked()
    assert "alice is blocked" in execution.pending("crash(alice)").blocked_on(execution.world)
    assert explore(p, DepthFirst()).violation.property == NO_DEADLOCK


@attrs.frozen
class SecondHalf(Op):
    """x := x + 10, the end of a call its actor already made: no crash falls before it."""

    crash_before = False
    takes_section = False

    def _apply(self, world):
        world.write("x", world.read("x") + 10)

    def _touches(self, world):
        return {var("x")}, {var("x")}

    def _say(self, result):
        return "finishes its call: x += 10"


def test_no_crash_falls_before_a_step_whose_effect_forbids_it():
    def caller():
        yield Increment("x")
        yield SecondHalf()

    p = crashing(program("call", {"x": 0}, [("a", caller)]), crashable=("a",))
    # crash before Increment (x = 0) or nothing; never between the two halves (x = 1)
    assert sorted(e.world.vars["x"] for e in all_executions(p)) == [0, 11]


def test_a_restart_starts_only_when_its_actor_crashes_and_otherwise_never():
    # a increments x twice and may crash; r, its restart, increments y once. By hand:
    # no crash: x = 2, y = 0, r never started; crash before a's 1st or 2nd step: y = 1.
    p = crashing(program("restart", {"x": 0, "y": 0}, [("a", incrementer("x", 2)), ("r", incrementer("y", 1))]),
                 crashable=("a",), restarts={"r": "a"})
    executions, _ = brute(p)
    ends = sorted((e.world.vars["x"], e.world.vars["y"], e.actor("r").status.value) for e in executions)
    assert ends == [(0, 1, "done"), (1, 1, "done"), (2, 0, "not started")]
    assert not any(e.deadlocked() for e in executions)
    never = next(e for e in executions if e.actor("r").status is Status.NOT_STARTED)
    assert "r: never started" in actor_outcomes(Run.of(never))


def test_a_restart_of_an_actor_that_cannot_crash_is_refused_in_one_line():
    with pytest.raises(ProgramError, match="restarts 'a', which is not crashable"):
        Program("p", dict, (ActorSpec("a", incrementer("x", 1)), ActorSpec("r", incrementer("x", 1), restarts="a")))
    with pytest.raises(ProgramError, match="the name of a crash choice"):
        Program("p", dict, (ActorSpec("a", incrementer("x", 1), crashable=True),
                            ActorSpec("crash(a)", incrementer("x", 1))))


@attrs.define
class Box:
    """A world of one number, with no record of who has ended."""

    value: int = 0

    def fingerprint(self) -> int:
        return self.value


@attrs.frozen
class Bump(Effect):
    def apply(self, world: Box) -> None:
        world.value += 1

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={"box"})


def bumper():
    yield Bump()


def test_the_state_key_tells_a_crashed_actor_from_one_that_has_not_moved():
    p = Program("key", Box, (ActorSpec("a", bumper, crashable=True), ActorSpec("b", bumper)))
    execution = Execution(p, HistoryInterner())
    before = execution.state_key()
    execution.step(crash_choice("a"))
    assert execution.world.fingerprint() == 0  # the world is unchanged: only a's history tells
    assert execution.state_key() != before
    # and so a DFS with state caching reaches both final states of b's bump: a done, a crashed
    recording = Recording()
    explore(p, DepthFirst(), on_run=recording)
    assert {(r.world.value, r.actor_end("a").status.value) for r in recording.runs if r.finished} == {
        (1, "crashed"), (2, "done")}


# -- soundness of every strategy, against brute force -------------------------------------

SEARCHES = {
    "dpor-source": lambda: Dpor(),
    "dpor-fg05": lambda: Dpor("fg05"),
    "dpor-no-sleep-sets": lambda: Dpor(sleep_sets=False),
    "dfs-state-caching": lambda: DepthFirst(),
    "dfs-sleep-sets": SleepSetDepthFirst,
    "dfs-plain": lambda: DepthFirst(state_caching=False),
    "bfs": lambda: BreadthFirst(),
}
EVERY_TRACE = {"dpor-source", "dpor-fg05", "dpor-no-sleep-sets", "dfs-plain"}


def agrees_with_brute_force(p: Program) -> None:
    executions, runs = brute(p)
    finals = {final_state(r) for r in runs}
    keys = {trace_key(r.steps) for r in runs}
    deadlock = any(e.deadlocked() for e in executions)
    for name, make in SEARCHES.items():
        recording = Recording()
        result = explore(p.all_daemons(), make(), on_run=recording)
        assert result.verdict == PASS, name
        assert set(recording.final_states) == finals, f"{name}: different final states"
        found = {trace_key(steps) for steps in recording.completed()}
        if name in EVERY_TRACE:
            assert found == keys, f"{name}: {len(keys - found)} of {len(keys)} traces never explored"
        else:
            assert found <= keys, name
        verdict = explore(p, make()).verdict
        assert (verdict == VIOLATION) == deadlock, f"{name}: deadlock verdict differs"


CRASH_SETUPS = {
    "a0 crashable": dict(crashable=("a0",)),
    "a0 and a1 crashable, one crash": dict(crashable=("a0", "a1")),
    "a0 and a1 crashable, two crashes": dict(crashable=("a0", "a1"), max_crashes=2),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=program_specs(max_total_steps=6))
def test_every_search_agrees_with_brute_force_on_random_programs_with_crashes(spec: ProgramSpec):
    for setup in CRASH_SETUPS.values():
        agrees_with_brute_force(crashing(build(spec), **setup))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=program_specs(min_actors=2, max_actors=3, max_total_steps=6))
def test_every_search_agrees_with_brute_force_on_random_programs_with_a_restart(spec: ProgramSpec):
    # a1 is a0's restart: it starts (from its first instruction) only if a0 crashes
    agrees_with_brute_force(crashing(build(spec), crashable=("a0",), restarts={"a1": "a0"}))


def test_fg05_reverses_the_write_before_a_restart_s_first_step_not_the_crash_that_let_it_start():
    # Hypothesis found it: FG05's rule raced a1's first read of y (a1 restarts a0) with
    # the crash alone, the last step it conflicts with, which cannot be reversed since
    # the crash is what lets a1 start; the race to reverse was with a2's earlier write of
    # y, and the traces in which a1 reads y before that write were lost
    spec = ProgramSpec(actors=((Load("x"), Load("x")), (Load("y"),),
                               (Load("x"), Store("y", 0, False), Store("x", 0, False))))
    agrees_with_brute_force(crashing(build(spec), crashable=("a0",), restarts={"a1": "a0"}))


def test_optimal_dpor_refuses_a_program_with_crashes_and_says_what_to_use():
    # with two crashes its sleep-set check lost a trace (a0: load x; a1: load x; load x)
    spec = ProgramSpec(actors=((Load("x"),), (Load("x"), Load("x"))))
    p = crashing(build(spec), crashable=("a0", "a1"), max_crashes=2)
    with pytest.raises(PropertyScopeError, match="crash.*--reduction source"):
        explore(p, OptimalDpor())


def test_brute_force_with_crashes_counts_what_a_hand_count_gives():
    # The harness's own check: a (2 increments of x, crashable) beside b (1 of y). By
    # hand: no crash, C(3,1) = 3 interleavings; crash before a's 1st step, [crash] with
    # [b]: 2; crash before a's 2nd, [a, crash] with [b]: 3. 8 in all.
    p = crashing(program("count", {"x": 0, "y": 0}, [("a", incrementer("x", 2)), ("b", incrementer("y", 1))]),
                 crashable=("a",))
    assert len(list(all_executions(p))) == 8
    # three distinct final states: a done (x = 2), crashed before its 1st (x = 0) or 2nd (x = 1) step
    assert len({history_key(e) for e in all_executions(p)}) == 3


# -- samplers draw crashes -----------------------------------------------------------------


def completes():
    return at_end("a-completes", lambda end: end.actor("a").status is Status.DONE, "a completes")


@pytest.mark.parametrize("make", [lambda: RandomWalk(runs=50, seed=1), lambda: PCT(runs=50, seed=1, depth=2),
                                  lambda: POS(runs=50, seed=1)], ids=["random", "pct", "pos"])
def test_every_sampler_draws_crashes(make):
    # a violation exists only where a crashes (a alone would always complete)
    p = crashing(program("sampled", {"x": 0, "y": 0}, [("a", incrementer("x", 3)), ("b", incrementer("y", 3))]),
                 crashable=("a",))
    assert explore(attrs.evolve(p, max_crashes=0), make(), [completes()]).verdict == PASS
    result = explore(p, make(), [completes()])
    assert result.verdict == VIOLATION
    assert any(type(s.effect) is Crash for s in result.run.steps)


# -- schedules, replay, minimisation -------------------------------------------------------


def crash_run():
    p = crashing(program("recorded", {"x": 0, "y": 0}, [("a", incrementer("x", 2)), ("b", incrementer("y", 1))]),
                 crashable=("a",))
    execution = Execution(p, footprints=True)
    for name in ("a", "b", crash_choice("a")):
        execution.step(name)
    return p, Run.of(execution)


def test_a_crash_is_recorded_in_a_schedule_by_its_actor_and_the_effect_it_came_before():
    p, run = crash_run()
    schedule = Schedule.of("toy", "v", {}, run.steps)
    data = json.loads(schedule.dumps())
    assert data["version"] == 3
    assert data["steps"][2] == {"actor": "a", "crash": True, "effect": "Increment", "args": {"var": "x"}}
    loaded = Schedule.loads(schedule.dumps())
    assert loaded.steps == schedule.steps
    assert loaded.steps[2].crashed == "a" and loaded.steps[2].describe() == "crash before Increment(var='x')"
    again = explore(p, Replay(loaded.steps)).run
    assert [(s.actor, s.effect) for s in again.steps] == [(s.actor, s.effect) for s in run.steps]
    loaded.check_names(p.actor_names())


def test_a_version_2_schedule_still_loads_and_a_schedule_without_a_crash_is_written_as_one():
    data = {"format": "unpack-race.schedule", "version": 2, "scenario": "toy", "variant": "v",
            "steps": [{"actor": "a", "effect": "Increment", "args": {"var": "x"}}]}
    loaded = Schedule.loads(json.dumps(data))
    assert loaded.steps == (ScheduledStep("a", "Increment", {"var": "x"}),)
    assert json.loads(loaded.dumps())["version"] == 2
    data["steps"][0]["crash"] = True
    with pytest.raises(ScheduleError, match=r"field steps\[0\]\.crash: schedule version 2 has no crash steps"):
        Schedule.loads(json.dumps(data))


def test_a_crash_that_does_not_fit_the_program_says_why_in_one_line():
    p, run = crash_run()
    not_crashable = attrs.evolve(p, actors=tuple(attrs.evolve(a, crashable=False) for a in p.actors))
    steps = Schedule.of("toy", "v", {}, run.steps).steps
    with pytest.raises(ReplayDivergence, match=r"step 2: .* a to crash before Increment\(var='x'\); a cannot crash "
                                                r"in this program \(crashable: none\)"):
        explore(not_crashable, Replay(steps))
    early = (steps[2],)  # a's next effect is its first Increment: the arguments still fit...
    assert explore(p, Replay(early)).run.steps[0].actor == crash_choice("a")
    wrong = (ScheduledStep.crash("a", "Write", {"var": "x", "value": 1}),)
    with pytest.raises(ReplayDivergence, match=r"a's next effect is Increment\(var='x'\)"):
        explore(p, Replay(wrong))


def test_minimising_a_violation_that_needs_a_crash_keeps_the_crash():
    p = crashing(program("minimal", {"x": 0, "y": 0}, [("a", incrementer("x", 3)), ("b", incrementer("y", 3))]),
                 crashable=("a",))
    found = explore(p, RandomWalk(runs=50, seed=1), [completes()])
    minimal = minimize_run(p, [completes()], found.run, found.violation)
    # By hand: an at_end property is judged only at a final state, so b's three steps stay;
    # a crash of a before its first step is enough, so none of a's steps is needed.
    moves = sorted((s.actor, type(s.effect).__name__) for s in minimal.run.steps)
    assert moves == [("b", "Increment")] * 3 + [("crash(a)", "Crash")]


# -- the lint checks a crash's footprint ------------------------------------------------------


def reader():
    yield Read("x")
    yield Read("y")


def lint_program() -> Program:
    def locked():
        yield Lock("m")
        value = yield Read("x")
        yield Write("x", value + 1)
        yield Unlock("m")

    return crashing(program("linted", {"x": 0, "y": 0}, [("a", reader), ("b", locked), ("r", incrementer("y", 1))],
                            ("m",)), crashable=("a", "b"), restarts={"r": "a"})


def test_the_lint_finds_the_footprints_of_crashes_and_restarts_clean():
    report = lint(lint_program())
    assert report.coverage.complete and not report.findings, [f.summary for f in report.findings]


def test_the_lint_catches_a_kernel_that_forgets_what_a_crash_conflicts_with(monkeypatch):
    # Without the kernel's ~alive/<actor> reads, a crash would look independent of its own
    # actor's read-only steps and of its restart's steps: DPOR could swap them.
    monkeypatch.setattr(Program, "footprint", lambda self, actor, effect, world: effect.footprint(world))
    report = lint(lint_program())
    summaries = [f.summary for f in report.findings if f.kind == "enabling"]
    assert any("crash(a)'s step crash before Read(var='x') stops a's step Read(var='x')" in s for s in summaries)
    assert any("starts r's step Increment(var='y')" in s for s in summaries)
