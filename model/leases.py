"""Leases (core/metadata/leases.go, core/leases, client/lease.go).

A lease is a GC root that owns the snapshots and content a pull creates. Membership is
implicit: the metadata store reads the lease ID from the caller's ctx
(`leases.FromContext`) and calls `addSnapshotLease` / `removeSnapshotLease` /
`addContentLease` inside its own write transaction. Here the ctx's lease ID travels as
the `lease` field of each effect ("" = no lease on the ctx).
"""

from __future__ import annotations

import attrs
from unpack_race.model.errdefs import AlreadyExists, NotFound
from unpack_race.model.names import LEASE_EXPIRY_SECONDS
from unpack_race.model.world import Lease, PullContext, World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


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
    fact, not a write)."""

    outcome_key = result_ignored  # no actor reads the result

    lease: str
    pull: str

    def apply(self, world: World) -> str:
        ctx = world.pulls.setdefault(self.pull, PullContext())
        ctx.returned = True
        if world.leases.pop(self.lease, None) is None:
            raise NotFound(f'lease "{self.lease}"')  # Go: "lease %q: %w"
        world.dirty += 1
        return self.lease

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"lease/{self.lease}", f"pull/{self.pull}", "db/dirty"})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} returns; deleting lease {self.lease} failed: {error}"
        return (
            f"{actor} returns and its deferred done() deletes lease {self.lease} "
            f"(db dirty; nothing it held is rooted by it any more)"
        )


@attrs.frozen
class PassTime(Effect):
    """Virtual time passes (there is no timer: an expired lease is only reclaimed by a GC
    that runs for another reason, as a maintainer notes in containerd #6294)."""

    outcome_key = result_ignored  # no actor reads the result

    seconds: int

    def apply(self, world: World) -> int:
        world.now += self.seconds
        return world.now

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={"clock"})

    def narrate(self, actor, result, error) -> str:
        return f"{actor}: {self.seconds} s pass (virtual time is now {result} s)"
