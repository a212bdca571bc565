"""A program to run under the scheduler: how to build the world, and which actors act on it.

The kernel re-runs a program from the start for every execution (generator frames cannot
be copied), so both the world and the actors are built by factories. A program the
engine cannot run as written (a generator object where a factory belongs, a world
without the `fingerprint()` a search keys its states by) is refused with a
`ProgramError` that names what was given and what to write instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Hashable
from typing import Any

import attrs
from unpack_race.scheduler.crashes import alive, crash_choice
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.effect import Footprint

ActorBody = Callable[[], Generator[Any, Any, Any]]

#: the resource every step of a program that `aborts_on` a failure reads, and the step
#: whose failure aborts it writes
ABORT = "~abort"


class ProgramError(TypeError):
    """A program the engine cannot run as written; its one-line message says what was
    given and what to write instead."""


def check_factory(body: Any, actor: str) -> Any:
    """`body`, if it can build the actor's generator afresh for every execution: a
    generator function, or any zero-argument callable that returns a generator."""
    if inspect.isgenerator(body):
        function = body.__name__
        raise ProgramError(
            f"actor {actor!r}: got a generator object ({function}() already called), which runs only once; "
            f"every execution restarts the actors, so pass the factory: {function} itself, or "
            f"lambda: {function}(...) to give it arguments"
        )
    if not callable(body):
        raise ProgramError(f"actor {actor!r}: got {echo(body)}, which is not callable; pass a generator function "
                           f"(a function that yields effects)")
    return body


def check_fingerprint(world: Any, program: str, needed_by: str) -> Hashable:
    """The world's fingerprint, for a search that keys states by it (`needed_by` names the
    search); ProgramError when the world has none or it is not hashable."""
    fingerprint = getattr(world, "fingerprint", None)
    if not callable(fingerprint):
        raise ProgramError(
            f"program {program!r}: {needed_by} keys every state by the world's fingerprint(), and the world "
            f"(a {type(world).__name__}) has none; give it `def fingerprint(self)` returning a hashable value, "
            f"equal for equal states (sort mappings and sets), or search with DepthFirst(state_caching=False)"
        )
    value = fingerprint()
    try:
        hash(value)
    except TypeError:
        raise ProgramError(
            f"program {program!r}: the world's fingerprint() returned {echo(value)}, which is not hashable; "
            f"return tuples (of sorted items, for mappings and sets), not lists, dicts or sets"
        ) from None
    return value


@attrs.frozen
class ActorSpec:
    """One actor: a name, a zero-argument factory for its generator, and whether it is a
    daemon (a background actor, like a garbage collector, that may be left blocked or
    unfinished when the others are done without that being a deadlock). `crashable`: the
    search may stop it at any step (scheduler.crashes); `restarts`: it is the restart of
    that (crashable) actor, and starts only when that one crashes."""

    name: str
    body: ActorBody = attrs.field(validator=lambda spec, _, body: check_factory(body, spec.name))
    daemon: bool = False
    crashable: bool = False
    restarts: str | None = None


@attrs.frozen
class Program:
    """A world factory plus actors, in a fixed order (the order breaks every tie).

    The world is any object the effects understand. For state caching it must also have
    `fingerprint()`, returning a hashable value that is equal for equal states and
    independent of insertion order (sort mappings)."""

    name: str
    make_world: Callable[[], Any] = attrs.field(validator=lambda program, _, make: _check_world_factory(program, make))
    actors: tuple[ActorSpec, ...] = attrs.field(converter=tuple)
    #: called as on_exit(world, actor) when an actor returns, fails or crashes, for programs
    #: whose steps wait on other actors (a join); that last step then also writes `exit/<actor>`
    on_exit: Callable[[Any, str], None] | None = None
    #: the most crashes of crashable actors in one execution (scheduler.crashes)
    max_crashes: int = 1
    #: the `Failure` types that abort the whole program when they escape an actor (C's
    #: abort() after a failed assert): the execution ends at that step, no actor moves
    #: after it, and actors left with work are not a deadlock. Every step then reads
    #: `~abort`, which such a step writes (it disables every other step).
    aborts_on: tuple[type, ...] = attrs.field(default=(), converter=tuple)
    #: actor -> the `~alive/...` resources its steps read (computed from the above)
    _alive_reads: dict[str, frozenset[str]] = attrs.field(init=False, eq=False, repr=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        for index, actor in enumerate(self.actors):
            if not isinstance(actor, ActorSpec):
                raise ProgramError(f"program {self.name!r}: actor {index} is {echo(actor)}; write each actor as "
                                   f"ActorSpec(name, factory), the factory a generator function")
        names = [a.name for a in self.actors]
        if len(set(names)) != len(names):
            raise ValueError(f"program {self.name!r}: actor names must be unique, got {names}")
        _check_crashes(self)
        crashable = set(self.crashable())
        for spec in self.actors:
            names = {spec.name, spec.restarts} & crashable
            if names:
                self._alive_reads[spec.name] = frozenset(alive(n) for n in sorted(names))

    def actor_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.actors)

    def crashable(self) -> tuple[str, ...]:
        """The actors the search may crash, in program order (none with max_crashes=0)."""
        if self.max_crashes == 0:
            return ()
        return tuple(a.name for a in self.actors if a.crashable)

    def choice_names(self) -> tuple[str, ...]:
        """Every name a strategy can choose: the actors in program order, then the crash of
        each crashable actor (`crash(A)`, scheduler.crashes), in program order."""
        return self.actor_names() + tuple(crash_choice(a) for a in self.crashable())

    def footprint(self, actor: str, effect: Any, world: Any) -> Footprint:
        """The footprint the kernel records for `actor`'s step `effect` in `world`: the
        effect's own, plus the scheduler's: a step of a crashable actor reads `~alive/<it>`
        and a step of a restart reads `~alive/<the actor it restarts>`, which the crash
        writes (scheduler.crashes); in a program that `aborts_on` a failure, every step
        reads `ABORT`, which the step that aborts writes."""
        found = effect.footprint(world)
        extra = self._alive_reads.get(actor)
        if self.aborts_on:
            extra = (extra or frozenset()) | {ABORT}
        return found.reading(extra) if extra else found

    def aborts(self, error: BaseException | None) -> bool:
        """Whether `error`, escaping an actor, aborts the whole program (`aborts_on`)."""
        return error is not None and isinstance(error, self.aborts_on)

    def all_daemons(self) -> Program:
        """The same program with every actor a daemon: an execution that ends with actors
        blocked is then just a final state, not a deadlock that stops a search."""
        return attrs.evolve(self, actors=tuple(attrs.evolve(a, daemon=True) for a in self.actors))


def _check_crashes(program: Program) -> None:
    """The crash bound is a whole number, a restart names a crashable actor of the
    program, and no actor's name is taken by the crash of another."""
    bound = program.max_crashes
    if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
        raise ProgramError(f"program {program.name!r}: max_crashes is {echo(bound)}; give the most crashes one "
                           f"execution may have, a whole number (0 for none)")
    specs = {a.name: a for a in program.actors}
    for spec in program.actors:
        if spec.restarts is None:
            continue
        target = specs.get(spec.restarts)
        if target is None or not target.crashable or target.name == spec.name:
            what = "is not an actor of the program" if target is None else (
                "is the actor itself" if target.name == spec.name else "is not crashable")
            raise ProgramError(f"program {program.name!r}: actor {spec.name!r} restarts {spec.restarts!r}, which "
                               f"{what}; a restart starts when a crashable actor crashes: mark that one "
                               f"ActorSpec(..., crashable=True)")
    taken = {crash_choice(a.name) for a in program.actors if a.crashable} & set(specs)
    if taken:
        name = sorted(taken)[0]
        raise ProgramError(f"program {program.name!r}: an actor is named {name!r}, the name of a crash choice "
                           f"(scheduler.crashes); rename it")


def _check_world_factory(program: Program, make_world: Any) -> None:
    if not callable(make_world):
        raise ProgramError(
            f"program {program.name!r}: make_world is {echo(make_world)}, not a factory; every execution starts "
            f"from a fresh world, so pass a zero-argument function that builds one (the class, or lambda: ...)"
        )
