"""The effect protocol: one atomic operation on shared state, described as data.

An actor yields an `Effect`; the kernel calls `enabled(world)` to know whether the actor
can move, `apply(world)` to perform the step, and sends the result back into the actor
(or throws the `Failure` that `apply` raised). Because an effect is a frozen value, the
kernel can look at every actor's next step before choosing one, and a schedule can name
it. `footprint(world)` says what the step would read and write if it were taken now, so
that two steps commute exactly when their footprints do not conflict.
"""

from __future__ import annotations

from typing import Any

import attrs

EVERYTHING = "*"


@attrs.frozen
class Footprint:
    """The shared resources one step reads and writes; `"*"` stands for everything.

    A step that takes or gives back a lock also says which (`acquires`, `releases`: the
    lock's resource, which it writes too). Dependence does not look at them; DPOR does,
    to race a lock with the previous lock of the same mutex rather than with the unlock
    between them, whose reversal could never run (strategies/dpor.py), and `lint` checks
    them (scheduler/lint/locks.py)."""

    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    acquires: frozenset[str] = frozenset()
    releases: frozenset[str] = frozenset()

    @classmethod
    def of(cls, reads=(), writes=(), acquires=(), releases=()) -> Footprint:
        return cls(frozenset(reads), frozenset(writes), frozenset(acquires), frozenset(releases))

    def writing(self, extra) -> Footprint:
        """This footprint, writing the resources `extra` too (its locks kept)."""
        return Footprint(self.reads, self.writes | extra, self.acquires, self.releases)

    def reading(self, extra) -> Footprint:
        """This footprint, reading the resources `extra` too (its locks kept)."""
        return Footprint(self.reads | extra, self.writes, self.acquires, self.releases)

    @classmethod
    def everything(cls) -> Footprint:
        return cls(frozenset(), frozenset({EVERYTHING}))

    @property
    def touched(self) -> frozenset[str]:
        """Every resource the step reads or writes."""
        return self.reads | self.writes

    def conflicts_with(self, other: Footprint) -> bool:
        """Two steps conflict when one writes what the other reads or writes. (Written
        out flat: the reduction calls it in its inner loop.)"""
        writes, reads = self.writes, self.reads
        other_writes, other_reads = other.writes, other.reads
        if writes and (other_reads or other_writes) and (
            EVERYTHING in writes
            or EVERYTHING in other_writes
            or EVERYTHING in other_reads
            or not writes.isdisjoint(other_writes)
            or not writes.isdisjoint(other_reads)
        ):
            return True
        return bool(
            other_writes and reads and (
                EVERYTHING in other_writes or EVERYTHING in reads or not other_writes.isdisjoint(reads)
            )
        )


class Failure(Exception):
    """A domain error raised by `Effect.apply`; the kernel throws it into the actor.

    Subclass it for a model's error kinds (the way Go code returns sentinel errors).
    """


class Effect:
    """Base class of effects. Subclasses are `attrs.frozen` classes.

    Their fields are the step's arguments; they must be JSON-friendly values (str, int,
    bool, None, tuples of those) so that a schedule can name the step.
    """

    __slots__ = ()

    #: whether the actor can crash just before this step (`scheduler.crashes`): False for a
    #: step that finishes a call the actor already made, which the callee completes
    #: whether or not the caller is still there (the second half of a remote call)
    crash_before: bool = True

    @property
    def name(self) -> str:
        """The effect's kind. A subclass field called `name` shadows this property, so
        the engine itself uses `effect_name(effect)`."""
        return effect_name(self)

    def enabled(self, world: Any) -> bool:
        """Whether the step can happen now; a disabled effect blocks its actor."""
        return True

    def blocked_on(self, world: Any) -> str:
        """Why the step cannot happen now, for deadlock reports."""
        return "its effect is disabled"

    def apply(self, world: Any) -> Any:
        """Perform the step on the world and return its result, or raise a Failure."""
        raise NotImplementedError(f"{effect_name(self)} does not implement apply()")

    def footprint(self, world: Any = None) -> Footprint:
        """What the step reads and writes if taken in `world` now (including what decides
        its outcome and whether it is enabled); by default it conflicts with everything.
        Without a world, what can be said from the arguments alone."""
        return Footprint.everything()

    def outcome_key(self, result: Any) -> Any:
        """The part of a successful result the actor can act on, for state keys. The
        default is all of it; an effect whose actor ignores (part of) its result may
        return less, so that states differing only there are recognised as one. It
        must never drop anything the actor's later behaviour depends on."""
        return result

    def args(self) -> dict[str, Any]:
        """The step's arguments as JSON data, in field order."""
        return {f.name: _json_value(getattr(self, f.name)) for f in attrs.fields(type(self))}

    def describe(self) -> str:
        """A short rendering such as `Stat(key='sha256:c1')`, used in traces."""
        inner = ", ".join(f"{k}={v!r}" for k, v in self.args().items())
        return f"{effect_name(self)}({inner})"

    def narrate(self, actor: str, result: Any, error: Failure | None) -> str:
        """One sentence, in the model's own words, saying what this step did."""
        if error is not None:
            return f"{actor}: {self.describe()} failed: {error}"
        return f"{actor}: {self.describe()} -> {result!r}"


def result_ignored(effect: Effect, result: Any) -> None:
    """An `outcome_key` for effects whose actors never look at a successful result."""
    return None


def effect_name(effect: Effect) -> str:
    """The effect's kind, its class name, as schedules and traces name it."""
    return type(effect).__name__


def _json_value(value: Any) -> Any:
    if isinstance(value, (tuple, list, frozenset)):
        items = sorted(value) if isinstance(value, frozenset) else value
        return [_json_value(v) for v in items]
    return value
