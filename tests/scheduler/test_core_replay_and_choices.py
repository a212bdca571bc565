"""The engine core: the one prefix replay checks actor, effect and runnable set and says
where a path stops fitting; strategies see a read-only choice point; the choice tree
serialises and resumes; properties are checked once per new step, not again on a
replayed prefix; executions close their actors' generators."""

from __future__ import annotations

import gc
import json
import math
import sys

import pytest
from toy_world import (
    Increment,
    Lock,
    Read,
    Recording,
    Shared,
    Write,
    independent_program,
    program,
)
from unpack_race.scheduler.choice_point import ChoicePoint, Cut
from unpack_race.scheduler.choice_tree import ChoiceTree
from unpack_race.scheduler.choices import (
    Choice,
    Move,
    Named,
    NondeterminismError,
    ReplayDivergence,
    replay,
)
from unpack_race.scheduler.coverage import Facts, Kind
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.kernel import Execution, ProtocolError
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.properties import always, on_step
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies.base import SingleExecution
from unpack_race.scheduler.strategies.dfs import DepthFirst
from unpack_race.scheduler.verdict import Verdict


def reader_and_writer() -> Program:
    def reader():
        yield Read("x")
        yield Read("x")

    def writer():
        yield Write("x", 5)

    return program("rw", {"x": 0}, [("r", reader), ("w", writer)])


# -- the one replay ---------------------------------------------------------------------


def test_a_recorded_path_replays_and_records_the_runnable_actors_before_each_step():
    execution = replay(Execution(reader_and_writer()), [Move("r"), Move("w"), Move("r")])
    assert [s.actor for s in execution.steps] == ["r", "w", "r"]
    assert execution.runnable_log == [("r", "w"), ("r", "w"), ("r",)]
    assert execution.steps[2].result == 5


def test_a_replay_that_meets_another_effect_names_the_step_the_recorded_effect_and_the_one_found():
    path = [Choice("r", Read("x", thread="r")), Choice("r", Read("y", thread="r"))]
    with pytest.raises(NondeterminismError) as stopped:
        replay(Execution(reader_and_writer()), path)
    message = str(stopped.value)
    assert stopped.value.index == 1
    assert message == (
        "step 1: replaying the same choices, the search recorded r to Read(var='y'); r's next effect is "
        "Read(var='x'); the model is not deterministic"
    )


def test_a_schedule_that_does_not_fit_is_a_replay_divergence_with_the_schedules_words():
    steps = [ScheduledStep("w", "Write", {"var": "x", "value": 5}), ScheduledStep("w", "Write", {"var": "x", "value": 5})]
    with pytest.raises(ReplayDivergence, match=r"^step 1: the schedule expects w to Write\(var='x', value=5\); "
                                                 r"w has already finished$"):
        replay(Execution(reader_and_writer()), steps, diverged=ReplayDivergence)
    with pytest.raises(ReplayDivergence, match=r"there is no such actor \(actors: r, w\)"):
        replay(Execution(reader_and_writer()), [ScheduledStep("z", "Read", {"var": "x"})], diverged=ReplayDivergence)


def test_a_replay_checks_the_recorded_runnable_set_too():
    recorded = Choice("r", Read("x", thread="r"), runnable=("r",))  # recorded when w could not move
    with pytest.raises(NondeterminismError, match=r"the actors that could move were \['r'\] then and are "
                                                  r"\['r', 'w'\] now"):
        replay(Execution(reader_and_writer()), [recorded])


def test_a_replay_refuses_to_move_a_blocked_actor_and_says_why():
    def taker():
        yield Lock("m")

    locks = program("locks", {}, [("a", taker), ("b", taker)], ("m",))
    with pytest.raises(NondeterminismError, match=r"step 1: .* b is blocked \(mutex m is held by a\)"):
        replay(Execution(locks), [Move("a"), Choice("b", Lock("m", thread="b"))])


def test_an_effect_read_back_from_json_matches_by_kind_and_arguments():
    named = Named.of(Write("x", 5))
    assert named.matches(Write("x", 5)) and not named.matches(Write("x", 6)) and not named.matches(Read("x"))
    assert named.matches(Write("x", 5, thread="w"))  # the thread is the actor, not an argument
    assert Named.from_json(json.loads(json.dumps(named.to_json()))) == named
    assert named.describe() == Write("x", 5).describe()


# -- strategies decide, the explorer steps ------------------------------------------------


class Fixed(SingleExecution):
    """Moves the named actor at every choice point, whether it can move or not."""

    def __init__(self, actor: str) -> None:
        self.actor = actor
        self.seen: list[tuple] = []
        self.point: ChoicePoint | None = None

    def choose(self, point: ChoicePoint) -> str | Cut:
        self.point = point
        self.seen.append((point.runnable, point.depth, point.last, point.pending("w"),
                          point.footprint("w") if point.pending("w") else None))
        return self.actor if self.actor in point.runnable else point.runnable[0]

    def facts(self) -> Facts:
        return Facts(Kind.SINGLE_RUN, "fixed", "")


def test_a_choice_point_shows_the_state_but_offers_no_way_to_change_it():
    strategy = Fixed("w")
    explore(reader_and_writer(), strategy)
    runnable, depth, last, pending, footprint = strategy.seen[0]
    assert runnable == ("r", "w") and depth == 0 and last is None
    assert pending == Write("x", 5, thread="w") and footprint.writes == {"var/x"}
    point = strategy.point
    assert not any(hasattr(point, name) for name in ("world", "execution", "apply", "step_actor"))
    with pytest.raises(AttributeError):
        point.extra = 1  # __slots__: nothing can be hung on it either


def test_an_actor_that_cannot_move_is_refused_by_the_kernel():
    def blocked():
        yield Lock("m")

    def holder():
        yield Lock("m")
        yield Increment("x")

    held = program("held", {"x": 0}, [("a", holder), ("b", blocked)], ("m",))
    with pytest.raises(ProtocolError, match=r"step 1: b is blocked"):
        explore(held, _Then(["a", "b"]))


class _Then(SingleExecution):
    def __init__(self, order):
        self.order = list(order)

    def choose(self, point):
        return self.order.pop(0)

    def facts(self):
        return Facts(Kind.SINGLE_RUN, "scripted", "")


# -- properties are checked once per new step -------------------------------------------------


def distinct_prefixes(sizes: tuple[int, ...]) -> int:
    """The nodes below the root of the tree of interleavings of independent actors with
    these step counts: one per distinct non-empty prefix (multinomials of the counts
    taken, summed over every vector of counts within the sizes)."""
    total = 0

    def count(taken: list[int], i: int) -> None:
        nonlocal total
        if i == len(sizes):
            if sum(taken):
                total += math.factorial(sum(taken)) // math.prod(math.factorial(t) for t in taken)
            return
        for t in range(sizes[i] + 1):
            count(taken + [t], i + 1)

    count([], 0)
    return total


@pytest.mark.parametrize("sizes", [(1, 1), (2, 1), (2, 2), (1, 2, 1)])
def test_plain_dfs_checks_each_step_once_per_distinct_prefix_not_again_on_replays(sizes):
    calls = []
    result = explore(independent_program(sizes), DepthFirst(state_caching=False), [always("count", on_step(lambda s: calls.append(1) or True))])
    assert result.verdict is Verdict.PASS
    assert len(calls) == distinct_prefixes(sizes)
    assert result.steps > len(calls) or sizes == (1, 1)  # the prefixes replayed were not checked again


# -- the choice tree ------------------------------------------------------------------------


def test_a_choice_tree_written_to_json_and_read_back_resumes_the_same_search():
    program = independent_program((2, 1, 1))
    whole = Recording()
    explore(program, DepthFirst(state_caching=False), on_run=whole)

    first = DepthFirst(state_caching=False)
    head = Recording()
    explore(program, first, on_run=head, budget=_budget(5))
    saved = json.loads(json.dumps(first.tree.to_json()))
    resumed = DepthFirst(state_caching=False)
    resumed.tree = ChoiceTree.from_json(saved)
    tail = Recording()
    explore(program, resumed, on_run=tail)
    # the path handed out when the budget ran out was not run: the resumed search runs it
    assert len(head.interleavings()) == 5
    assert head.interleavings() + tail.interleavings() == whole.interleavings()
    assert len(whole.interleavings()) == math.factorial(4) // 2  # 4!/(2! 1! 1!)


def _budget(executions: int):
    from unpack_race.scheduler.explore import Budget

    return Budget(max_executions=executions)


def test_a_prefix_with_a_fixed_root_explores_only_the_continuations_of_that_run():
    program = independent_program((1, 1, 1))
    runs = Recording()
    explore(program, DepthFirst(state_caching=False, root=[Move("a1")]), on_run=runs)
    assert runs.interleavings() == [("a1", "a0", "a2"), ("a1", "a2", "a0")]


# -- generators are closed -----------------------------------------------------------------


def test_an_actor_that_yields_in_finally_is_closed_at_the_end_of_every_execution_without_a_warning(capfd):
    closed = []

    def stubborn():
        try:
            yield Increment("x")
            yield Increment("x")
        finally:
            closed.append(1)
            yield Increment("x")  # cleanup that would need another step

    for stubborn_program in (
        Program("stubborn", lambda: Shared({"x": 0}, frozenset()), (ActorSpec("s", stubborn),)),  # a bare generator
        program("stubborn", {"x": 0}, [("s", stubborn)]),  # through the threads' wrapper
    ):
        closed.clear()
        unraisable = []  # where Python reports "generator ignored GeneratorExit"
        hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
        try:
            explore(stubborn_program, _Stop())
            gc.collect()
        finally:
            sys.unraisablehook = hook
        assert closed == [1]
        assert unraisable == []
        assert "ignored GeneratorExit" not in capfd.readouterr().err


class _Stop(SingleExecution):
    """Takes one step, then cuts the execution: the actor is left suspended."""

    def __init__(self):
        self.taken = False

    def choose(self, point):
        if self.taken:
            return Cut("enough")
        self.taken = True
        return point.runnable[0]

    def facts(self):
        return Facts(Kind.SINGLE_RUN, "one step", "")
