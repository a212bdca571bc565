"""A Hypothesis stateful test of the metadata snapshot store and the leases
(model/snapshotter.py, model/leases.py, model/gc.py) against a plain dict-based
reference.

The reference below is written from containerd-semantics.md (§2.3 Prepare, §2.4
Commit, §2.5 Remove, §2.6 GC leaves children alone, §3.1 leases, §4.1 roots and edges)
and, where that is silent, from Go's core/metadata/snapshot.go (Remove's parent check;
PR 10187's two halves, each on or off), not from the model's code. Prepare's two transactions run back to back here; what can
fall between them is the unit tests' and the scenarios' business.

Two things the model leaves out are kept out of the random walk rather than guessed: a
Prepare on an *active* parent and a Commit of a *committed* key, which the backend
snapshotter (not the metadata store) refuses.

Names are drawn from a small pool with the existing snapshots favoured, and one extra
rule, `unpack_layer`, does Prepare then Commit as the unpacker does, so that within a
short walk chains get built, shared between leases, orphaned and swept.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from unpack_race.model.errdefs import ContainerdError
from unpack_race.model.gc import GcCollect
from unpack_race.model.leases import CreateLease, DeleteLease, PassTime
from unpack_race.model.names import SNAPSHOT_REF
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Remove, Stat
from unpack_race.model.switches import LeaseOnExists
from unpack_race.model.world import World

DAY = 24 * 60 * 60  # client.WithLease: leases.WithExpiration(24 * time.Hour)


# -- the reference ----------------------------------------------------------------------


class RefError(Exception):
    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind, self.text = kind, text


def lease_missing() -> RefError:
    return RefError("NotFound", "lease does not exist: not found")


@dataclass
class RefSnapshot:
    kind: str  # "active" after Prepare, "committed" after Commit
    parent: str
    children: set[str] = field(default_factory=set)


@dataclass
class RefLease:
    expires: int
    snapshots: set[str] = field(default_factory=set)


class ReferenceStore:
    """One namespace, one snapshotter, its leases, a db.dirty counter and a clock."""

    def __init__(self, prepare_half: bool, commit_half: bool) -> None:
        # PR 10187's halves (c7fb8a925): createSnapshot's first transaction, and Commit
        self.prepare_half, self.commit_half = prepare_half, commit_half
        self.snapshots: dict[str, RefSnapshot] = {}
        self.leases: dict[str, RefLease] = {}
        self.dirty = 0
        self.now = 0

    # addSnapshotLease: nothing without a lease on the ctx; an error if it is gone.
    # Every check below runs before any write, so an error leaves everything as it was
    # (the bolt transaction rolls back).
    def _check_lease(self, lease: str) -> None:
        if lease and lease not in self.leases:
            raise lease_missing()

    def _add_to_lease(self, lease: str, name: str) -> None:
        self._check_lease(lease)
        if lease:
            self.leases[lease].snapshots.add(name)

    def stat(self, key: str) -> tuple[str, str]:
        if key not in self.snapshots:
            raise RefError("NotFound", f"snapshot {key} does not exist: not found")
        snap = self.snapshots[key]
        return (snap.kind, snap.parent)

    def prepare(self, key: str, parent: str, target: str, lease: str) -> str:
        # T1
        if target and target in self.snapshots:
            if self.prepare_half:
                self._add_to_lease(lease, target)
            raise RefError("AlreadyExists", f'target snapshot "{target}": already exists')
        if key in self.snapshots:
            if self.prepare_half:
                self._add_to_lease(lease, key)
            raise RefError("AlreadyExists", f'snapshot "{key}": already exists')
        if parent and parent not in self.snapshots:
            raise RefError("NotFound", f"parent snapshot {parent} does not exist: not found")
        # T2, at once: the key is still free and the parent still there
        self._add_to_lease(lease, key)
        self.snapshots[key] = RefSnapshot("active", parent)
        if parent:
            self.snapshots[parent].children.add(key)
        return key

    def commit(self, name: str, key: str, lease: str) -> str:
        if self.commit_half:  # addSnapshotLease(name) comes first since PR 10187
            self._check_lease(lease)
        if name in self.snapshots:
            if self.commit_half:
                self._add_to_lease(lease, name)
            raise RefError("AlreadyExists", f'snapshot "{name}": already exists')
        self._check_lease(lease)  # before PR 10187: right after the existence check
        if key not in self.snapshots:
            raise RefError("NotFound", f"snapshot {key} does not exist: not found")
        parent = self.snapshots[key].parent
        if parent and parent not in self.snapshots:
            raise RefError("NotFound", f"parent snapshot {parent} does not exist: not found")
        self._add_to_lease(lease, name)
        self.snapshots[name] = RefSnapshot("committed", parent)
        if parent:
            self.snapshots[parent].children.discard(key)
            self.snapshots[parent].children.add(name)
        del self.snapshots[key]
        if lease:
            self.leases[lease].snapshots.discard(key)
        return name

    def remove(self, key: str, lease: str) -> str:
        if key not in self.snapshots:
            raise RefError("NotFound", f"snapshot {key} does not exist: not found")
        snap = self.snapshots[key]
        if snap.children:
            raise RefError("FailedPrecondition", "cannot remove snapshot with child: failed precondition")
        # Go's Remove (core/metadata/snapshot.go at d7f83034c, L695-699) fails on a parent bucket that is gone
        if snap.parent and snap.parent not in self.snapshots:
            raise RefError("NotFound", f"parent snapshot {snap.parent} does not exist: not found")
        if snap.parent:
            self.snapshots[snap.parent].children.discard(key)
        del self.snapshots[key]
        if lease in self.leases:
            self.leases[lease].snapshots.discard(key)
        self.dirty += 1
        return key

    def create_lease(self, lease: str) -> str:
        if lease in self.leases:
            raise RefError("AlreadyExists", f'lease "{lease}": already exists')
        self.leases[lease] = RefLease(self.now + DAY)
        return lease

    def delete_lease(self, lease: str) -> str:
        if lease not in self.leases:
            raise RefError("NotFound", f'lease "{lease}": not found')
        del self.leases[lease]
        self.dirty += 1
        return lease

    def pass_time(self, seconds: int) -> int:
        self.now += seconds
        return self.now

    def collect(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Mark from the snapshots of every lease whose expiry is not yet past, following
        child -> parent only; sweep the rest, and the expired leases; dirty = 0."""
        expired = {i for i, lease in self.leases.items() if self.now > lease.expires}
        todo = [n for i, lease in self.leases.items() if i not in expired for n in lease.snapshots]
        marked: set[str] = set()
        while todo:
            name = todo.pop()
            if name in marked or name not in self.snapshots:
                continue
            marked.add(name)
            if self.snapshots[name].parent:
                todo.append(self.snapshots[name].parent)
        swept = sorted(set(self.snapshots) - marked)
        for name in swept:
            del self.snapshots[name]  # the parent's children are left as they are
        for lease in expired:
            del self.leases[lease]
        self.dirty = 0
        return tuple(swept), tuple(sorted(expired))


# -- the machine ------------------------------------------------------------------------

NAMES = ("a", "b", "c", "d")
LEASE_IDS = st.sampled_from(("L1", "L2"))
CTX_LEASES = st.sampled_from(("L1", "L2", "L1", "L2", ""))  # "": no lease on the ctx


def outcome(call, error_type) -> tuple:
    try:
        return ("ok", call())
    except error_type as error:
        if error_type is RefError:
            return ("error", error.kind, error.text)
        return ("error", type(error).__name__, str(error))


class SnapshotStoreAgainstReference(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.ref: ReferenceStore | None = None

    @initialize(prepare_half=st.booleans(), commit_half=st.booleans())
    def start(self, prepare_half: bool, commit_half: bool) -> None:
        self.world = World(lease_on_exists=LeaseOnExists(prepare_half, commit_half))
        self.ref = ReferenceStore(prepare_half, commit_half)
        self.create_lease("L1")  # so that fewer steps fail for want of a lease
        self.create_lease("L2")

    def compare(self, model_call, ref_call) -> None:
        got = outcome(model_call, ContainerdError)
        want = outcome(ref_call, RefError)
        assert got == want

    def draw_name(self, data, *, optional: bool = False, favour: str = "") -> str:
        """Any name; with `favour` ("active", "committed", "leaf" or "any") the existing
        snapshots of that kind are drawn more often, so that the walk builds chains and
        removes them instead of mostly failing on missing names."""
        existing = tuple(sorted(
            n for n, s in self.ref.snapshots.items()
            if favour in ("any", s.kind) or (favour == "leaf" and not s.children)
        ))
        choices = ("",) * (4 * optional) + NAMES + existing * 4
        return data.draw(st.sampled_from(choices))

    @rule(data=st.data(), lease=CTX_LEASES)
    def prepare(self, data, lease):
        key = self.draw_name(data)
        parent = self.draw_name(data, optional=True, favour="committed")
        target = self.draw_name(data, optional=True)  # the containerd.io/snapshot.ref label
        if parent in self.ref.snapshots and self.ref.snapshots[parent].kind == "active":
            return  # the backend refuses an active parent (not modelled)
        labels = ((SNAPSHOT_REF, target),) if target else ()

        def model():
            bkey, bparent = PrepareT1(key, parent, target, lease).apply(self.world)
            return PrepareT2(key, parent, bkey, bparent, lease, labels).apply(self.world)

        self.compare(model, lambda: self.ref.prepare(key, parent, target, lease))

    @rule(data=st.data(), lease=CTX_LEASES)
    def commit(self, data, lease):
        name = self.draw_name(data)
        key = self.draw_name(data, favour="active")
        if key in self.ref.snapshots and self.ref.snapshots[key].kind == "committed":
            return  # the backend refuses to commit a committed key (not modelled)
        self.compare(
            lambda: Commit(name, key, lease).apply(self.world),
            lambda: self.ref.commit(name, key, lease),
        )

    @rule(data=st.data(), lease=CTX_LEASES)
    def unpack_layer(self, data, lease):
        """The unpacker's way, which builds chains far more often than the rules above:
        Prepare("x<name>", parent, snapshot.ref=name), then Commit(name, "x<name>")."""
        name = self.draw_name(data)
        parent = self.draw_name(data, optional=True, favour="committed")
        if parent in self.ref.snapshots and self.ref.snapshots[parent].kind == "active":
            return
        key = f"x{name}"

        def model_prepare():
            bkey, bparent = PrepareT1(key, parent, name, lease).apply(self.world)
            return PrepareT2(key, parent, bkey, bparent, lease, ((SNAPSHOT_REF, name),)).apply(self.world)

        self.compare(model_prepare, lambda: self.ref.prepare(key, parent, name, lease))
        if self.ref.snapshots.get(key, RefSnapshot("", "")).kind == "active":
            self.compare(
                lambda: Commit(name, key, lease).apply(self.world),
                lambda: self.ref.commit(name, key, lease),
            )

    @rule(data=st.data(), lease=CTX_LEASES)
    def remove(self, data, lease):
        key = self.draw_name(data, favour=data.draw(st.sampled_from(("leaf", "any"))))
        self.compare(lambda: Remove(key, lease).apply(self.world), lambda: self.ref.remove(key, lease))

    @rule(data=st.data())
    def stat(self, data):
        key = self.draw_name(data, favour="any")

        def model():
            info = Stat(key).apply(self.world)
            assert info.name == key
            return (info.kind, info.parent)

        self.compare(model, lambda: self.ref.stat(key))

    @rule(lease=LEASE_IDS)
    def create_lease(self, lease):
        self.compare(
            lambda: CreateLease(lease, f"pull-{lease}").apply(self.world),
            lambda: self.ref.create_lease(lease),
        )

    @rule(lease=LEASE_IDS)
    def delete_lease(self, lease):
        self.compare(
            lambda: DeleteLease(lease, f"pull-{lease}").apply(self.world),
            lambda: self.ref.delete_lease(lease),
        )

    @rule(seconds=st.sampled_from((1, 3600, DAY)))
    def pass_time(self, seconds):
        self.compare(lambda: PassTime(seconds).apply(self.world), lambda: self.ref.pass_time(seconds))

    @rule(policy=st.sampled_from(("any", "dirty")))
    def collect(self, policy):
        gc = GcCollect(policy)
        if policy == "dirty" and self.ref.dirty == 0:
            assert not gc.enabled(self.world)
            return
        assert gc.enabled(self.world)

        def model():
            report = gc.apply(self.world)
            return report.swept_snapshots, report.swept_leases

        self.compare(model, self.ref.collect)

    @invariant()
    def the_observable_state_matches_the_reference(self):
        if self.world is None:
            return
        world, ref = self.world, self.ref
        assert {n: (s.kind, s.parent, set(s.children)) for n, s in world.snapshots.items()} == {
            n: (s.kind, s.parent, s.children) for n, s in ref.snapshots.items()
        }
        assert {i: (l.expires_at, set(l.snapshots)) for i, l in world.leases.items()} == {
            i: (l.expires, l.snapshots) for i, l in ref.leases.items()
        }
        assert (world.dirty, world.now) == (ref.dirty, ref.now)

    @invariant()
    def a_collection_now_would_sweep_the_same_in_both(self):
        """GC on copies, in every state the walk reaches (a walk runs GC only now and
        then, often not in the few states where a parent is kept by its child alone)."""
        if self.world is None:
            return
        world, ref = copy.deepcopy(self.world), copy.deepcopy(self.ref)
        report = GcCollect().apply(world)
        assert (report.swept_snapshots, report.swept_leases) == ref.collect()
        assert set(world.snapshots) == set(ref.snapshots)

    @invariant()
    def every_bucket_names_its_own_backend_snapshot_and_no_prepare_is_half_done(self):
        if self.world is None:
            return
        bkeys = [s.bkey for s in self.world.snapshots.values()]
        assert len(set(bkeys)) == len(bkeys)
        assert all(bkey in self.world.backend for bkey in bkeys)
        assert self.world.creating == set()


SnapshotStoreAgainstReference.TestCase.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None, database=None
)
TestSnapshotStoreAgainstReference = SnapshotStoreAgainstReference.TestCase
