"""Driving one actor of the model by hand, the way the kernel does: each yielded effect is
applied to a world and its result sent back (or its error thrown in), with an optional
hook that lets another party act just before a step (tests/model/test_rootfs.py,
test_remap.py). tests/model is on sys.path under pytest (a test file's own directory)."""

from __future__ import annotations

from collections.abc import Callable

import attrs
from unpack_race.model.errdefs import ContainerdError
from unpack_race.model.world import World
from unpack_race.scheduler.effect import Effect

Hook = Callable[[Effect, World], None]


@attrs.frozen
class Run:
    steps: list  # (effect, result or error)
    error: ContainerdError | None
    returned: object = None

    @property
    def names(self) -> list[str]:
        return [type(effect).__name__ for effect, _ in self.steps]

    def outcome(self, kind: type) -> list:
        return [outcome for effect, outcome in self.steps if isinstance(effect, kind)]


def drive(actor, world: World, before: Hook | None = None) -> Run:
    """Run one actor alone to its end; `before(effect, world)` runs before each step."""
    steps = []
    try:
        effect = next(actor)
        while True:
            if before is not None:
                before(effect, world)
            try:
                result = effect.apply(world)
            except ContainerdError as error:
                steps.append((effect, error))
                effect = actor.throw(error)
            else:
                steps.append((effect, result))
                effect = actor.send(result)
    except StopIteration as stop:
        return Run(steps, None, stop.value)
    except ContainerdError as error:
        return Run(steps, error)


def once_before(kind: type, key: Callable[[Effect], bool], act: Callable[[World], None]) -> Hook:
    """A hook that runs `act(world)` once, just before the first step of `kind` that `key` accepts."""
    done = []

    def hook(effect: Effect, world: World) -> None:
        if not done and isinstance(effect, kind) and key(effect):
            done.append(True)
            act(world)

    return hook
