"""Leases (core/metadata/leases.go, core/leases, client/lease.go).

A lease is a GC root that owns the snapshots and content a pull creates. Membership is
mostly implicit: the metadata store reads the lease ID from the caller's ctx
(`leases.FromContext`) and calls `addSnapshotLease` / `removeSnapshotLease` /
`addContentLease` inside its own write transaction. Here the ctx's lease ID travels as
the `lease` field of each effect ("" = no lease on the ctx). It can also be explicit:
`leases.Manager.AddResource` / `DeleteResource` name the lease and the resource, each in a
transaction of its own (AddResource, DeleteResource below).
"""

from __future__ import annotations

import attrs
from unpack_race.model import gc_scheduler
from unpack_race.model.errdefs import AlreadyExists, InvalidArgument, NotFound
from unpack_race.model.names import LEASE_EXPIRY_SECONDS, SNAPSHOTTER
from unpack_race.model.world import Lease, PullContext, World
from unpack_race.scheduler.effect import EVERYTHING, Effect, Footprint, result_ignored


def add_snapshot_lease(world: World, lease: str, key: str) -> None:
    """addSnapshotLease: a no-op without a lease on the ctx; an error if it is gone."""
    _add_member(world, lease, "snapshots", key)


def _add_member(world: World, lease: str, kind: str, name: str) -> None:
    if not lease:
        return
    record = world.leases.get(lease)
    if record is None:
        raise NotFound("lease does not exist")
    world.leases[lease] = attrs.evolve(record, **{kind: getattr(record, kind) | {name}})


def remove_snapshot_lease(world: World, lease: str, key: str) -> None:
    """removeSnapshotLease: lenient; a missing lease or member is not an error."""
    record = world.leases.get(lease) if lease else None
    if record is not None and key in record.snapshots:
        world.leases[lease] = attrs.evolve(record, snapshots=record.snapshots - {key})


def check_lease(world: World, lease: str) -> None:
    """The check addSnapshotLease/addContentLease make before writing: raises the error
    they would, without changing anything (for effects that must fail before mutating)."""
    if lease and lease not in world.leases:
        raise NotFound("lease does not exist")


def add_content_lease(world: World, lease: str, digest: str) -> None:
    """addContentLease, as add_snapshot_lease for content."""
    _add_member(world, lease, "content", digest)


def lease_expired(world: World, lease: Lease) -> bool:
    """containerd.io/gc.expire is in the past: GC no longer treats the lease as a root.
    Strictly past, as gc.go scanRoots skips a lease only if expThreshold.After(exp)."""
    return world.now > lease.expires_at


@attrs.frozen
class CreateLease(Effect):
    """client.WithLease (client/lease.go): create a lease with a random ID and a 24 h
    expiry (leases.WithExpiration), and put it on the pull's ctx. The lease manager's
    Create (core/metadata/leases.go, L51) is one write transaction; an existing ID is
    AlreadyExists. The expiry is counted from now, so the step reads the clock."""

    outcome_key = result_ignored  # no actor reads the result

    lease: str
    pull: str
    expires_in: int = LEASE_EXPIRY_SECONDS

    def apply(self, world: World) -> str:
        if self.lease in world.leases:
            raise AlreadyExists(f'lease "{self.lease}"')  # Go: "lease %q: %w"
        world.leases[self.lease] = Lease(self.lease, world.now + self.expires_in)
        world.updated(f"lease/{self.lease}")
        world.pulls.setdefault(self.pull, PullContext()).lease = self.lease
        return self.lease

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(reads={"clock"}, writes={f"lease/{self.lease}", f"pull/{self.pull}"})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} cannot create lease {self.lease}: {error}"
        hours = self.expires_in // 3600
        return f"{actor} creates lease {self.lease} (expires in {hours} h) and puts it on its ctx"


@attrs.frozen
class DeleteLease(Effect):
    """The `done(ctx)` that client.Pull defers (client/pull.go): Leases.Delete
    (core/metadata/leases.go, L105), one write transaction that drops the lease bucket
    and all its memberships without cascading, and increments db.dirty. In-process (CRI)
    it ignores the ctx's cancellation, so it succeeds after a cancel. It is the last
    thing Pull does, so the pull's ctx is marked returned in the same step (a local
    fact, not a write). With no `pull`, it is another client's Leases.Delete of the
    lease (a lease pruner: model/pruner.py): the same transaction, and no pull returns."""

    outcome_key = result_ignored  # no actor reads the result

    lease: str
    pull: str = ""

    def apply(self, world: World) -> str:
        if self.pull:
            ctx = world.pulls.setdefault(self.pull, PullContext())
            ctx.returned = True
        if world.leases.pop(self.lease, None) is None:
            raise NotFound(f'lease "{self.lease}"')  # Go: "lease %q: %w"
        world.dirty += 1
        world.updated(f"lease/{self.lease}")
        return self.lease

    def footprint(self, world: World | None = None) -> Footprint:
        pull = {f"pull/{self.pull}"} if self.pull else set()
        return Footprint.of(writes={f"lease/{self.lease}", "db/dirty", *pull})

    def narrate(self, actor, result, error) -> str:
        if not self.pull:
            if error:
                return f"{actor} cannot delete lease {self.lease}: {error}"
            return (f"{actor} deletes lease {self.lease} (Leases.Delete; db dirty; nothing it held is rooted "
                    f"by it any more)")
        if error:
            return f"{actor} returns; deleting lease {self.lease} failed: {error}"
        return (
            f"{actor} returns and its deferred done() deletes lease {self.lease} "
            f"(db dirty; nothing it held is rooted by it any more)"
        )


#: the leases.Resource types the model holds (core/metadata/leases.go parseLeaseResource):
#: "snapshots/<snapshotter>" and "content"; Go also knows "ingests" and "images"
SNAPSHOTS = f"snapshots/{SNAPSHOTTER}"
CONTENT = "content"
_MEMBERS = {SNAPSHOTS: "snapshots", CONTENT: "content"}


def resource_member(resource_type: str) -> str:
    """parseLeaseResource: which of the lease's sets a resource type names. Go's errors for
    a malformed type; a well-formed type the model does not hold (another snapshotter,
    ingests, images) is a mistake in the model's use, not a containerd error."""
    keys = resource_type.split("/")
    if keys[0] == "content" and len(keys) != 1:
        raise InvalidArgument(f"invalid resource type {resource_type}")
    if keys[0] == "snapshots" and len(keys) != 2:
        raise InvalidArgument(f"invalid snapshot resource type {resource_type}")
    if resource_type not in _MEMBERS:
        raise ValueError(f"lease resource type {resource_type!r} is not in the model; it holds "
                         f"{', '.join(_MEMBERS)}")
    return _MEMBERS[resource_type]


def _lease_bucket(world: World, lease: str) -> Lease:
    """getBucket(..., leases, lease.ID), or Go's `lease "<id>": not found`."""
    record = world.leases.get(lease)
    if record is None:
        raise NotFound(f'lease "{lease}"')  # Go: fmt.Errorf("lease %q: %w", lease.ID, errdefs.ErrNotFound)
    return record


@attrs.frozen
class AddResource(Effect):
    """leases.Manager.AddResource (core/metadata/leases.go, L186): one write transaction that
    finds the lease's bucket (`lease "<id>": not found` if it is gone), parses the resource
    type, and puts the resource's ID in the lease. It does not check that the resource
    exists: a snapshot that is not there, or was swept a step ago, is recorded all the same
    (GC's mark skips a name with no bucket), and the call succeeds. No db.dirty. The lease
    is named explicitly, not read from the ctx."""

    outcome_key = result_ignored  # no actor reads the result

    lease: str
    resource_type: str
    id: str

    def apply(self, world: World) -> str:
        record = _lease_bucket(world, self.lease)
        member = resource_member(self.resource_type)
        world.leases[self.lease] = attrs.evolve(record, **{member: getattr(record, member) | {self.id}})
        world.updated(f"lease/{self.lease}")
        return self.id

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"lease/{self.lease}"})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} cannot add {self.resource_type} {self.id} to lease {self.lease}: {error}"
        return (f"{actor} adds {self.resource_type} {self.id} to lease {self.lease} (AddResource, its own "
                f"transaction; it does not check that {self.id} exists)")


@attrs.frozen
class DeleteResource(Effect):
    """leases.Manager.DeleteResource (core/metadata/leases.go, L215): one write transaction
    that finds the lease's bucket (`lease "<id>": not found` if it is gone), parses the
    resource type, deletes the resource's ID from the lease if it is there (a missing one
    is not an error), and increments db.dirty whether or not anything was removed."""

    outcome_key = result_ignored  # no actor reads the result

    lease: str
    resource_type: str
    id: str

    def apply(self, world: World) -> str:
        record = _lease_bucket(world, self.lease)
        member = resource_member(self.resource_type)
        world.leases[self.lease] = attrs.evolve(record, **{member: getattr(record, member) - {self.id}})
        world.dirty += 1
        world.updated(f"lease/{self.lease}")
        return self.id

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"lease/{self.lease}", "db/dirty"})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} cannot delete {self.resource_type} {self.id} from lease {self.lease}: {error}"
        return f"{actor} deletes {self.resource_type} {self.id} from lease {self.lease} (db dirty)"


@attrs.frozen
class PassTime(Effect):
    """Virtual time passes (there is no timer: an expired lease is only reclaimed by a GC
    that runs for another reason, as a maintainer notes in containerd #6294). A long
    wait: under the GC scheduler it begins only once no collection is due, since the
    scheduler's tick runs a due one well within it (model/gc_scheduler.py)."""

    outcome_key = result_ignored  # no actor reads the result

    seconds: int

    def enabled(self, world: World) -> bool:
        return gc_scheduler.time_may_pass(world)

    def blocked_on(self, world: World) -> str:
        return f"a collection is due ({', '.join(gc_scheduler.reasons(world))}); the GC's next tick runs it first"

    def apply(self, world: World) -> int:
        world.now += self.seconds
        return world.now

    def footprint(self, world: World | None = None) -> Footprint:
        if world is not None and world.gc_config is None:
            return Footprint.of(writes={"clock"})
        return Footprint.of(reads={EVERYTHING}, writes={"clock"})  # whether a collection is due

    def narrate(self, actor, result, error) -> str:
        return f"{actor}: {self.seconds} s pass (virtual time is now {result} s)"
