"""Toy programs for the lint tests: a board of integer variables with a resource map,
correct effects, and effects with the mistakes the lint must catch (the shared-memory
world of toy_world.py is correct on purpose; this one is wrong on purpose).

The module has a distinctive name because tests/ has no __init__.py files: pytest puts
this directory on sys.path (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar

import attrs
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.resources import Constant, Keyed, ResourceMap, WriteOnly


@attrs.define
class Board:
    """Integer variables (`var/<name>`), a write-only log and a constant rule."""

    RESOURCES: ClassVar[ResourceMap] = ResourceMap(vars=Keyed("var/{key}"), log=WriteOnly(), rule=Constant())

    vars: dict[str, int]
    log: list[str] = attrs.field(factory=list)
    rule: int = 1

    def fingerprint(self) -> Hashable:
        return tuple(sorted(self.vars.items()))


@attrs.define
class MaplessBoard:
    """A board that declares no resource map (the footprints cannot be checked)."""

    vars: dict[str, int]

    def fingerprint(self) -> Hashable:
        return tuple(sorted(self.vars.items()))


def var(name: str) -> str:
    return f"var/{name}"


@attrs.frozen
class Set(Effect):
    name: str
    value: int

    def apply(self, world) -> None:
        world.vars[self.name] = self.value

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={var(self.name)})


@attrs.frozen
class Copy(Effect):
    source: str
    target: str

    def apply(self, world) -> int:
        world.vars[self.target] = world.vars[self.source]
        return world.vars[self.target]

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={var(self.source)}, writes={var(self.target)})


@attrs.frozen
class Read(Effect):
    name: str

    def apply(self, world) -> int:
        return world.vars[self.name]

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={var(self.name)})


@attrs.frozen
class WaitFor(Effect):
    """Enabled once the variable is not 0."""

    name: str

    def enabled(self, world) -> bool:
        return world.vars[self.name] != 0

    def apply(self, world) -> None:
        return None

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={var(self.name)})


@attrs.frozen
class Logged(Effect):
    """Sets a variable and notes it in the write-only log (which needs no declaring)."""

    name: str
    value: int

    def apply(self, world) -> None:
        world.vars[self.name] = self.value
        world.log.append(self.name)

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={var(self.name)})


# -- the mistakes -----------------------------------------------------------------


@attrs.frozen
class CopyForgettingItsRead(Copy):
    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={var(self.target)})


@attrs.frozen
class SetForgettingItsWrite(Set):
    def footprint(self, world=None) -> Footprint:
        return Footprint()


@attrs.frozen
class WaitForDeclaringNothing(WaitFor):
    def footprint(self, world=None) -> Footprint:
        return Footprint()


@attrs.frozen
class Peek(Read):
    """Says its result is ignored; whether the actor reads it is up to the actor."""

    outcome_key = result_ignored


@attrs.frozen
class Sign(Read):
    """Keeps only the sign of what it read, for the state key."""

    def outcome_key(self, result: int) -> bool:
        return result > 0


@attrs.frozen
class ReadsTheLog(Effect):
    def apply(self, world) -> int:
        return len(world.log)

    def footprint(self, world=None) -> Footprint:
        return Footprint()


@attrs.frozen
class ChangesTheRule(Effect):
    def apply(self, world) -> None:
        world.rule = 2

    def footprint(self, world=None) -> Footprint:
        return Footprint()


@attrs.frozen
class WaitForThatSets(WaitFor):
    def enabled(self, world) -> bool:
        world.vars[self.name] = world.vars[self.name]
        return True


@attrs.frozen
class Indirect(Effect):
    """Writes the variable whose name is held in `pointer`; its footprint looks at the
    pointer but does not declare reading it."""

    pointer: str

    def apply(self, world) -> None:
        world.vars[f"v{world.vars[self.pointer]}"] = 1

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={var(f"v{world.vars[self.pointer]}")})


@attrs.frozen
class Explodes(Effect):
    def apply(self, world) -> None:
        raise RuntimeError("a bug in the model")

    def footprint(self, world=None) -> Footprint:
        return Footprint()


def program(*actors, board=None, mapless=False, on_exit=None, name="toy") -> Program:
    """A program of actors given as (name, list of effects) or (name, generator function),
    on a Board (a MaplessBoard if `mapless`) whose variables start as `board`."""
    initial = dict(board or {"x": 0, "y": 0, "z": 0})
    world = MaplessBoard if mapless else Board
    specs = [ActorSpec(actor, body if callable(body) else _steps(tuple(body))) for actor, body in actors]
    return Program(name, lambda: world(dict(initial)), tuple(specs), on_exit=on_exit)


def _steps(effects):
    def body():
        for effect in effects:
            yield effect

    return body
