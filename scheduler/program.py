"""A program to run under the scheduler: how to build the world, and which actors act on it.

The kernel re-runs a program from the start for every execution (generator frames cannot
be copied), so both the world and the actors are built by factories.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import attrs

ActorBody = Callable[[], Generator[Any, Any, Any]]


@attrs.frozen
class ActorSpec:
    """One actor: a name, a zero-argument factory for its generator, and whether it is a
    daemon (a background actor, like a garbage collector, that may be left blocked or
    unfinished when the others are done without that being a deadlock)."""

    name: str
    body: ActorBody
    daemon: bool = False


@attrs.frozen
class Program:
    """A world factory plus actors, in a fixed order (the order breaks every tie).

    The world is any object the effects understand. For state caching it must also have
    `fingerprint()`, returning a hashable value that is equal for equal states and
    independent of insertion order (sort mappings)."""

    name: str
    make_world: Callable[[], Any]
    actors: tuple[ActorSpec, ...]
    #: called as on_exit(world, actor) when an actor returns or fails, for programs whose
    #: steps wait on other actors (a join); that last step then also writes `exit/<actor>`
    on_exit: Callable[[Any, str], None] | None = None

    def __attrs_post_init__(self) -> None:
        names = [a.name for a in self.actors]
        if len(set(names)) != len(names):
            raise ValueError(f"program {self.name!r}: actor names must be unique, got {names}")

    def actor_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.actors)

    def all_daemons(self) -> Program:
        """The same program with every actor a daemon: an execution that ends with actors
        blocked is then just a final state, not a deadlock that stops a search."""
        return attrs.evolve(self, actors=tuple(attrs.evolve(a, daemon=True) for a in self.actors))
