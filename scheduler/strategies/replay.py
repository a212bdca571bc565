"""Replay: follow a recorded schedule step by step, and stop at the first step that no
longer fits, saying which step, what the schedule expected and what the actor would do
instead."""

from __future__ import annotations

from unpack_race.scheduler.effect import effect_name
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies.base import SingleExecution


class ReplayDivergence(Exception):
    """The schedule cannot be followed; the message is one line naming the step."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class Replay(SingleExecution):
    exhaustive = False

    def __init__(self, steps: tuple[ScheduledStep, ...]) -> None:
        self.steps = steps
        self._position = 0

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        index = self._position
        if index >= len(self.steps):
            return None
        self._position += 1
        return self._check(index, execution, runnable)

    def end_execution(self, execution: Execution) -> None:
        """Steps left over when no actor can move do not fit the model either."""
        if self._position < len(self.steps) and not execution.runnable():
            self._check(self._position, execution, [])

    def _check(self, index: int, execution: Execution, runnable: list[str]) -> str:
        expected = self.steps[index]
        where = f"step {index}: the schedule expects {expected.actor} to {expected.describe()}"
        try:
            actor = execution.actor(expected.actor)
        except KeyError:
            names = ", ".join(execution.program.actor_names())
            raise ReplayDivergence(index, f"{where}; there is no such actor (actors: {names})") from None
        effect = actor.pending
        if effect is None:
            raise ReplayDivergence(index, f"{where}; {expected.actor} has already finished")
        if effect_name(effect) != expected.effect or effect.args() != dict(expected.args):
            raise ReplayDivergence(
                index, f"{where}; {expected.actor}'s next effect is {effect.describe()}"
            )
        if expected.actor not in runnable:
            raise ReplayDivergence(
                index, f"{where}; {expected.actor} is blocked ({effect.blocked_on(execution.world)})"
            )
        return expected.actor

    @property
    def position(self) -> int:
        return self._position

    def describe(self) -> str:
        return "replay"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        return f"replay of one schedule ({len(self.steps)} steps), bounds {bounds}: {violations} violations"


def follow(program, steps: tuple[ScheduledStep, ...], finish: bool = False) -> Execution:
    """Run `program` along `steps` without checking properties and return the execution.
    With `finish`, carry on past the schedule's end, moving the first runnable actor each
    time, so that a reader can see how every actor ends. Raises ReplayDivergence."""
    replay = Replay(steps)
    replay.begin_execution()
    execution = Execution(program)
    while True:
        runnable = execution.runnable()
        if not runnable:
            replay.end_execution(execution)
            return execution
        choice = replay.choose(execution, runnable)
        if choice is None:
            if not finish:
                return execution
            choice = runnable[0]
        execution.step(choice)
