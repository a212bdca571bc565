"""Container records (core/metadata/containers.go at 301026e58) and the client calls that
make and delete them with their snapshot: client.NewContainer (client/client.go),
WithNewSnapshot (client/container_opts.go withNewSnapshot) and container.Delete with
WithSnapshotCleanup (client/container.go, client/container_opts.go).

A container record is a GC root: core/metadata/gc.go scanRoots sends every container, and
its references are its snapshot key (and its labels), so the container keeps its active
snapshot, and with it the snapshot's parent chain, alive (model/gc.py).

  NewContainer(ctx, id, WithNewSnapshot(id, image, opts...)):
    ctx, done := client.WithLease(ctx)         -> CreateLease (24 h); defer done -> DeleteLease
    parent := ChainID(image's diff IDs)        -> read of the image config: no step
    parent = resolveSnapshotOptions(parent)    -> model/remap.py
    s.Prepare(ctx, id, parent, opts...)        -> PrepareT1, PrepareT2 (error returned as is)
    ContainerService().Create(container)       -> CreateContainer
  container.Delete(ctx, WithSnapshotCleanup):
    s.Remove(ctx, c.SnapshotKey) (NotFound ignored), then ContainerService().Delete(id)
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import attrs
from unpack_race.model.client import done, lease_id
from unpack_race.model.errdefs import AlreadyExists, ContainerdError, NotFound
from unpack_race.model.leases import CreateLease
from unpack_race.model.snapshotter import PrepareT1, PrepareT2, Remove
from unpack_race.model.unpacker import Ctx, Steps
from unpack_race.model.world import Snapshot, World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored

#: resolveSnapshotOptions, or a variant of it: given the ctx and the image's chain ID,
#: yield effects and return the parent the container's snapshot is prepared on
ResolveParent = Callable[[Ctx, str], Generator[Effect, object, str]]


@attrs.frozen
class CreateContainer(Effect):
    """(*containerStore).Create: one write transaction; an existing ID is
    `container "<id>": already exists`. The record names its snapshot key."""

    outcome_key = result_ignored  # no actor reads the result

    id: str
    snapshot_key: str

    def apply(self, world: World) -> str:
        if self.id in world.containers:
            raise AlreadyExists(f'container "{self.id}"')  # Go: fmt.Errorf("container %q: %w", ...)
        world.containers[self.id] = self.snapshot_key
        return self.id

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"container/{self.id}"})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} cannot create container {self.id}: {error}"
        return f"{actor} creates container {self.id} on snapshot {self.snapshot_key!r} (a GC root from now on)"


@attrs.frozen
class DeleteContainer(Effect):
    """(*containerStore).Delete: one write transaction; a missing record is
    `container <id>: not found`; then db.dirty++ (s.db.dirty.Add(1))."""

    outcome_key = result_ignored  # no actor reads the result

    id: str

    def apply(self, world: World) -> str:
        if self.id not in world.containers:
            raise NotFound(f"container {self.id}")  # Go: fmt.Errorf("container %v: %w", id, ...)
        del world.containers[self.id]
        world.dirty += 1
        return self.id

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"container/{self.id}", "db/dirty"})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} cannot delete container {self.id}: {error}"
        return f"{actor} deletes container {self.id} (db dirty)"


def new_container(actor: str, id: str, chain: str, resolve: ResolveParent,
                  labels: tuple[tuple[str, str], ...] = ()) -> Steps:
    """client.NewContainer(ctx, id, WithNewSnapshot(id, image, opts)) by `actor`, for an
    image whose top chain ID is `chain`; `labels` are the snapshot opts' labels."""
    lease = lease_id(actor)
    yield CreateLease(lease, actor)
    ctx = Ctx(actor, lease)
    try:
        parent = yield from resolve(ctx, chain)
        bkey, bparent = yield PrepareT1(id, parent, "", lease)
        yield PrepareT2(id, parent, bkey, bparent, lease, labels)
        yield CreateContainer(id, id)
    except ContainerdError:
        yield from done(lease, actor)
        raise
    yield from done(lease, actor)


def delete_container(id: str, snapshot_key: str) -> Steps:
    """container.Delete(ctx, WithSnapshotCleanup): remove its snapshot, then its record.
    The ctx carries no lease (ctr, CRI's RemoveContainer)."""
    try:
        yield Remove(snapshot_key, "")
    except NotFound:
        pass  # `if err := s.Remove(ctx, c.SnapshotKey); err != nil && !errdefs.IsNotFound(err)`
    yield DeleteContainer(id)


def created_container(world: World, id: str, parent: str, labels: tuple[tuple[str, str], ...] = ()) -> None:
    """Put into `world` what an earlier NewContainer left: the record, and its active
    snapshot (keyed by the container ID) on `parent`; its lease is gone."""
    bkey = world.next_backend_key(id)
    world.snapshots[id] = Snapshot("active", parent, bkey, labels)
    world.backend[bkey] = "active"
    below = world.snapshots[parent]
    world.snapshots[parent] = attrs.evolve(below, children=below.children | {id})
    world.containers[id] = id
