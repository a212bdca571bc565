"""The metadata snapshotter (core/metadata/snapshot.go at d7f83034c), step by step.

Atomicity follows the Go code (containerd-semantics §2):
- `Stat` is one read transaction and takes no lock;
- `Prepare` (createSnapshot) is two write transactions with the backend call between
  them: `PrepareT1` then `PrepareT2`. GC can run between them, never inside one;
- `Commit` and `Remove` are one write transaction each.
Each write transaction checks everything before it writes, so a failed step leaves the
world as it was (bolt rolls back), except where Go commits on purpose (the lease taken
on "already exists" since PR 10187).

`World.lease_on_exists` switches PR 10187 ("lease on already exists", c7fb8a925), its two
halves apart (model/switches.py): `.prepare` for createSnapshot's T1, `.commit` for
Commit. createSnapshot's T2 is in neither: it has leased the key before creating its
bucket, and committed that lease on ErrBucketExists, since 526c0db69 (PR 3793), as
`c7fb8a925^:core/metadata/snapshot.go` shows.
"""

from __future__ import annotations

import attrs
from unpack_race.model import leases
from unpack_race.model.errdefs import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from unpack_race.model.names import SNAPSHOT_REF
from unpack_race.model.world import Snapshot, World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


@attrs.frozen
class Info:
    """snapshots.Info as Stat returns it: name, kind, parent."""

    name: str
    kind: str
    parent: str


def _snap(name: str) -> str:
    return f"snapshot/{name}"


def _parent_of(world: World | None, key: str) -> set[str]:
    """The parent bucket whose children set a step on `key` rewrites, as of now."""
    snap = world.snapshots.get(key) if world is not None else None
    return {_snap(snap.parent)} if snap is not None and snap.parent else set()


def _creating(bkey: str) -> str:
    """The createSnapshot making backend snapshot `bkey` holds s.l.RLock (World.creating)."""
    return f"creating/{bkey}"


def _backend(bkey: str) -> str:
    return f"backend/{bkey}"


def _new_backend(world: World | None, key: str) -> set[str]:
    """The backend snapshot the next creation of `key` would make, as of now."""
    return {_backend(world.peek_backend_key(key))} if world is not None else set()


def _active_backend(world: World | None, key: str) -> set[str]:
    """The backend snapshot of the bucket `key`, as of now."""
    snap = world.snapshots.get(key) if world is not None else None
    return {_backend(snap.bkey)} if snap is not None else set()


@attrs.frozen
class Stat(Effect):
    """(*snapshotter).Stat (L101-143): one read transaction; a missing bucket is
    `snapshot <key> does not exist: not found`. No lock, no lease side effect."""

    outcome_key = result_ignored  # no actor reads the result

    key: str

    def apply(self, world: World) -> Info:
        snap = world.snapshots.get(self.key)
        if snap is None:
            raise NotFound(f"snapshot {self.key} does not exist")
        return Info(self.key, snap.kind, snap.parent)

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(reads={_snap(self.key)})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} stats {self.key}: {error}"
        return f"{actor} stats {self.key}: it exists ({result.kind}); no lease is taken"


@attrs.frozen
class PrepareT1(Effect):
    """createSnapshot (L276-520), first write transaction, then the backend call.

    1. target = labels[containerd.io/snapshot.ref]; if a bucket named target exists:
       with PR 10187's Prepare half (`World.lease_on_exists.prepare`, c7fb8a925)
       addSnapshotLease(target) and commit the tx; before it, roll back. Either way
       return `target snapshot "<target>": already exists`.
    2. if the bucket `key` exists: the same, with `snapshot "<key>": already exists`.
    3. if the parent is set and its bucket is missing:
       `parent snapshot <parent> does not exist: not found`.
    4. allocate seq, bkey = "<ns>/<seq>/<key>" (World.next_backend_key).
    Then the backend Prepare(bkey, bparent), outside any transaction, is folded into this
    step: it touches only the new backend key, and backend cleanup cannot run meanwhile
    because createSnapshot holds s.l.RLock from here until T2: the new backend key joins
    `World.creating`, the createSnapshot calls holding the read lock, each named by the
    backend key it creates (unique per call, and each its own resource, so two Prepares
    stay independent; only the backend cleanup, which takes the write lock, reads them
    all).
    Returns (bkey, bparent) for T2.
    """

    key: str
    parent: str
    target: str
    lease: str

    def apply(self, world: World) -> tuple[str, str]:
        for name, text in ((self.target, f"target snapshot {self.target!r}"),
                           (self.key, f"snapshot {self.key!r}")):
            if name and name in world.snapshots:
                leased = world.lease_on_exists.prepare
                if leased:
                    leases.add_snapshot_lease(world, self.lease, name)
                    world.updated(f"lease/{self.lease}")  # since PR 10187 the tx commits
                error = AlreadyExists(text.replace("'", '"'))
                error.leased = leased and bool(self.lease)
                raise error
        bparent = ""
        if self.parent:
            parent = world.snapshots.get(self.parent)
            if parent is None:
                raise NotFound(f"parent snapshot {self.parent} does not exist")
            bparent = parent.bkey
        bkey = world.next_backend_key(self.key)
        world.updated(f"lease/{self.lease}")
        world.backend[bkey] = "active"
        world.creating.add(bkey)
        return (bkey, bparent)

    def footprint(self, world: World | None = None) -> Footprint:
        reads = {_snap(self.key), _snap(self.parent), _snap(self.target)}
        writes = {f"lease/{self.lease}", f"generation/{self.key}"}
        if world is not None:  # the new backend snapshot, and the read lock held for it
            bkey = world.peek_backend_key(self.key)
            writes |= {_backend(bkey), _creating(bkey)}
        return Footprint.of(reads=reads, writes=writes)

    def narrate(self, actor, result, error) -> str:
        what = f"Prepare({self.key!r}, parent={self.parent or '-'})"
        if error is None:
            return f"{actor} {what} T1: checks pass; backend snapshot {result[0]} created"
        if isinstance(error, AlreadyExists):
            leased = (
                f"and it is added to lease {self.lease} in the same transaction"
                if getattr(error, "leased", False) else "and it is NOT added to any lease"
            )
            return f"{actor} {what} T1: {error} {leased}"
        return f"{actor} {what} T1 fails: {error}"


@attrs.frozen
class PrepareT2(Effect):
    """createSnapshot, second write transaction (core/metadata/snapshot.go L447-517 at
    d7f83034c; the same at c7fb8a925^, L435-505, since 526c0db69):
    1. addSnapshotLease(key) (`lease does not exist: not found` if the lease is gone);
    2. create bucket `key`; on ErrBucketExists: `snapshot "<key>": already exists`, and
       the tx commits with the lease of step 1, before PR 10187 as after it (PR 10187
       changed T1 and Commit, not T2);
    3. if the parent is set: its bucket missing -> `parent snapshot <parent> does not
       exist: not found` (GC may have swept it since T1); its backend key must still be
       bparent, else `mismatched parent`; add `key` to the parent's children;
    4. write the labels (incl. snapshot.ref) and name = bkey.
    On an error the backend snapshot made after T1 is removed (best effort). Either way
    s.l.RUnlock follows: `bkey` leaves `World.creating`.
    """

    outcome_key = result_ignored  # no actor reads the result
    #: T1, the backend Prepare and T2 are one Snapshots.Prepare call, served by the daemon:
    #: a client that dies after T1 does not stop T2 (scheduler.crashes)
    crash_before = False

    key: str
    parent: str
    bkey: str
    bparent: str
    lease: str
    labels: tuple[tuple[str, str], ...] = ()

    def apply(self, world: World) -> str:
        world.creating.discard(self.bkey)
        try:
            leases.check_lease(world, self.lease)
            if self.key in world.snapshots:
                leases.add_snapshot_lease(world, self.lease, self.key)  # committed: Go returns nil from the tx
                world.updated(f"lease/{self.lease}")
                error = AlreadyExists(f'snapshot "{self.key}"')
                error.leased = bool(self.lease)
                raise error
            parent = None
            if self.parent:
                parent = world.snapshots.get(self.parent)
                if parent is None:
                    raise NotFound(f"parent snapshot {self.parent} does not exist")
                if parent.bkey != self.bparent:
                    # Go: "mismatched parent %s from target %s" with the parent's and
                    # the target's (snapshot.ref) metadata names
                    target = dict(self.labels).get(SNAPSHOT_REF, "")
                    raise InvalidArgument(f"mismatched parent {self.parent} from target {target}")
        except Exception:
            world.backend.pop(self.bkey, None)
            raise
        leases.add_snapshot_lease(world, self.lease, self.key)
        world.updated(f"lease/{self.lease}")
        if parent is not None:
            world.snapshots[self.parent] = attrs.evolve(parent, children=parent.children | {self.key})
        world.snapshots[self.key] = Snapshot("active", self.parent, self.bkey, self.labels)
        return self.key

    def footprint(self, world: World | None = None) -> Footprint:
        # on an error, the backend snapshot made after T1 is removed
        writes = {_snap(self.key), _snap(self.parent), f"lease/{self.lease}", _backend(self.bkey)}
        return Footprint.of(writes=writes | {_creating(self.bkey)})

    def narrate(self, actor, result, error) -> str:
        what = f"Prepare({self.key!r}, parent={self.parent or '-'})"
        if error:
            return f"{actor} {what} T2 fails: {error}"
        return f"{actor} {what} T2: active snapshot created in lease {self.lease or '-'}"


@attrs.frozen
class Commit(Effect):
    """(*snapshotter).Commit (L522-667): one write transaction, backend Commit inside it.
    1. with PR 10187's Commit half (`World.lease_on_exists.commit`, c7fb8a925):
       addSnapshotLease(name) first;
    2. create bucket `name`; if it exists -> `snapshot "<name>": already exists` (with
       the Commit half the tx commits and the lease is kept; before it, nothing is kept);
       before PR 10187, addSnapshotLease(name) comes here, so a gone lease is reported
       ahead of a missing key;
    3. bucket `key` missing -> `snapshot <key> does not exist: not found`;
    4. the parent missing -> `parent snapshot <p> does not exist: not found`; in the
       parent's children replace key by name;
    5. write labels, delete bucket `key`, removeSnapshotLease(key), backend Commit.
    """

    outcome_key = result_ignored  # no actor reads the result

    name: str
    key: str
    lease: str
    labels: tuple[tuple[str, str], ...] = ()

    def apply(self, world: World) -> str:
        leased = world.lease_on_exists.commit
        if leased:
            leases.check_lease(world, self.lease)
        if self.name in world.snapshots:
            if leased:
                leases.add_snapshot_lease(world, self.lease, self.name)
                world.updated(f"lease/{self.lease}")  # since PR 10187 the tx commits
            error = AlreadyExists(f'snapshot "{self.name}"')
            error.leased = leased and bool(self.lease)
            raise error
        # before PR 10187, addSnapshotLease(name) came right after the existence check
        leases.check_lease(world, self.lease)
        active = world.snapshots.get(self.key)
        if active is None:
            raise NotFound(f"snapshot {self.key} does not exist")
        parent = world.snapshots.get(active.parent) if active.parent else None
        if active.parent and parent is None:
            raise NotFound(f"parent snapshot {active.parent} does not exist")
        leases.add_snapshot_lease(world, self.lease, self.name)
        world.updated(f"lease/{self.lease}")
        if parent is not None:
            world.snapshots[active.parent] = attrs.evolve(
                parent, children=(parent.children - {self.key}) | {self.name}
            )
        name_bkey = world.next_backend_key(self.name)
        world.snapshots[self.name] = Snapshot("committed", active.parent, name_bkey, self.labels)
        del world.snapshots[self.key]
        leases.remove_snapshot_lease(world, self.lease, self.key)
        world.backend.pop(active.bkey, None)
        world.backend[name_bkey] = "committed"
        return self.name

    def footprint(self, world: World | None = None) -> Footprint:
        writes = {_snap(self.name), _snap(self.key), f"lease/{self.lease}", f"generation/{self.name}"}
        backend = _active_backend(world, self.key) | _new_backend(world, self.name)  # backend Commit
        return Footprint.of(writes=writes | _parent_of(world, self.key) | backend)

    def narrate(self, actor, result, error) -> str:
        if error is None:
            return f"{actor} commits {self.key!r} as {self.name} (in lease {self.lease or '-'})"
        if isinstance(error, AlreadyExists):
            leased = (
                f"and it is added to lease {self.lease}" if getattr(error, "leased", False)
                else "and it is NOT added to any lease"
            )
            return f"{actor} Commit({self.name}, {self.key!r}): {error} {leased}"
        return f"{actor} Commit({self.name}, {self.key!r}) fails: {error}"


@attrs.frozen
class Remove(Effect):
    """(*snapshotter).Remove (core/metadata/snapshot.go L669-732 at d7f83034c): one write
    transaction. A missing bucket is `snapshot <key> does not exist: not found`; a bucket
    with children is `cannot remove snapshot with child: failed precondition`; a parent
    whose bucket is gone is `parent snapshot <parent> does not exist: not found` (Go reads
    the parent's bucket to drop the key from its children, and fails when it is missing);
    otherwise drop it from its parent's children, delete it, removeSnapshotLease(key),
    db.dirty++ and mark the snapshotter dirty (a flag the model leaves out, see
    model/gc.py). The backend snapshot stays until the next GC's backend cleanup."""

    outcome_key = result_ignored  # no actor reads the result

    key: str
    lease: str

    def apply(self, world: World) -> str:
        snap = world.snapshots.get(self.key)
        if snap is None:
            raise NotFound(f"snapshot {self.key} does not exist")
        if snap.children:
            raise FailedPrecondition("cannot remove snapshot with child")
        parent = world.snapshots.get(snap.parent) if snap.parent else None
        if snap.parent and parent is None:
            raise NotFound(f"parent snapshot {snap.parent} does not exist")
        if parent is not None:
            world.snapshots[snap.parent] = attrs.evolve(parent, children=parent.children - {self.key})
        del world.snapshots[self.key]
        leases.remove_snapshot_lease(world, self.lease, self.key)
        world.dirty += 1
        world.updated(f"lease/{self.lease}")
        return self.key

    def footprint(self, world: World | None = None) -> Footprint:
        writes = {_snap(self.key), f"lease/{self.lease}", "db/dirty"}
        return Footprint.of(writes=writes | _parent_of(world, self.key))

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} Remove({self.key!r}) fails: {error}"
        return f"{actor} removes {self.key!r} (db dirty)"


__all__ = ["Commit", "Info", "PrepareT1", "PrepareT2", "Remove", "SNAPSHOT_REF", "Stat"]
