"""Garbage collection (core/metadata/gc.go, core/metadata/db.go GarbageCollect,
plugins/gc/scheduler.go), containerd-semantics §4.

`GcCollect` is one atomic step: GC takes the database write lock exclusively, marks from
the roots in one read transaction and sweeps in one write transaction, so no metadata
write can fall inside it (Stat could, but a read sees either side; it does not matter).

Roots (scanRoots): every non-expired lease with its snapshots and content; every image
(-> its target); every container (-> its snapshot key); content and snapshots labelled
containerd.io/gc.root.
Edges (references): content -> content through containerd.io/gc.ref.content*; content ->
snapshot through containerd.io/gc.ref.snapshot.<snapshotter>; snapshot -> its parent.
There is no parent -> child edge. The sweep deletes every unmarked snapshot bucket
without touching its parent's children set (gc.go remove, §2.6), every unmarked blob,
and expired leases; then db.dirty = 0.

`BackendCleanup` is the later, separate snapshotter.garbageCollect (L848): it takes
s.l.Lock, so it waits for any createSnapshot between its T1 and T2, and removes backend
snapshots that no metadata bucket names. containerd runs it for each snapshotter the
sweep (or a Remove) marked dirty; the model leaves that flag out, since a cleanup with
nothing to remove changes nothing.

When GC may run is a policy:
- "scheduler" (the default of the containerd scenarios): whenever containerd's GC
  scheduler has a collection due (model/gc_scheduler.py: the first collection after
  startup, a ScheduleAndWait, a deletion since the last collection, or the mutation
  threshold), as often as one becomes due;
- "any", an over-approximation: at any step, up to a number of runs (unrelated activity
  on the node, other pulls' deletions and mutations, can make a collection due at any
  time);
- "dirty", the earlier abstraction: only while db.dirty > 0, up to a number of runs.
"""

from __future__ import annotations

from typing import Any

import attrs
from unpack_race.model import gc_scheduler
from unpack_race.model.leases import lease_expired
from unpack_race.model.names import GC_REF_CONTENT, GC_REF_SNAPSHOT, GC_ROOT
from unpack_race.model.world import GcConfig, World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored

SCHEDULER, ANY, DIRTY = "scheduler", "any", "dirty"
POLICIES = (SCHEDULER, ANY, DIRTY)


def daemon_gc(policy: str) -> dict[str, Any]:
    """A daemon's World fields for its GC under `policy`: under `scheduler`, the GC
    scheduler at plugins/gc/scheduler.go's defaults (`GcConfig`) and the daemon up and
    quiet (`gc_scheduler.quiet`); under `any` and `dirty`, which count nothing, none.
    Used as `World(..., **daemon_gc(policy))`."""
    return {"gc_config": GcConfig() if policy == SCHEDULER else None, "gc": gc_scheduler.quiet()}


@attrs.frozen
class GraphInput:
    """What GC saw, frozen: enough for an independent check of its verdicts."""

    snapshots: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]  # name, parent, labels
    leases: tuple[tuple[str, bool, frozenset[str], frozenset[str]], ...]  # id, expired, snaps, content
    images: tuple[tuple[str, str], ...]
    content: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    containers: tuple[tuple[str, str], ...] = ()  # id, snapshot key


@attrs.frozen
class GcReport:
    swept_snapshots: tuple[str, ...]
    swept_content: tuple[str, ...]
    swept_leases: tuple[str, ...]
    before: GraphInput
    due: tuple[str, ...] = ()  # under gc-policy scheduler: why the collection was due
    woken: tuple[str, ...] = ()  # the ScheduleAndWait callers it woke

    @property
    def marked_snapshots(self) -> tuple[str, ...]:
        """The snapshots the mark reached (every one GC saw that it did not sweep)."""
        return tuple(name for name, _, _ in self.before.snapshots if name not in self.swept_snapshots)

    @property
    def marked_content(self) -> tuple[str, ...]:
        """The blobs the mark reached."""
        return tuple(digest for digest, _ in self.before.content if digest not in self.swept_content)


def snapshot_refs(labels) -> list[str]:
    return [v for k, v in labels if k == GC_REF_SNAPSHOT or k.startswith(GC_REF_SNAPSHOT + "/")]


def content_refs(labels) -> list[str]:
    """containerd.io/gc.ref.content, alone or followed by "." or "/" and any suffix."""
    return [
        v for k, v in labels
        if k == GC_REF_CONTENT or k.startswith(GC_REF_CONTENT + ".") or k.startswith(GC_REF_CONTENT + "/")
    ]


def mark(world: World) -> tuple[set[str], set[str]]:
    """Tricolour marking from the roots; returns the marked (snapshots, content)."""
    snaps: set[str] = set()
    blobs: set[str] = set()
    snap_todo: list[str] = []
    blob_todo: list[str] = []
    for lease in world.leases.values():
        if not lease_expired(world, lease):
            snap_todo.extend(lease.snapshots)
            blob_todo.extend(lease.content)
    blob_todo.extend(world.images.values())
    snap_todo.extend(world.containers.values())
    blob_todo.extend(d for d, b in world.content.items() if any(k == GC_ROOT for k, _ in b.labels))
    snap_todo.extend(n for n, s in world.snapshots.items() if s.label(GC_ROOT) is not None)
    while snap_todo or blob_todo:
        if blob_todo:
            digest = blob_todo.pop()
            if digest in blobs:
                continue
            blobs.add(digest)
            blob = world.content.get(digest)
            if blob is not None:
                blob_todo.extend(content_refs(blob.labels))
                snap_todo.extend(snapshot_refs(blob.labels))
        else:
            name = snap_todo.pop()
            if name in snaps:
                continue
            snaps.add(name)
            snap = world.snapshots.get(name)
            if snap is not None and snap.parent:
                snap_todo.append(snap.parent)
    return snaps, blobs


def graph_input(world: World) -> GraphInput:
    return GraphInput(
        snapshots=tuple(sorted((n, s.parent, s.labels) for n, s in world.snapshots.items())),
        leases=tuple(sorted(
            (l.id, lease_expired(world, l), l.snapshots, l.content) for l in world.leases.values()
        )),
        images=tuple(sorted(world.images.items())),
        content=tuple(sorted((d, b.labels) for d, b in world.content.items())),
        containers=tuple(sorted(world.containers.items())),
    )


@attrs.frozen
class GcCollect(Effect):
    """DB.GarbageCollect (core/metadata/db.go L371-477), mark and sweep under wlock."""

    outcome_key = result_ignored  # no actor reads the result

    policy: str = ANY

    def enabled(self, world: World) -> bool:
        if self.policy == SCHEDULER:
            return gc_scheduler.due(world)
        return self.policy == ANY or world.dirty > 0

    def blocked_on(self, world: World) -> str:
        if self.policy == SCHEDULER:
            return gc_scheduler.not_due(world)
        return "the database is not dirty, so the GC scheduler does not collect"

    def apply(self, world: World) -> GcReport:
        due = gc_scheduler.reasons(world) if self.policy == SCHEDULER else ()
        before = graph_input(world)
        marked_snaps, marked_blobs = mark(world)
        swept_snaps = tuple(sorted(n for n in world.snapshots if n not in marked_snaps))
        swept_blobs = tuple(sorted(d for d in world.content if d not in marked_blobs))
        swept_leases = tuple(sorted(i for i, l in world.leases.items() if lease_expired(world, l)))
        for name in swept_snaps:
            del world.snapshots[name]
        for digest in swept_blobs:
            del world.content[digest]
        for lease in swept_leases:
            del world.leases[lease]
        world.dirty = 0
        woken = gc_scheduler.collected(world)
        return GcReport(swept_snaps, swept_blobs, swept_leases, before, due, woken)

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.everything()

    def narrate(self, actor, result, error) -> str:
        why = f" (due: {', '.join(result.due)})" if result.due else ""
        woken = f"; it wakes the ScheduleAndWait of {', '.join(result.woken)}" if result.woken else ""
        swept = list(result.swept_snapshots) + list(result.swept_content) + list(result.swept_leases)
        if not swept:
            return f"{actor} collects: everything is reachable, nothing swept{why}{woken}"
        parts = []
        if result.swept_snapshots:
            parts.append("snapshots " + ", ".join(result.swept_snapshots))
        if result.swept_content:
            parts.append("content " + ", ".join(result.swept_content))
        if result.swept_leases:
            parts.append("expired leases " + ", ".join(result.swept_leases))
        return f"{actor} marks from the roots and sweeps the unreachable: {'; '.join(parts)}{why}{woken}"


@attrs.frozen
class BackendCleanup(Effect):
    """snapshotter.garbageCollect (core/metadata/snapshot.go L848): under s.l.Lock,
    remove the backend snapshots no metadata bucket names."""

    outcome_key = result_ignored  # no actor reads the result

    def enabled(self, world: World) -> bool:
        return not world.creating

    def blocked_on(self, world: World) -> str:
        return "a Prepare holds the snapshotter's read lock between its T1 and T2"

    def apply(self, world: World) -> tuple[str, ...]:
        named = {s.bkey for s in world.snapshots.values()}
        removed = tuple(sorted(k for k in world.backend if k not in named))
        for bkey in removed:
            del world.backend[bkey]
        return removed

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.everything()

    def narrate(self, actor, result, error) -> str:
        if not result:
            return f"{actor} cleans the backend: nothing to remove"
        return f"{actor} cleans the backend: removes {', '.join(result)}"
