"""The shared state of one containerd daemon, as plain data (containerd-semantics §7.1).

- `snapshots`: the metadata snapshotter's buckets in one namespace and snapshotter
  (core/metadata/snapshot.go), keyed by name (committed) or key (active);
- `backend`: the backend snapshotter's snapshots, by backend key (overlayfs);
- `leases`: the lease buckets (core/metadata/leases.go) and the resources they hold;
- `content`: blobs with their labels (core/metadata/content.go);
- `images`: image name -> target digest (core/metadata/images.go);
- `containers`: container ID -> its snapshot key (core/metadata/containers.go), a GC root;
- `locks`: the CRI-wide duplication suppressor (internal/kmutex): key -> holder;
- `dirty`: db.dirty, the deletion counter that schedules GC (core/metadata/db.go);
- `gc_config`: the GC scheduler's configuration (plugins/gc/scheduler.go) when that
  scheduler decides when a collection runs (gc-policy `scheduler`), None under the
  `any` and `dirty` abstractions, which count nothing;
- `gc`: the scheduler's own state between collections (`GcScheduler`);
- `mutations`: the mutation events the scheduler counted since its last collection,
  one per successful DB.Update (`updated`), kept in shards (see `updated`);
- `pulls`: each pull's context: cancelled? returned?
- `generations`: how many times each key was created (the model's backend sequence,
  see names.backend_key);
- `now`: virtual time, in seconds;
- `creating`: the createSnapshot calls holding the snapshotter's read lock between
  their T1 and T2, by the backend key each is creating.

Two constants switch the code the steps follow, never written by a step:
- `lease_on_exists`: which halves of PR 10187 the metadata snapshotter has
  (model/switches.py; `True`/`False` stand for both halves alike);
- `acquire_checks_ctx_first`: whether the kmutex's x/sync semaphore.Acquire fails on a
  cancelled ctx even when the key is free (x/sync v0.7.0+, model/releases.py).

`RESOURCES` says which footprint resource each field is (scheduler.resources), so that
`unpack-race lint` can check every step's footprint against what it really touches.
The world is mutable (one per execution); `fingerprint()` gives a canonical, hashable
view for state caching, with every mapping sorted so that insertion order (which
depends on the interleaving) never leaks into a state key. It keeps db.dirty only as
"is it 0", all any step reads of it, and the mutation count only where it can still
decide whether a collection is due (`_mutations_key`). What nothing reads is not kept
at all: the snapshotter's dirty flag (the backend cleanup runs regardless), the number
of GCs (the collector's own history has it), and who committed a snapshot (no step or
property asks).
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from unpack_race.model.names import backend_key
from unpack_race.model.switches import LeaseOnExists
from unpack_race.scheduler.resources import Constant, Keyed, ResourceMap, Scalar


@attrs.frozen
class Snapshot:
    """One metadata bucket. `kind` is really the backend's (the metadata store keeps no
    kind); "active" after Prepare, "committed" after Commit."""

    kind: str
    parent: str  # metadata name of the parent, "" for none
    bkey: str  # backend key, "<ns>/<seq>/<key>" (see names.backend_key)
    labels: tuple[tuple[str, str], ...] = ()
    children: frozenset[str] = frozenset()

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)


@attrs.frozen
class Lease:
    id: str
    expires_at: int  # virtual seconds (containerd.io/gc.expire)
    snapshots: frozenset[str] = frozenset()
    content: frozenset[str] = frozenset()


@attrs.frozen
class Blob:
    labels: tuple[tuple[str, str], ...] = ()

    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


@attrs.define
class PullContext:
    """The ctx of one CRI PullImage: its lease id once WithLease made one, whether the
    kubelet cancelled it while it ran, and whether client.Pull has returned."""

    lease: str = ""
    requested: bool = False
    cancelled: bool = False
    returned: bool = False

    def key(self) -> tuple:
        return (self.lease, self.requested, self.cancelled, self.returned)


@attrs.frozen
class GcConfig:
    """The GC scheduler's configuration that decides *whether* a collection is due
    (plugins/gc/scheduler.go `config`, defaults at d7f83034c L93-99). The others do not
    decide it, only when, which the model leaves to the search: deletion_threshold (0:
    any deletion makes the next tick collect; N > 0 only schedules that tick at once),
    schedule_delay (0 ms), startup_delay (100 ms; any value > 0 makes the first tick
    collect, see GcScheduler.collected) and pause_threshold (the interval between ticks)."""

    mutation_threshold: int = 100  # mutation_threshold: mutations that make the next tick collect; 0: never


@attrs.frozen
class GcScheduler:
    """The state of plugins/gc/scheduler.go `run` that decides whether its next tick
    collects (L261): `collected` is lastCollection != nil (False only for a daemon that
    started and has not collected yet: its first tick, at startup_delay, always
    collects); `triggered` a ScheduleAndWait since the last collection; `waiters` who
    waits in ScheduleAndWait for the next collection (s.waiters). The deletions counter
    is db.dirty > 0 (see model/gc_scheduler.py) and the mutations counter is
    `World.mutations`."""

    collected: bool = True
    triggered: bool = False
    waiters: frozenset[str] = frozenset()


@attrs.define
class World:
    RESOURCES: ClassVar[ResourceMap] = ResourceMap(
        lease_on_exists=Constant(), snapshots=Keyed("snapshot/{key}"), backend=Keyed("backend/{key}"),
        leases=Keyed("lease/{key}"), content=Keyed("content/{key}"), images=Keyed("image/{key}"),
        containers=Keyed("container/{key}"),
        locks=Keyed("lock/{key}"), pulls=Keyed("pull/{key}"), dirty=Scalar("db/dirty"),
        generations=Keyed("generation/{key}"), now=Scalar("clock"), creating=Keyed("creating/{key}"),
        gc_config=Constant(), gc=Scalar("gc/scheduler"),
        # a shard of the mutation count is the resource of the same name (see `updated`)
        mutations=Keyed("{key}"),
        acquire_checks_ctx_first=Constant(),
    )

    #: core/metadata/snapshot.go: PR 10187's halves ("lease on already exists"), model/switches.py
    lease_on_exists: LeaseOnExists = attrs.field(converter=LeaseOnExists.of)
    snapshots: dict[str, Snapshot] = attrs.field(factory=dict)
    backend: dict[str, str] = attrs.field(factory=dict)  # bkey -> kind
    leases: dict[str, Lease] = attrs.field(factory=dict)
    content: dict[str, Blob] = attrs.field(factory=dict)
    images: dict[str, str] = attrs.field(factory=dict)
    containers: dict[str, str] = attrs.field(factory=dict)  # container ID -> snapshot key
    locks: dict[str, str] = attrs.field(factory=dict)
    pulls: dict[str, PullContext] = attrs.field(factory=dict)
    dirty: int = 0
    generations: dict[str, int] = attrs.field(factory=dict)  # creations per key (names.backend_key)
    now: int = 0  # virtual seconds
    creating: set[str] = attrs.field(factory=set)  # backend keys whose createSnapshot holds s.l.RLock (T1 to T2)
    gc_config: GcConfig | None = None  # the GC scheduler's, when it decides when GC runs (gc-policy scheduler)
    gc: GcScheduler = attrs.field(factory=GcScheduler)
    mutations: dict[str, int] = attrs.field(factory=dict)  # mutation events since the last collection, by shard
    #: the kmutex's x/sync: Acquire fails on a cancelled ctx even on a free key (v0.7.0+, model/releases.py)
    acquire_checks_ctx_first: bool = True

    def fingerprint(self) -> Any:
        return (
            _sorted(self.snapshots),
            _sorted(self.backend),
            _sorted(self.leases),
            _sorted(self.content),
            _sorted(self.images),
            _sorted(self.locks),
            tuple(sorted((name, ctx.key()) for name, ctx in self.pulls.items())),
            self.dirty > 0,  # only ever compared with 0 (the GC scheduler)
            _sorted(self.generations),
            self.now,
            tuple(sorted(self.creating)),
            self.gc,
            _mutations_key(self),
            _sorted(self.containers),  # last, so that the earlier fields keep their places
        )

    # -- helpers shared by the effects ---------------------------------------------
    def next_backend_key(self, key: str) -> str:
        """Allocate the backend key of a new creation of `key`."""
        generation = self.generations.get(key, 0) + 1
        self.generations[key] = generation
        return backend_key(generation, key)

    def peek_backend_key(self, key: str) -> str:
        """The backend key the next creation of `key` will get (for footprints)."""
        return backend_key(self.generations.get(key, 0) + 1, key)

    def updated(self, shard: str, transactions: int = 1) -> None:
        """DB.Update's mutation callbacks (core/metadata/db.go L259-272 at d7f83034c): after
        each write transaction that commits (its function returned nil, whatever error the
        caller returns after it), the GC scheduler receives a mutation event and counts it
        (plugins/gc/scheduler.go L273). `transactions` is how many committed DB.Updates the
        calling step stands for. The GC's own sweep writes through the bolt db directly
        and counts nothing. Counted only under the faithful scheduler (`gc_config`).

        Go counts on one counter. The model keeps the count in shards, one per resource
        the counting step writes anyway (`shard`: its lease, blob, image, ...), and only
        the GC reads the total: increments commute, but one shared counter would make
        every two metadata writes look dependent to a partial-order reduction (both would
        write it), and shards named after resources the step already declares add nothing
        to its footprint."""
        if self.gc_config is not None:
            self.mutations[shard] = self.mutations.get(shard, 0) + transactions

    def lease_of(self, pull: str) -> str:
        """leases.FromContext(ctx): the lease on the pull's ctx, "" if none."""
        ctx = self.pulls.get(pull)
        return ctx.lease if ctx else ""


def _mutations_key(world: World) -> int | None:
    """The mutation count as far as it can still decide whether a collection is due:
    nothing without the scheduler, and nothing while a collection is due for another
    reason (a deletion, a trigger, the first collection), since only a collection ends
    that and it resets the count; else the count, up to the threshold."""
    config = world.gc_config
    if config is None or config.mutation_threshold == 0 or world.dirty > 0 or world.gc.triggered \
            or not world.gc.collected:
        return None
    return min(sum(world.mutations.values()), config.mutation_threshold)


def _sorted(mapping: dict) -> tuple:
    return tuple(sorted(mapping.items()))
