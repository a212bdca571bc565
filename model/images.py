"""Image records (core/metadata/images.go): created by client.Pull, deleted by CRI
RemoveImage (model/remove_image.py)."""

from __future__ import annotations

import attrs
from unpack_race.model.errdefs import NotFound
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


@attrs.frozen
class DeleteImage(Effect):
    """(*imageStore).Delete (core/metadata/images.go at 301026e58; metadata/images.go in
    v1.6.31 and v1.7.16 does the same): one write transaction. No images bucket, or no
    bucket for the name: `image "<name>": not found`. Otherwise the bucket is deleted and
    db.dirty is incremented (HEAD: s.db.dirty.Add(1); 1.6: atomic.AddUint32). The image's
    content and snapshots are left to GC: deleting the record only removes a root.

    Left out: HEAD's removeImageLease (it drops the image from the ctx's lease, and CRI's
    RemoveImage ctx carries none) and the DeleteTarget check (CRI passes no target)."""

    outcome_key = result_ignored  # no actor reads the result

    name: str

    def apply(self, world: World) -> str:
        if self.name not in world.images:
            raise NotFound(f'image "{self.name}"')  # Go: fmt.Errorf("image %q: %w", name, ErrNotFound)
        del world.images[self.name]
        world.dirty += 1
        return self.name

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"image/{self.name}", "db/dirty"})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} cannot delete image {self.name}: {error}"
        return f"{actor} deletes image {self.name} (db dirty; what it rooted is left to GC)"
