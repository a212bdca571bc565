"""Properties as named data with a kind and a scope, checked by the explorer.

The kind says how often a property must hold:
- `always(name, check)`: after every step, in every state, or in every final state the
  search visits (`at_end(name, holds)` is short for `always(name, on_end(holds))`);
- `sometimes(name, check)`: at least once in the whole search, so that a search that
  never enters the interesting window ends *vacuous* instead of passing.

The scope says what the predicate reads, and so which reductions can preserve it
(a strategy refuses a property whose scope its reduction cannot preserve):
- `on_step(holds)`: the step just taken: its actor, effect, result or error, and how
  the actor ended if that was its last step (`Step.ended`). Nothing else;
- `on_state(holds, reads=...)`: the world between steps (the initial state included).
  `reads` names the resources the predicate reads, in footprint terms (`"var/x"`); a
  partial-order reduction can preserve such a property only when it knows them;
- `on_end(holds)`: a final state (no actor can move any more): the `End`, the world
  and how every actor ended.

No predicate sees the history of earlier steps: state caching and partial-order
reduction cannot preserve a property of the order of steps, so none can be written.
The built-in deadlock check (`NO_DEADLOCK`) is added by the explorer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from unpack_race.scheduler.kernel import ActorEnd, Step


class Kind(enum.Enum):
    """How often a property must hold: always, or at least once in the whole search."""

    ALWAYS = "always"
    SOMETIMES = "sometimes"


class Scope(enum.Enum):
    """What a property's predicate reads (see the module docstring)."""

    ON_STEP = "on-step"  # the step just taken and its result
    ON_STATE = "on-state"  # the world between steps, through declared resources
    AT_END = "at-end"  # the final state


@attrs.frozen
class End:
    """What an `at_end` predicate sees: the final world and how each actor ended."""

    world: Any
    actors: tuple[ActorEnd, ...]

    def actor(self, name: str) -> ActorEnd:
        for end in self.actors:
            if end.name == name:
                return end
        raise KeyError(f"no actor named {name!r} (actors: {', '.join(a.name for a in self.actors)})")


@attrs.frozen
class OnStep:
    """A predicate of the step just taken."""

    holds: Callable[[Step], bool]


@attrs.frozen
class OnState:
    """A predicate of the world between steps, with the resources it reads (None: not
    declared)."""

    holds: Callable[[Any], bool]
    reads: frozenset[str] | None = None


@attrs.frozen
class OnEnd:
    """A predicate of a final state."""

    holds: Callable[[End], bool]


def on_step(holds: Callable[[Step], bool]) -> OnStep:
    """`holds(step)` judges the step just taken (see `Step`)."""
    return OnStep(holds)


def on_state(holds: Callable[[Any], bool], reads: Iterable[str] | None = None) -> OnState:
    """`holds(world)` judges the world between steps; `reads` names the resources it
    reads, as footprints name them (needed under partial-order reduction)."""
    return OnState(holds, None if reads is None else frozenset(reads))


def on_end(holds: Callable[[End], bool]) -> OnEnd:
    """`holds(end)` judges a final state (see `End`)."""
    return OnEnd(holds)


@attrs.frozen
class Property:
    """A named property with its kind and scope; build one with `always`, `sometimes` or
    `at_end` (the module docstring explains kinds and scopes). `explain(argument)` may
    add details to a violation's message."""

    name: str
    kind: Kind
    scope: Scope
    holds: Callable[[Any], bool]  # of a Step, a world or an End, by scope
    reads: frozenset[str] | None = None  # ON_STATE: the resources it reads
    description: str = ""
    explain: Callable[[Any], str] | None = None  # details for a failure, same argument

    def describe_scope(self) -> str:
        if self.scope is Scope.ON_STATE:
            reads = ", ".join(sorted(self.reads)) if self.reads is not None else "undeclared resources"
            return f"the state between steps (reads {reads})"
        return {Scope.ON_STEP: "the step just taken", Scope.AT_END: "the final state"}[self.scope]


Check = OnStep | OnState | OnEnd


def _scoped(name: str, kind: Kind, check: Check, description: str, explain) -> Property:
    if isinstance(check, OnStep):
        return Property(name, kind, Scope.ON_STEP, check.holds, None, description, explain)
    if isinstance(check, OnState):
        return Property(name, kind, Scope.ON_STATE, check.holds, check.reads, description, explain)
    if isinstance(check, OnEnd):
        return Property(name, kind, Scope.AT_END, check.holds, None, description, explain)
    raise TypeError(
        f"property {name!r}: say what the predicate reads: wrap it in on_step(...) (the step "
        f"just taken), on_state(..., reads=...) (the world between steps) or on_end(...) (a "
        f"final state); got {check!r}"
    )


def always(name: str, check: Check, description: str = "", explain=None) -> Property:
    """Must hold after every step, in every state, or in every final state."""
    return _scoped(name, Kind.ALWAYS, check, description, explain)


def sometimes(name: str, check: Check, description: str = "") -> Property:
    """Must hold after at least one step, in at least one state, or in at least one
    final state of the whole search."""
    return _scoped(name, Kind.SOMETIMES, check, description, None)


def at_end(name: str, holds: Callable[[End], bool], description: str = "", explain=None) -> Property:
    """Must hold in every final state: `holds(end)` with `end` an `End`."""
    return always(name, on_end(holds), description, explain)


NO_DEADLOCK = "no-deadlock"


@attrs.frozen
class Violation:
    """A property that failed, where, and why, in one sentence."""

    property: str
    step_index: int | None
    message: str
