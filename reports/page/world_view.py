"""How a page shows a world: a `WorldView` turns it into sections of named rows (section
-> key -> text), and says what a step did beyond its change of state (`notes`: a GC's
marks and sweeps) and whether it belongs on the time line (`mark`: a cancellation, a
lease deleted). A model may bring its own view (model/world_view.py for containerd);
`GenericView` shows any world by its attributes, or else by its fingerprint.

`changes(before, after)` is the state diff a step caused: every row added, removed or
changed, in section and key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import attrs
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.world_values import show

Sections = Mapping[str, Mapping[str, str]]


class WorldView(Protocol):
    def sections(self, world: Any) -> Sections:
        """The world as sections of rows, section -> key -> text."""

    def notes(self, step: Step) -> tuple[str, ...]:
        """What the step did that its state diff does not show, in sentences."""

    def mark(self, step: Step) -> str | None:
        """A word or two for the time line if the step is an event worth a mark."""


class GenericView:
    """Any world: its attributes (one row each, under "variables"), or its fingerprint."""

    def sections(self, world: Any) -> Sections:
        if attrs.has(type(world)):
            return {"variables": {f.name: show(getattr(world, f.name)) for f in attrs.fields(type(world))}}
        if hasattr(world, "__dict__") and vars(world):
            return {"variables": {name: show(value) for name, value in sorted(vars(world).items())}}
        return {"world": {"fingerprint": show(world.fingerprint())}}

    def notes(self, step: Step) -> tuple[str, ...]:
        return ()

    def mark(self, step: Step) -> str | None:
        return None


@attrs.frozen
class Change:
    """One row of a state diff; `before` is None for a row added, `after` for one removed."""

    section: str
    key: str
    before: str | None
    after: str | None


def changes(before: Sections, after: Sections) -> tuple[Change, ...]:
    """Every row that differs between two views of a world."""
    found = []
    for section in sorted(set(before) | set(after)):
        old, new = before.get(section, {}), after.get(section, {})
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                found.append(Change(section, key, old.get(key), new.get(key)))
    return tuple(found)


__all__ = ["Change", "GenericView", "Sections", "WorldView", "changes"]
