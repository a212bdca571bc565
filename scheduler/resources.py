"""How a world's attributes map to footprint resources: the part of the footprint
protocol that lets the engine check footprints (`scheduler.lint`).

A footprint names resources as strings ("account/alice", "clock", "var/x"). To
check that a step's declared footprint covers what its `enabled()` and `apply()`
really touch, the lint runs the step against a world that records every attribute it
reads and writes (`scheduler.recorder`), and must turn those accesses into resource
names. A world class says how, in a class attribute `RESOURCES`:

    RESOURCES: ClassVar[ResourceMap] = ResourceMap(
        accounts=Keyed("account/{key}"),  # a dict or set: each entry is its own resource
        now=Scalar("clock"),              # one value, one resource
        overdraft=Constant(),             # fixed when the world is made, never written
        log=WriteOnly(),                  # bookkeeping: steps write it, none reads it,
    )                                     # and the fingerprint leaves it out

Reading a whole keyed attribute (iterating it, its length, comparing it) reads every
entry, `All(attribute)`, which only a footprint with `"*"` covers. Values inside an
entry belong to that entry: `world.accounts["alice"].frozen = True` writes
"account/alice".
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class All:
    """Every entry of a keyed attribute at once: what iterating it, asking its length or
    comparing it reads. Only `"*"` covers it."""

    attribute: str

    def __str__(self) -> str:
        return f"every entry of world.{self.attribute}"


Resource = str | All


@attrs.frozen
class Keyed:
    """A dict or set attribute whose entry `key` is the resource `pattern.format(key=key)`."""

    pattern: str

    def item(self, key: Any) -> str:
        return self.pattern.format(key=key)


@attrs.frozen
class Scalar:
    """An attribute that is one resource as a whole (a number, a flag, or a container
    whose every access counts as an access to that one resource)."""

    resource: str


@attrs.frozen
class Constant:
    """Set when the world is made and never written by a step (a code variant's switch):
    reading it needs no resource; writing it is a bug."""


@attrs.frozen
class WriteOnly:
    """Bookkeeping that steps may write without declaring it and that no step or
    property may read; the fingerprint leaves it out, and the commutation check ignores
    it."""


Spec = Keyed | Scalar | Constant | WriteOnly


class ResourceMap:
    """What each attribute of a world is, in footprint terms (see the module docstring)."""

    def __init__(self, **fields: Spec) -> None:
        for name, spec in fields.items():
            if not isinstance(spec, (Keyed, Scalar, Constant, WriteOnly)):
                raise TypeError(
                    f"resource map: {name}={spec!r}; say Keyed('res/{{key}}'), Scalar('res'), "
                    f"Constant() or WriteOnly()"
                )
        self.fields: dict[str, Spec] = dict(fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"ResourceMap({inner})"

    def spec(self, name: str) -> Spec | None:
        return self.fields.get(name)

    def write_only(self) -> frozenset[str]:
        return frozenset(n for n, s in self.fields.items() if isinstance(s, WriteOnly))

    def problems(self, world: Any) -> list[str]:
        """Attributes of `world` the map does not mention, and names it gives that the
        world does not have, as sentences."""
        present = state_attributes(world)
        cls = type(world).__name__
        out = [
            f"{cls}.RESOURCES does not say what world.{name} is: add {name}=Keyed(...), Scalar(...), "
            f"Constant() or WriteOnly()"
            for name in present if name not in self.fields
        ]
        out += [
            f"{cls}.RESOURCES names world.{name}, which a {cls} does not have"
            for name in self.fields if name not in present
        ]
        return out


def resource_map_of(world: Any) -> ResourceMap | None:
    """The world class's `RESOURCES`, or None if it declares none."""
    found = getattr(type(world), "RESOURCES", None)
    return found if isinstance(found, ResourceMap) else None


def state_attributes(world: Any) -> tuple[str, ...]:
    """The names of a world's own state: its attrs fields, or its instance attributes."""
    if attrs.has(type(world)):
        return tuple(f.name for f in attrs.fields(type(world)))
    return tuple(sorted(vars(world)))
