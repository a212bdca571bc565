"""Image records (core/metadata/images.go) as client.Pull creates them."""

from __future__ import annotations

import attrs
from unpack_race.model.world import World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


@attrs.frozen
class CreateImage(Effect):
    """client.Pull's createNewImage (client/pull.go): images.Create, or Update on
    AlreadyExists (two transactions in Go, folded: nothing between them can change the
    outcome). An image is a GC root; it points at its manifest."""

    outcome_key = result_ignored  # no actor reads the result

    name: str
    target: str

    def apply(self, world: World) -> str:
        existed = self.name in world.images
        world.images[self.name] = self.target
        world.updated(f"image/{self.name}")  # Create commits, or fails and Update commits
        return "updated" if existed else "created"

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"image/{self.name}"})

    def narrate(self, actor, result, error) -> str:
        return f"{actor} {result} image {self.name} -> {self.target}"
