"""Recorded choices and the one loop that replays them, with the one determinism check.

A stateless search cannot copy generator frames, so it reaches a state by running the
program again from the start along a recorded path of choices (as loom and shuttle do).
Every prefix replay in unpack-race goes through `replay()`: the exhaustive searches'
paths, continuations of a run, schedule files, and the checks that rebuild a state.

Each recorded step names the actor that moved and the effect it was waiting to perform,
and, where it was recorded, which actors could move. Replaying checks all three before
taking the step: the actor exists and has not finished, its pending effect is the
recorded one, it can move now, and the runnable actors are the ones recorded. A mismatch
stops the replay with one line naming the step, what was recorded and what was found:
`NondeterminismError` when the engine's own path no longer fits (the model is not
deterministic: a bug in the model), `ReplayDivergence` when a schedule does not fit the
program (bad input, or a schedule recorded under other code).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import attrs

from unpack_race.scheduler.effect import Effect
from unpack_race.scheduler.kernel import Execution, Step


class Recorded(Protocol):
    """A step as recorded: a `Choice`, or a schedule file's `ScheduledStep`."""

    actor: str

    @property
    def runnable(self) -> tuple[str, ...] | None: ...

    def matches(self, effect: Effect) -> bool: ...

    def describe(self) -> str: ...


@attrs.frozen
class Choice:
    """One choice the engine made: `actor` moved, waiting to perform `effect`, while the
    actors in `runnable` could move."""

    actor: str
    effect: Effect
    runnable: tuple[str, ...] | None = None

    def matches(self, effect: Effect) -> bool:
        return effect == self.effect

    def describe(self) -> str:
        return self.effect.describe()

    @classmethod
    def of(cls, step: Step, runnable: Iterable[str] | None = None) -> Choice:
        return cls(step.actor, step.effect, None if runnable is None else tuple(runnable))


class Divergence(Exception):
    """A recorded step that cannot be taken; the message is one line naming it."""

    #: how a message names what was recorded
    recorded_as = "the recording expects"

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class NondeterminismError(Divergence, RuntimeError):
    """The same choices led somewhere else: the model is not deterministic."""

    recorded_as = "replaying the same choices, the search recorded"

    def __init__(self, index: int, message: str) -> None:
        super().__init__(index, f"{message}; the model is not deterministic")


class ReplayDivergence(Divergence, ValueError):
    """A schedule that does not fit the program."""

    recorded_as = "the schedule expects"


def replay(
    execution: Execution,
    path: Iterable[Recorded],
    *,
    diverged: type[Divergence] = NondeterminismError,
    after: Callable[[Step], Any] | None = None,
) -> Execution:
    """Take the recorded steps in order on `execution`, checking each first (see the
    module docstring); `after(step)` is called after each. Raises `diverged`."""
    start = len(execution.steps)
    for offset, recorded in enumerate(path):
        index = start + offset
        runnable = execution.runnable()
        check(execution, index, recorded, runnable, diverged)
        step = execution.step(recorded.actor)
        if after is not None:
            after(step)
    return execution


def check(
    execution: Execution, index: int, recorded: Recorded, runnable: tuple[str, ...], diverged: type[Divergence]
) -> None:
    """Raise `diverged` unless `recorded` can be taken as step `index` now."""

    def where() -> str:  # only when raising: describing every replayed step is costly
        return f"step {index}: {diverged.recorded_as} {recorded.actor} to {recorded.describe()}"

    try:
        actor = execution.actor(recorded.actor)
    except KeyError:
        names = ", ".join(execution.program.actor_names())
        raise diverged(index, f"{where()}; there is no such actor (actors: {names})") from None
    effect = actor.pending
    if effect is None:
        raise diverged(index, f"{where()}; {recorded.actor} has already finished")
    if not recorded.matches(effect):
        raise diverged(index, f"{where()}; {recorded.actor}'s next effect is {effect.describe()}")
    if recorded.actor not in runnable:
        raise diverged(index, f"{where()}; {recorded.actor} is blocked ({effect.blocked_on(execution.world)})")
    expected = recorded.runnable
    if expected is not None and tuple(expected) != tuple(runnable):
        raise diverged(
            index,
            f"{where()}; the actors that could move were {list(expected)} then and are {list(runnable)} now",
        )
