"""Properties as named data, checked by the explorer.

- `always(name, holds)`: must hold after every step (and in the initial state);
- `sometimes(name, holds)`: must hold after at least one step of the whole search, so a
  search that never enters the interesting window fails as vacuous instead of passing;
- `at_end(name, holds)`: must hold in every final state (no actor can move any more).

A predicate takes an `Observation` and returns True when all is well. The built-in
deadlock check (`NO_DEADLOCK`) is added by the explorer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from unpack_race.scheduler.kernel import Execution, Step


@attrs.frozen
class Observation:
    """What a predicate may look at: the world, the step just taken (None in the initial
    state) and the execution (actor statuses, the steps so far)."""

    world: Any
    step: Step | None
    execution: Execution


Predicate = Callable[[Observation], bool]


@attrs.frozen
class Always:
    name: str
    holds: Predicate
    description: str = ""
    explain: Callable[[Observation], str] | None = None  # details for a failure


@attrs.frozen
class Sometimes:
    name: str
    holds: Predicate
    description: str = ""
    explain: Callable[[Observation], str] | None = None  # details for a failure


@attrs.frozen
class AtEnd:
    name: str
    holds: Predicate
    description: str = ""
    explain: Callable[[Observation], str] | None = None  # details for a failure


Property = Always | Sometimes | AtEnd

NO_DEADLOCK = "no-deadlock"


def always(name: str, holds: Predicate, description: str = "", explain=None) -> Always:
    return Always(name, holds, description, explain)


def sometimes(name: str, holds: Predicate, description: str = "") -> Sometimes:
    return Sometimes(name, holds, description)


def at_end(name: str, holds: Predicate, description: str = "", explain=None) -> AtEnd:
    return AtEnd(name, holds, description, explain)


@attrs.frozen
class Violation:
    """A property that failed, where, and why, in one sentence."""

    property: str
    step_index: int | None
    message: str
