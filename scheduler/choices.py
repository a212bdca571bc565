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

import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import attrs
from unpack_race.scheduler.crashes import crashed_by
from unpack_race.scheduler.echo import echo_text
from unpack_race.scheduler.effect import Effect, effect_name
from unpack_race.scheduler.kernel import Execution, Step


class Recorded(Protocol):
    """A step as recorded: a `Choice`, or a schedule file's `ScheduledStep`."""

    actor: str

    @property
    def runnable(self) -> tuple[str, ...] | None: ...

    def matches(self, effect: Effect) -> bool: ...

    def describe(self) -> str: ...


@attrs.frozen
class Named:
    """An effect as JSON names it, its kind and arguments (a choice read back from a
    file); it matches a pending effect of that kind with those arguments."""

    kind: str
    args: str  # the arguments as JSON, in field order (hashable, unlike a dict)

    @classmethod
    def of(cls, effect: Effect) -> Named:
        return cls(effect_name(effect), json.dumps(effect.args()))

    def matches(self, effect: Effect) -> bool:
        return effect_name(effect) == self.kind and effect.args() == json.loads(self.args)

    def describe(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in json.loads(self.args).items())
        return f"{self.kind}({inner})"

    def to_json(self) -> dict[str, Any]:
        return {"effect": self.kind, "args": json.loads(self.args)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Named:
        return cls(data["effect"], json.dumps(data["args"]))


@attrs.frozen
class Choice:
    """One choice the engine made: `actor` moved, waiting to perform `effect`, while the
    actors in `runnable` could move."""

    actor: str
    effect: Effect | Named
    runnable: tuple[str, ...] | None = None

    def matches(self, effect: Effect) -> bool:
        if type(self.effect) is Named:
            return self.effect.matches(effect)
        return effect == self.effect

    def describe(self) -> str:
        return self.effect.describe()

    @classmethod
    def of(cls, step: Step, runnable: Iterable[str] | None = None) -> Choice:
        return cls(step.actor, step.effect, None if runnable is None else tuple(runnable))


@attrs.frozen
class Move:
    """A step recorded only by its actor: `actor` moves, whatever its next effect is."""

    actor: str
    runnable = None

    def matches(self, effect: Effect) -> bool:
        return True

    def describe(self) -> str:
        return "take its next step"


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
    known = execution.has_choice(recorded.actor)
    effect = execution.pending(recorded.actor) if known else None
    expected = recorded.runnable
    if (
        effect is not None
        and recorded.actor in runnable
        and recorded.matches(effect)
        and (expected is None or tuple(expected) == runnable)
    ):
        return
    target = crashed_by(recorded.actor)
    if target is not None and execution.actor_or_none(target) is not None:
        _crash_diverged(execution, index, recorded, target, effect, known, diverged)
    who = echo_text(recorded.actor)  # (from a file: any text)
    where = f"step {index}: {diverged.recorded_as} {who} to {recorded.describe()}"
    if not known:
        names = ", ".join(execution.program.actor_names())
        raise diverged(index, f"{where}; there is no such actor (actors: {names})")
    if effect is None:
        raise diverged(index, f"{where}; {who} has already finished")
    if not recorded.matches(effect):
        raise diverged(index, f"{where}; {recorded.actor}'s next effect is {effect.describe()}")
    if recorded.actor not in runnable:
        raise diverged(index, f"{where}; {recorded.actor} is blocked ({effect.blocked_on(execution.world)})")
    raise diverged(
        index, f"{where}; the actors that could move were {list(expected)} then and are {list(runnable)} now"
    )


def _crash_diverged(execution: Execution, index: int, recorded: Recorded, target: str, crash: Effect | None,
                    known: bool, diverged: type[Divergence]) -> None:
    """Raise `diverged` for a recorded crash of `target` that cannot be taken, if the
    reason is the crash's own (else the caller's general messages apply)."""
    where = f"step {index}: {diverged.recorded_as} {echo_text(target)} to {recorded.describe()}"
    if not known:
        crashable = ", ".join(execution.program.crashable()) or "none"
        raise diverged(index, f"{where}; {target} cannot crash in this program (crashable: {crashable})")
    if crash is None:
        raise diverged(index, f"{where}; {target} has already crashed")
    if crash.before is None:
        raise diverged(index, f"{where}; {target} has already finished")
    if not recorded.matches(crash):
        raise diverged(index, f"{where}; {target}'s next effect is {crash.before.describe()}")
    if not crash.enabled(execution.world):
        raise diverged(index, f"{where}; it cannot be taken here: {crash.blocked_on(execution.world)}")
