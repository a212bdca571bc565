"""Properties and verdicts: `always` after every step, `sometimes` at least once,
`at_end` on final states only, the built-in deadlock check, and budgets."""

from __future__ import annotations

from toy_world import (
    Increment,
    Recording,
    Shared,
    independent_program,
    opposite_locks,
    program,
    waiter_on_closed_gate,
)
from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import (
    BUDGET,
    PASS,
    VACUOUS,
    VIOLATION,
    Budget,
    explore,
)
from unpack_race.scheduler.follow import follow
from unpack_race.scheduler.kernel import Status
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import (
    NO_DEADLOCK,
    always,
    at_end,
    on_state,
    on_step,
    sometimes,
)
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies import DepthFirst, RandomWalk


def shared_incrementers() -> Program:
    """p and q each increment the shared x twice: x ends at 4 in every execution."""

    def body():
        yield Increment("x")
        yield Increment("x")

    return program("shared-incrementers", {"x": 0}, [("p", body), ("q", body)])


def x_below(n: int):
    return on_state(lambda world: world.vars["x"] < n)


def world_after(program: Program, steps) -> Shared:
    return follow(program, tuple(ScheduledStep.of(s) for s in steps)).world


# -- always ---------------------------------------------------------------------------


def test_an_always_violation_stops_the_search_at_the_violating_step():
    recording = Recording()
    result = explore(shared_incrementers(), DepthFirst(state_caching=False), [always("x-below-3", x_below(3))], on_run=recording)
    assert result.verdict == VIOLATION
    assert result.violation.property == "x-below-3"
    # The first DFS execution is p, p, q, ...: x reaches 3 at step 2 and the search ends
    # there, neither finishing that execution nor starting another of the 6.
    assert result.executions == 1
    assert len(recording.executions) == 1
    assert [s.actor for s in result.counterexample] == ["p", "p", "q"]
    last = result.counterexample[-1]
    assert last.index == result.violation.step_index == len(result.counterexample) - 1
    assert last.result == 3
    assert world_after(shared_incrementers(), result.counterexample[:-1]).vars["x"] == 2
    assert world_after(shared_incrementers(), result.counterexample).vars["x"] == 3


def test_an_always_violation_message_names_the_step_and_what_it_did():
    result = explore(
        shared_incrementers(),
        DepthFirst(state_caching=False),
        [always("x-below-3", x_below(3), "x stays below 3", explain=lambda world: f"x is {world.vars['x']}")],
    )
    assert result.violation.message == (
        "x stays below 3: violated by step 2: q: increments x to 3 (x is 3)"
    )
    assert "violation of x-below-3" in claim(result) and "at step 2" in claim(result)


def test_an_always_property_false_in_the_initial_state_is_a_violation_with_no_steps():
    result = explore(shared_incrementers(), DepthFirst(state_caching=False), [always("x-is-positive", on_state(lambda world: world.vars["x"] > 0))])
    assert result.verdict == VIOLATION
    assert result.violation.step_index is None
    assert result.counterexample == ()
    assert "false in the initial state" in result.violation.message


def test_an_always_property_that_holds_everywhere_passes_the_exhaustive_search():
    result = explore(shared_incrementers(), DepthFirst(state_caching=False), [always("x-below-5", x_below(5))])
    assert result.verdict == PASS
    assert result.executions == 6


# -- sometimes -----------------------------------------------------------------------


def test_a_sometimes_property_never_reached_makes_the_verdict_vacuous():
    result = explore(
        shared_incrementers(),
        DepthFirst(state_caching=False),
        [sometimes("x-reaches-5", on_state(lambda world: world.vars["x"] == 5))],
    )
    assert result.verdict == VACUOUS
    assert not result.ok
    assert result.unreached == ("x-reaches-5",)
    assert result.reached == ()
    assert claim(result).startswith("vacuous: never reached x-reaches-5; exhaustive within bounds")
    assert result.executions == 6  # a sometimes property never stops the search


def test_a_sometimes_property_reached_once_passes_and_is_listed_as_reached():
    result = explore(
        shared_incrementers(),
        DepthFirst(state_caching=False),
        [
            sometimes("x-reaches-4", on_state(lambda world: world.vars["x"] == 4)),
            sometimes("q-moves-first", on_step(lambda step: step.index == 0 and step.actor == "q")),
        ],
    )
    assert result.verdict == PASS
    assert result.reached == ("x-reaches-4", "q-moves-first")
    assert result.unreached == ()


def test_a_state_property_sometimes_true_only_in_the_initial_state_is_reached():
    # a state property ranges over every state, the initial one included
    result = explore(shared_incrementers(), DepthFirst(state_caching=False), [sometimes("x-is-0", on_state(lambda world: world.vars["x"] == 0))])
    assert result.verdict == PASS and result.reached == ("x-is-0",)


def test_a_step_property_is_not_reached_by_the_initial_state():
    # a step property needs a step: no execution of a program without steps reaches it
    idle = program("idle", {"x": 0}, [])
    result = explore(idle, DepthFirst(state_caching=False), [sometimes("any-step", on_step(lambda step: True))])
    assert result.verdict == VACUOUS and result.unreached == ("any-step",)


# -- at_end --------------------------------------------------------------------------


def test_an_at_end_property_is_checked_only_on_final_states_once_per_execution():
    calls = []

    def holds(end) -> bool:
        calls.append((tuple(a.status for a in end.actors), end.world.vars["x"]))
        return True

    result = explore(shared_incrementers(), DepthFirst(state_caching=False), [at_end("ends-well", holds)])
    assert result.verdict == PASS
    assert calls == [((Status.DONE, Status.DONE), 4)] * 6


def test_a_predicate_false_midway_but_true_at_the_end_passes_as_at_end_and_fails_as_always():
    assert explore(shared_incrementers(), DepthFirst(state_caching=False), [at_end("x-is-4", lambda end: end.world.vars["x"] == 4)]).verdict == PASS
    as_always = explore(shared_incrementers(), DepthFirst(state_caching=False), [always("x-is-4", on_state(lambda world: world.vars["x"] == 4))])
    assert as_always.verdict == VIOLATION
    assert as_always.violation.step_index is None  # already false in the initial state


def test_an_at_end_violation_names_the_last_step_and_explains_itself():
    result = explore(
        shared_incrementers(),
        DepthFirst(state_caching=False),
        [at_end("x-is-3", lambda end: end.world.vars["x"] == 3, "x ends at 3", explain=lambda end: f"x is {end.world.vars['x']}")],
    )
    assert result.verdict == VIOLATION
    assert result.violation.step_index == 3 == result.counterexample[-1].index
    assert result.violation.message == "x ends at 3: false at the end of the execution: x is 4"


def test_an_at_end_property_is_not_checked_on_executions_cut_by_state_caching():
    calls = []
    recording = Recording()

    def holds(end) -> bool:
        calls.append(dict(end.world.vars))
        return True

    result = explore(independent_program((2, 2)), DepthFirst(state_caching=True), [at_end("ends", holds)], on_run=recording)
    assert result.verdict == PASS
    assert result.executions > len(calls) >= 1  # some executions were cut short
    assert calls == recording.final_vars == [{"x0": 2, "x1": 2}] * len(calls)


# -- deadlock ------------------------------------------------------------------------


def test_two_actors_taking_two_locks_in_opposite_order_deadlock():
    result = explore(opposite_locks(), DepthFirst(state_caching=False))
    assert result.verdict == VIOLATION
    violation = result.violation
    assert violation.property == NO_DEADLOCK == "no-deadlock"
    assert "\n" not in violation.message
    assert violation.message.startswith("deadlock: no actor can move; ")
    assert "alice waits to Lock(mutex='B') (mutex B is held by bob)" in violation.message
    assert "bob waits to Lock(mutex='A') (mutex A is held by alice)" in violation.message
    assert violation.step_index == result.counterexample[-1].index
    assert world_after(opposite_locks(), result.counterexample).holders == {"A": "alice", "B": "bob"}


def test_a_random_walk_also_reports_the_deadlock():
    result = explore(opposite_locks(), RandomWalk(runs=100, seed=1))
    assert result.verdict == VIOLATION
    assert result.violation.property == NO_DEADLOCK


def test_a_daemon_left_blocked_is_not_a_deadlock():
    result = explore(waiter_on_closed_gate(daemon=True), DepthFirst(state_caching=False))
    assert result.verdict == PASS
    assert result.executions == 1  # the daemon never moves, so there is no choice


def test_the_same_actor_left_blocked_is_a_deadlock_when_it_is_not_a_daemon():
    result = explore(waiter_on_closed_gate(daemon=False), DepthFirst(state_caching=False))
    assert result.verdict == VIOLATION
    assert result.violation.property == NO_DEADLOCK
    assert "watcher waits to Lock(mutex='gate')" in result.violation.message
    assert "the outside world" in result.violation.message
    assert "worker" not in result.violation.message  # it finished: it is not blocked


# -- budgets -------------------------------------------------------------------------


def test_a_search_stopped_by_its_execution_budget_is_not_a_pass():
    result = explore(shared_incrementers(), DepthFirst(state_caching=False), budget=Budget(max_executions=2))
    assert result.verdict == BUDGET
    assert result.executions == 2
    assert claim(result).startswith("budget ran out before a verdict; covered so far:")


def test_a_budget_exactly_as_large_as_the_search_still_gives_a_verdict():
    result = explore(shared_incrementers(), DepthFirst(state_caching=False), budget=Budget(max_executions=6))
    assert result.verdict == PASS
    assert result.executions == 6
