"""The metadata snapshotter's steps (model/snapshotter.py) against containerd-semantics
§2.2-2.5: what each step changes, what it leaves alone, and containerd's exact texts."""

from __future__ import annotations

import pytest
from unpack_race.model.errdefs import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from unpack_race.model.gc import GcCollect
from unpack_race.model.leases import CreateLease, DeleteLease
from unpack_race.model.names import SNAPSHOT_REF
from unpack_race.model.snapshotter import (
    Commit,
    Info,
    PrepareT1,
    PrepareT2,
    Remove,
    Stat,
)
from unpack_race.model.switches import LeaseOnExists
from unpack_race.model.world import PullContext, World

BOTH = pytest.mark.parametrize("lease_on_exists", [True, False], ids=["lease-on-exists", "no-lease-on-exists"])
#: PR 10187's halves, each combination (model/switches.py)
HALVES = pytest.mark.parametrize(
    "lease_on_exists",
    [LeaseOnExists(prepare, commit) for prepare in (True, False) for commit in (True, False)],
    ids=lambda h: f"prepare-{'on' if h.prepare else 'off'}-commit-{'on' if h.commit else 'off'}",
)


def new_world(lease_on_exists: bool | LeaseOnExists = True) -> World:
    world = World(lease_on_exists=lease_on_exists, pulls={"pull-1": PullContext(requested=True)})
    CreateLease("L", "pull-1").apply(world)
    return world


def prepare(world: World, key: str, parent: str = "", lease: str = "L", target: str = "") -> str:
    labels = ((SNAPSHOT_REF, target),) if target else ()
    bkey, bparent = PrepareT1(key, parent, target, lease).apply(world)
    return PrepareT2(key, parent, bkey, bparent, lease, labels).apply(world)


def commit_chain(world: World, *names: str, lease: str = "L") -> None:
    """Prepare and commit each name on top of the previous one, the unpacker's way."""
    parent = ""
    for name in names:
        key = f"extract {name}"
        prepare(world, key, parent, lease, target=name)
        Commit(name, key, lease, ((SNAPSHOT_REF, name),)).apply(world)
        parent = name


def without_leases(world: World) -> tuple:
    """The world's fingerprint with the lease table left out."""
    fp = world.fingerprint()
    return fp[:2] + fp[3:]


def lease_snapshots(world: World, lease: str = "L") -> frozenset[str]:
    return world.leases[lease].snapshots


# -- Stat ----------------------------------------------------------------------------


def test_stat_of_an_existing_snapshot_returns_its_name_kind_and_parent():
    world = new_world()
    commit_chain(world, "sha256:c1", "sha256:c2")
    prepare(world, "k", "sha256:c2")
    assert Stat("sha256:c2").apply(world) == Info("sha256:c2", "committed", "sha256:c1")
    assert Stat("k").apply(world) == Info("k", "active", "sha256:c2")


def test_stat_of_a_missing_snapshot_fails_with_containerds_text():
    world = new_world()
    with pytest.raises(NotFound) as caught:
        Stat("sha256:x").apply(world)
    assert str(caught.value) == "snapshot sha256:x does not exist: not found"


@BOTH
def test_stat_is_read_only_and_adds_nothing_to_any_lease(lease_on_exists):
    world = new_world(lease_on_exists)
    commit_chain(world, "sha256:c1", lease="L")
    CreateLease("other", "pull-2").apply(world)
    before = world.fingerprint()
    Stat("sha256:c1").apply(world)
    with pytest.raises(NotFound):
        Stat("sha256:c9").apply(world)
    assert world.fingerprint() == before
    assert lease_snapshots(world, "other") == frozenset()


# -- Prepare, first transaction -------------------------------------------------------


def test_prepare_t1_with_an_existing_target_leases_it_when_lease_on_exists_is_on():
    world = new_world(lease_on_exists=True)
    commit_chain(world, "sha256:c1", lease="L")
    CreateLease("L2", "pull-2").apply(world)
    before = without_leases(world)
    with pytest.raises(AlreadyExists) as caught:
        PrepareT1("extract-2 sha256:c1", "", "sha256:c1", "L2").apply(world)
    assert str(caught.value) == 'target snapshot "sha256:c1": already exists'
    assert caught.value.leased is True
    assert lease_snapshots(world, "L2") == {"sha256:c1"}
    assert lease_snapshots(world, "L") == {"sha256:c1"}
    assert without_leases(world) == before  # no seq, no backend snapshot, no bucket


def test_prepare_t1_with_an_existing_target_changes_nothing_when_lease_on_exists_is_off():
    world = new_world(lease_on_exists=False)
    commit_chain(world, "sha256:c1", lease="L")
    CreateLease("L2", "pull-2").apply(world)
    before = world.fingerprint()
    with pytest.raises(AlreadyExists) as caught:
        PrepareT1("extract-2 sha256:c1", "", "sha256:c1", "L2").apply(world)
    assert str(caught.value) == 'target snapshot "sha256:c1": already exists'
    assert caught.value.leased is False
    assert world.fingerprint() == before


def test_prepare_t1_does_not_check_the_kind_or_parent_of_an_existing_target():
    world = new_world()
    prepare(world, "sha256:c1")  # an *active* bucket named like the chain ID
    CreateLease("L2", "pull-2").apply(world)
    with pytest.raises(AlreadyExists, match='^target snapshot "sha256:c1": already exists$'):
        PrepareT1("k", "sha256:c0", "sha256:c1", "L2").apply(world)
    assert lease_snapshots(world, "L2") == {"sha256:c1"}


def test_prepare_t1_checks_the_target_before_the_key():
    world = new_world()
    commit_chain(world, "sha256:c1")
    prepare(world, "k")
    with pytest.raises(AlreadyExists) as caught:
        PrepareT1("k", "", "sha256:c1", "L").apply(world)
    assert str(caught.value) == 'target snapshot "sha256:c1": already exists'


@HALVES
def test_prepare_t1_with_an_existing_key_fails_and_leases_the_key_only_with_the_prepare_half(lease_on_exists):
    world = new_world(lease_on_exists)
    prepare(world, "k", lease="L")
    CreateLease("L2", "pull-2").apply(world)
    before = without_leases(world)
    with pytest.raises(AlreadyExists) as caught:
        PrepareT1("k", "", "", "L2").apply(world)
    assert str(caught.value) == 'snapshot "k": already exists'
    assert lease_snapshots(world, "L2") == ({"k"} if lease_on_exists.prepare else frozenset())
    assert without_leases(world) == before


@HALVES
def test_prepare_t1_with_an_existing_target_leases_it_with_the_prepare_half_whatever_the_commit_half(
        lease_on_exists):
    # c7fb8a925 (PR 10187), createSnapshot: `rerr = ...; addSnapshotLease(ctx, tx, s.name, target); return nil`
    # is the Prepare half; Commit's move of addSnapshotLease(name) before CreateBucket(name) is the other
    world = new_world(lease_on_exists)
    commit_chain(world, "sha256:c1", lease="L")
    CreateLease("L2", "pull-2").apply(world)
    with pytest.raises(AlreadyExists, match='^target snapshot "sha256:c1": already exists$') as caught:
        PrepareT1("extract-2 sha256:c1", "", "sha256:c1", "L2").apply(world)
    assert caught.value.leased is lease_on_exists.prepare
    assert lease_snapshots(world, "L2") == ({"sha256:c1"} if lease_on_exists.prepare else frozenset())


def test_prepare_t1_with_an_existing_target_and_no_lease_on_the_ctx_leases_nothing():
    world = new_world(lease_on_exists=True)
    commit_chain(world, "sha256:c1")
    before = world.fingerprint()
    with pytest.raises(AlreadyExists) as caught:
        PrepareT1("k", "", "sha256:c1", "").apply(world)
    assert caught.value.leased is False
    assert world.fingerprint() == before


def test_prepare_t1_with_lease_on_exists_fails_with_the_lease_error_when_the_ctx_lease_is_gone():
    world = new_world(lease_on_exists=True)
    commit_chain(world, "sha256:c1", lease="L")
    before = without_leases(world)
    with pytest.raises(NotFound) as caught:
        PrepareT1("k", "", "sha256:c1", "gone").apply(world)
    assert str(caught.value) == "lease does not exist: not found"
    assert without_leases(world) == before
    assert "gone" not in world.leases


@BOTH
def test_prepare_t1_with_a_missing_parent_fails_with_containerds_text(lease_on_exists):
    world = new_world(lease_on_exists)
    before = world.fingerprint()
    with pytest.raises(NotFound) as caught:
        PrepareT1("extract sha256:c2", "sha256:c1", "sha256:c2", "L").apply(world)
    assert str(caught.value) == "parent snapshot sha256:c1 does not exist: not found"
    assert world.fingerprint() == before


def test_prepare_t1_success_allocates_a_sequence_number_and_a_backend_key():
    world = new_world()
    commit_chain(world, "sha256:c1")
    parent_bkey = world.snapshots["sha256:c1"].bkey
    seq = world.generations.get("extract sha256:c2", 0)
    result = PrepareT1("extract sha256:c2", "sha256:c1", "sha256:c2", "L").apply(world)
    assert world.generations["extract sha256:c2"] == seq + 1
    bkey = f"k8s.io/{seq + 1}/extract sha256:c2"
    assert result == (bkey, parent_bkey)
    assert world.backend[bkey] == "active"
    assert world.creating == {bkey}
    assert "extract sha256:c2" not in world.snapshots  # the bucket comes in T2
    assert "extract sha256:c2" not in lease_snapshots(world)


def test_prepare_t1_without_a_parent_returns_an_empty_backend_parent():
    world = new_world()
    bkey, bparent = PrepareT1("k", "", "", "L").apply(world)
    assert bkey == "k8s.io/1/k"
    assert bparent == ""


def test_prepare_t1_does_not_look_at_the_ctx_lease_when_nothing_exists():
    world = new_world()
    PrepareT1("k", "", "", "gone").apply(world)
    assert world.creating == {"k8s.io/1/k"}


# -- Prepare, second transaction ------------------------------------------------------


def test_prepare_t2_leases_the_key_and_records_the_parent_and_the_parents_child():
    world = new_world()
    commit_chain(world, "sha256:c1")
    bkey, bparent = PrepareT1("extract sha256:c2", "sha256:c1", "sha256:c2", "L").apply(world)
    labels = ((SNAPSHOT_REF, "sha256:c2"),)
    assert PrepareT2("extract sha256:c2", "sha256:c1", bkey, bparent, "L", labels).apply(world) == "extract sha256:c2"
    snap = world.snapshots["extract sha256:c2"]
    assert (snap.kind, snap.parent, snap.bkey) == ("active", "sha256:c1", bkey)
    assert snap.label(SNAPSHOT_REF) == "sha256:c2"
    assert world.snapshots["sha256:c1"].children == {"extract sha256:c2"}
    assert "extract sha256:c2" in lease_snapshots(world)
    assert world.creating == set()
    assert world.backend[bkey] == "active"


def test_prepare_t2_fails_when_gc_swept_the_parent_after_t1_and_removes_the_backend_snapshot():
    world = new_world()
    CreateLease("old", "pull-0").apply(world)
    commit_chain(world, "sha256:c1", lease="old")
    bkey, bparent = PrepareT1("extract sha256:c2", "sha256:c1", "sha256:c2", "L").apply(world)
    DeleteLease("old", "pull-0").apply(world)
    GcCollect().apply(world)  # lands between T1 and T2, as containerd allows
    assert "sha256:c1" not in world.snapshots
    snapshots, leases, backend = dict(world.snapshots), dict(world.leases), dict(world.backend)
    seq, dirty = dict(world.generations), world.dirty
    with pytest.raises(NotFound) as caught:
        PrepareT2("extract sha256:c2", "sha256:c1", bkey, bparent, "L").apply(world)
    assert str(caught.value) == "parent snapshot sha256:c1 does not exist: not found"
    # only the backend snapshot made after T1 is gone, and the read lock is released
    del backend[bkey]
    assert world.backend == backend
    assert world.creating == set()
    assert (world.snapshots, world.leases, world.generations, world.dirty) == (snapshots, leases, seq, dirty)


def test_prepare_t2_with_a_recreated_parent_fails_with_mismatched_parent():
    world = new_world()
    commit_chain(world, "sha256:c1")
    bkey, bparent = PrepareT1("extract sha256:c2", "sha256:c1", "sha256:c2", "L").apply(world)
    Remove("sha256:c1", "L").apply(world)  # T2 has not recorded the child yet
    commit_chain(world, "sha256:c1")  # the same name, a new backend key
    assert world.snapshots["sha256:c1"].bkey != bparent
    with pytest.raises(InvalidArgument) as caught:
        PrepareT2("extract sha256:c2", "sha256:c1", bkey, bparent, "L", ((SNAPSHOT_REF, "sha256:c2"),)).apply(world)
    # core/metadata/snapshot.go: "mismatched parent %s from target %s: %w" (parent, target)
    assert str(caught.value) == "mismatched parent sha256:c1 from target sha256:c2: invalid argument"
    assert bkey not in world.backend
    assert "extract sha256:c2" not in world.snapshots
    assert world.snapshots["sha256:c1"].children == frozenset()


def test_prepare_t2_fails_with_the_lease_error_when_the_lease_was_deleted_after_t1():
    world = new_world()
    bkey, bparent = PrepareT1("k", "", "", "L").apply(world)
    DeleteLease("L", "pull-1").apply(world)
    with pytest.raises(NotFound) as caught:
        PrepareT2("k", "", bkey, bparent, "L").apply(world)
    assert str(caught.value) == "lease does not exist: not found"
    assert "k" not in world.snapshots
    assert bkey not in world.backend
    assert world.creating == set()


@HALVES
def test_prepare_t2_fails_when_another_prepare_created_the_key_meanwhile_and_leases_it_before_pr_10187_too(
        lease_on_exists):
    # c7fb8a925^:core/metadata/snapshot.go createSnapshot, T2 (L435-505): addSnapshotLease(ctx, tx, s.name, key)
    # comes before bkt.CreateBucket(key), and on bolt.ErrBucketExists it sets rerr and returns nil, so the tx
    # commits with the lease; so since 526c0db69 (PR 3793), and PR 10187 left it alone: leased in every variant
    world = new_world(lease_on_exists)
    CreateLease("L2", "pull-2").apply(world)
    bkey, bparent = PrepareT1("k", "", "", "L2").apply(world)
    prepare(world, "k", lease="L")
    with pytest.raises(AlreadyExists) as caught:
        PrepareT2("k", "", bkey, bparent, "L2").apply(world)
    assert str(caught.value) == 'snapshot "k": already exists'
    assert caught.value.leased is True
    assert lease_snapshots(world, "L2") == {"k"}
    assert bkey not in world.backend  # `if created != "" { s.Snapshotter.Remove(ctx, created) }`
    assert world.snapshots["k"].bkey != bkey


def test_prepare_without_a_lease_on_the_ctx_creates_an_unleased_snapshot():
    world = new_world()
    prepare(world, "k", lease="")
    assert "k" in world.snapshots
    assert lease_snapshots(world) == frozenset()


# -- Commit ---------------------------------------------------------------------------


@BOTH
def test_commit_moves_the_key_to_the_name_in_the_lease_and_in_the_parents_children(lease_on_exists):
    world = new_world(lease_on_exists)
    commit_chain(world, "sha256:c1")
    prepare(world, "extract sha256:c2", "sha256:c1", target="sha256:c2")
    active_bkey = world.snapshots["extract sha256:c2"].bkey
    seq = world.generations.get("sha256:c2", 0)
    labels = ((SNAPSHOT_REF, "sha256:c2"),)
    assert Commit("sha256:c2", "extract sha256:c2", "L", labels).apply(world) == "sha256:c2"
    snap = world.snapshots["sha256:c2"]
    assert (snap.kind, snap.parent, snap.labels) == ("committed", "sha256:c1", labels)
    assert snap.bkey == f"k8s.io/{seq + 1}/sha256:c2"
    assert "extract sha256:c2" not in world.snapshots
    assert lease_snapshots(world) == {"sha256:c1", "sha256:c2"}
    assert world.snapshots["sha256:c1"].children == {"sha256:c2"}
    assert active_bkey not in world.backend
    assert world.backend[snap.bkey] == "committed"
    assert world.dirty == 0


def test_commit_onto_an_existing_name_leases_the_name_with_lease_on_exists_and_changes_nothing_else():
    world = new_world(lease_on_exists=True)
    CreateLease("L2", "pull-2").apply(world)
    commit_chain(world, "sha256:c1", lease="L")
    prepare(world, "extract-2 sha256:c1", lease="L2")
    before = without_leases(world)
    with pytest.raises(AlreadyExists) as caught:
        Commit("sha256:c1", "extract-2 sha256:c1", "L2").apply(world)
    assert str(caught.value) == 'snapshot "sha256:c1": already exists'
    assert caught.value.leased is True
    assert lease_snapshots(world, "L2") == {"extract-2 sha256:c1", "sha256:c1"}
    assert without_leases(world) == before


def test_commit_onto_an_existing_name_without_lease_on_exists_leaves_the_world_unchanged():
    world = new_world(lease_on_exists=False)
    CreateLease("L2", "pull-2").apply(world)
    commit_chain(world, "sha256:c1", lease="L")
    prepare(world, "extract-2 sha256:c1", lease="L2")
    before = world.fingerprint()
    with pytest.raises(AlreadyExists) as caught:
        Commit("sha256:c1", "extract-2 sha256:c1", "L2").apply(world)
    assert str(caught.value) == 'snapshot "sha256:c1": already exists'
    assert caught.value.leased is False
    assert world.fingerprint() == before


@HALVES
def test_commit_onto_an_existing_name_leases_it_with_the_commit_half_whatever_the_prepare_half(lease_on_exists):
    # c7fb8a925 (PR 10187), Commit: addSnapshotLease(ctx, tx, s.name, name) moved before CreateBucket(name),
    # and ErrBucketExists sets rerr and returns nil (the tx commits); before it the lease came after CreateBucket
    world = new_world(lease_on_exists)
    CreateLease("L2", "pull-2").apply(world)
    commit_chain(world, "sha256:c1", lease="L")
    prepare(world, "extract-2 sha256:c1", lease="L2")
    with pytest.raises(AlreadyExists, match='^snapshot "sha256:c1": already exists$') as caught:
        Commit("sha256:c1", "extract-2 sha256:c1", "L2").apply(world)
    assert caught.value.leased is lease_on_exists.commit
    expected = {"extract-2 sha256:c1", "sha256:c1"} if lease_on_exists.commit else {"extract-2 sha256:c1"}
    assert lease_snapshots(world, "L2") == expected


@BOTH
def test_commit_of_a_missing_key_fails_and_leaves_the_world_unchanged(lease_on_exists):
    world = new_world(lease_on_exists)
    before = world.fingerprint()
    with pytest.raises(NotFound) as caught:
        Commit("sha256:c1", "extract sha256:c1", "L").apply(world)
    assert str(caught.value) == "snapshot extract sha256:c1 does not exist: not found"
    assert world.fingerprint() == before


@BOTH
def test_commit_with_the_lease_gone_fails_with_the_lease_error_and_changes_nothing(lease_on_exists):
    world = new_world(lease_on_exists)
    prepare(world, "k", lease="")
    before = world.fingerprint()
    with pytest.raises(NotFound) as caught:
        Commit("sha256:c1", "k", "gone").apply(world)
    assert str(caught.value) == "lease does not exist: not found"
    assert world.fingerprint() == before


def test_commit_with_lease_on_exists_checks_the_lease_before_the_name():
    world = new_world(lease_on_exists=True)
    commit_chain(world, "sha256:c1")
    prepare(world, "k")
    with pytest.raises(NotFound, match="^lease does not exist: not found$"):
        Commit("sha256:c1", "k", "gone").apply(world)


def test_commit_without_lease_on_exists_reports_the_existing_name_before_the_lease():
    world = new_world(lease_on_exists=False)
    commit_chain(world, "sha256:c1")
    prepare(world, "k")
    with pytest.raises(AlreadyExists, match='^snapshot "sha256:c1": already exists$'):
        Commit("sha256:c1", "k", "gone").apply(world)


@BOTH
def test_commit_reports_a_gone_lease_ahead_of_a_missing_key(lease_on_exists):
    # Go before PR 10187: CreateBucket(name), then addSnapshotLease(name), then the key
    world = new_world(lease_on_exists)
    with pytest.raises(NotFound, match="^lease does not exist: not found$"):
        Commit("sha256:c1", "missing", "gone").apply(world)


@BOTH
def test_commit_of_a_key_whose_parent_bucket_is_gone_fails_and_changes_nothing(lease_on_exists):
    world = new_world(lease_on_exists)
    commit_chain(world, "sha256:c1")
    prepare(world, "k", "sha256:c1")
    del world.snapshots["sha256:c1"]  # an inconsistent store: the parent bucket is missing
    before = world.fingerprint()
    with pytest.raises(NotFound) as caught:
        Commit("sha256:c2", "k", "L").apply(world)
    assert str(caught.value) == "parent snapshot sha256:c1 does not exist: not found"
    assert world.fingerprint() == before


# -- Remove ---------------------------------------------------------------------------


def test_remove_of_a_snapshot_with_a_child_fails_with_failed_precondition_and_changes_nothing():
    world = new_world()
    commit_chain(world, "sha256:c1", "sha256:c2")
    before = world.fingerprint()
    with pytest.raises(FailedPrecondition) as caught:
        Remove("sha256:c1", "L").apply(world)
    assert str(caught.value) == "cannot remove snapshot with child: failed precondition"
    assert world.fingerprint() == before


def test_remove_deletes_the_bucket_unlinks_it_from_parent_and_lease_and_marks_the_db_dirty():
    world = new_world()
    commit_chain(world, "sha256:c1")
    prepare(world, "k", "sha256:c1")
    bkey = world.snapshots["k"].bkey
    assert Remove("k", "L").apply(world) == "k"
    assert "k" not in world.snapshots
    assert world.snapshots["sha256:c1"].children == frozenset()
    assert lease_snapshots(world) == {"sha256:c1"}
    assert world.dirty == 1
    assert world.backend[bkey] == "active"  # left for the backend cleanup


def test_remove_takes_the_key_out_of_the_ctx_lease_only():
    world = new_world()
    CreateLease("L2", "pull-2").apply(world)
    prepare(world, "k", lease="L")
    Remove("k", "L2").apply(world)
    assert lease_snapshots(world, "L") == {"k"}  # a stale member, as in bolt


def test_remove_of_a_missing_snapshot_fails_with_not_found_and_does_not_dirty_the_db():
    world = new_world()
    before = world.fingerprint()
    with pytest.raises(NotFound) as caught:
        Remove("k", "L").apply(world)
    assert str(caught.value) == "snapshot k does not exist: not found"
    assert world.fingerprint() == before


def test_remove_of_a_snapshot_whose_parent_bucket_is_gone_fails_with_containerds_text_and_changes_nothing():
    # core/metadata/snapshot.go Remove at d7f83034c (L695-699): `parent := sbkt.Get(bucketKeyParent); if
    # len(parent) > 0 { pbkt := bkt.Bucket(parent); if pbkt == nil { return fmt.Errorf("parent snapshot %v
    # does not exist: %w", string(parent), errdefs.ErrNotFound) } ...`: the tx fails before deleting anything
    world = new_world()
    commit_chain(world, "sha256:c1")
    prepare(world, "k", "sha256:c1")
    del world.snapshots["sha256:c1"]  # an inconsistent store: the parent bucket is missing
    before = world.fingerprint()
    with pytest.raises(NotFound) as caught:
        Remove("k", "L").apply(world)
    assert str(caught.value) == "parent snapshot sha256:c1 does not exist: not found"
    assert world.fingerprint() == before
    assert world.dirty == 0


def test_removing_the_child_then_the_parent_succeeds():
    world = new_world()
    commit_chain(world, "sha256:c1", "sha256:c2")
    Remove("sha256:c2", "L").apply(world)
    Remove("sha256:c1", "L").apply(world)
    assert world.snapshots == {}
    assert world.dirty == 2
