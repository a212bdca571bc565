"""resolveSnapshotOptions (client/snapshotter_opts_unix.go at 301026e58), the user-namespace
remapping that client.WithNewSnapshot runs before it prepares a container's snapshot
(model/containers.py), when the snapshot opts carry the containerd.io/snapshot/uidmapping
and gidmapping labels and the snapshotter lacks the remap-ids capability (overlayfs without
idmapped mounts and with slow_chown; native; btrfs). CRI reaches it too, for pods with user
namespaces (internal/cri/opts/container.go WithNewSnapshot wraps client.WithNewSnapshot).

  usernsID := digest of {Parent, IDMap}          -> userns_id(parent), symbolic
  if _, err := snapshotter.Stat(ctx, usernsID); err == nil {
      return usernsID, nil                       -> the remapped snapshot exists: used as the
  }                                                 parent, with no lease taken
  snapshotter.Prepare(ctx, usernsID+"-remap", parent)   -> errors returned as they are
  remapRootFS(ctx, mounts, idmap)                -> a chown in the backend: no metadata step
  snapshotter.Commit(ctx, usernsID, usernsID+"-remap")  -> errors returned as they are
  return usernsID

The remapped snapshot is committed under NewContainer's lease, which done() deletes when
NewContainer returns; from then on only the containers whose snapshots have it as their
parent keep it alive. Any Stat error, not only NotFound, falls through to the Prepare, as
in Go. `lease_first` is a fix idea, not in containerd: add the remapped snapshot to the ctx's
lease (leases.Manager.AddResource, as BuildKit's PR 6558 does for its top chain) before the
Stat, so that what the Stat finds is held when it is used.
"""

from __future__ import annotations

from collections.abc import Generator

import attrs
from unpack_race.model.errdefs import ContainerdError
from unpack_race.model.leases import SNAPSHOTS, AddResource
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Stat
from unpack_race.model.unpacker import Ctx
from unpack_race.model.world import Snapshot, World
from unpack_race.scheduler.effect import Effect

UIDMAP = "containerd.io/snapshot/uidmapping"  # snapshots.LabelSnapshotUIDMapping
GIDMAP = "containerd.io/snapshot/gidmapping"  # snapshots.LabelSnapshotGIDMapping
#: WithUserNSRemapperLabels for one mapping, as `ctr run --uidmap 0:1000:65536` gives
REMAP_LABELS = ((GIDMAP, "0:1000:65536"), (UIDMAP, "0:1000:65536"))


def userns_id(parent: str) -> str:
    """remappedSnapshot{Parent, IDMap}.ID(): a digest of the parent and the mapping; the
    model has one mapping, so a name derived from the parent."""
    return "sha256:remap-" + parent.removeprefix("sha256:")


def resolve_snapshot_options(ctx: Ctx, parent: str, lease_first: bool = False) -> Generator[Effect, object, str]:
    """resolveSnapshotOptions with the remap labels set: the parent to prepare on."""
    remapped = userns_id(parent)
    if lease_first:
        try:
            yield AddResource(ctx.lease, SNAPSHOTS, remapped)
        except ContainerdError as err:
            raise err.wrap(f"failed to lease snapshot {remapped}")
    try:
        yield Stat(remapped)
        return remapped  # found: used as it is, without a lease
    except ContainerdError:
        pass  # `if _, err := snapshotter.Stat(...); err == nil` : any error goes on
    key = remapped + "-remap"
    bkey, bparent = yield PrepareT1(key, parent, "", ctx.lease)
    yield PrepareT2(key, parent, bkey, bparent, ctx.lease)
    yield Commit(remapped, key, ctx.lease)
    return remapped


def remapped_snapshot(world: World, parent: str) -> str:
    """Put into `world` the remapped snapshot an earlier resolveSnapshotOptions committed on
    `parent` (its NewContainer's lease gone); return its name."""
    name = userns_id(parent)
    bkey = world.next_backend_key(name)
    world.snapshots[name] = Snapshot("committed", parent, bkey)
    world.backend[bkey] = "committed"
    below = world.snapshots[parent]
    world.snapshots[parent] = attrs.evolve(below, children=below.children | {name})
    return name
