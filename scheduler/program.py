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
from unpack_race.scheduler.echo import echo

ActorBody = Callable[[], Generator[Any, Any, Any]]


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
    unfinished when the others are done without that being a deadlock)."""

    name: str
    body: ActorBody = attrs.field(validator=lambda spec, _, body: check_factory(body, spec.name))
    daemon: bool = False


@attrs.frozen
class Program:
    """A world factory plus actors, in a fixed order (the order breaks every tie).

    The world is any object the effects understand. For state caching it must also have
    `fingerprint()`, returning a hashable value that is equal for equal states and
    independent of insertion order (sort mappings)."""

    name: str
    make_world: Callable[[], Any] = attrs.field(validator=lambda program, _, make: _check_world_factory(program, make))
    actors: tuple[ActorSpec, ...] = attrs.field(converter=tuple)
    #: called as on_exit(world, actor) when an actor returns or fails, for programs whose
    #: steps wait on other actors (a join); that last step then also writes `exit/<actor>`
    on_exit: Callable[[Any, str], None] | None = None

    def __attrs_post_init__(self) -> None:
        for index, actor in enumerate(self.actors):
            if not isinstance(actor, ActorSpec):
                raise ProgramError(f"program {self.name!r}: actor {index} is {echo(actor)}; write each actor as "
                                   f"ActorSpec(name, factory), the factory a generator function")
        names = [a.name for a in self.actors]
        if len(set(names)) != len(names):
            raise ValueError(f"program {self.name!r}: actor names must be unique, got {names}")

    def actor_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.actors)

    def all_daemons(self) -> Program:
        """The same program with every actor a daemon: an execution that ends with actors
        blocked is then just a final state, not a deadlock that stops a search."""
        return attrs.evolve(self, actors=tuple(attrs.evolve(a, daemon=True) for a in self.actors))


def _check_world_factory(program: Program, make_world: Any) -> None:
    if not callable(make_world):
        raise ProgramError(
            f"program {program.name!r}: make_world is {echo(make_world)}, not a factory; every execution starts "
            f"from a fresh world, so pass a zero-argument function that builds one (the class, or lambda: ...)"
        )
