"""Leases (model/leases.py) against containerd-semantics §3.1-3.2: creation on the pull's
ctx with a 24 h expiry, deletion without cascade, expiry that only a GC observes."""

from __future__ import annotations

import pytest
from unpack_race.model.errdefs import AlreadyExists, NotFound
from unpack_race.model.gc import GcCollect
from unpack_race.model.leases import (
    CreateLease,
    DeleteLease,
    PassTime,
    add_snapshot_lease,
    remove_snapshot_lease,
)
from unpack_race.model.names import LEASE_EXPIRY_SECONDS
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2
from unpack_race.model.world import Lease, PullContext, World


def new_world(lease_on_exists: bool = True) -> World:
    return World(lease_on_exists=lease_on_exists, pulls={"pull-1": PullContext(requested=True)})


def commit(world: World, name: str, lease: str) -> None:
    bkey, bparent = PrepareT1(f"extract {name}", "", name, lease).apply(world)
    PrepareT2(f"extract {name}", "", bkey, bparent, lease).apply(world)
    Commit(name, f"extract {name}", lease).apply(world)


def test_lease_expiry_is_twenty_four_hours_as_client_with_lease_sets_it():
    assert LEASE_EXPIRY_SECONDS == 86_400


def test_create_lease_puts_the_lease_on_the_pull_ctx_and_sets_a_24_h_expiry():
    world = new_world()
    PassTime(100).apply(world)
    assert CreateLease("lease-pull-1", "pull-1").apply(world) == "lease-pull-1"
    assert world.leases["lease-pull-1"] == Lease("lease-pull-1", 100 + 86_400)
    assert world.pulls["pull-1"].lease == "lease-pull-1"
    assert world.lease_of("pull-1") == "lease-pull-1"
    assert world.pulls["pull-1"].requested is True  # the rest of the ctx is kept
    assert world.dirty == 0


def test_create_lease_for_a_pull_without_a_ctx_gives_it_one():
    world = new_world()
    CreateLease("L", "pull-9").apply(world)
    assert world.lease_of("pull-9") == "L"
    assert world.lease_of("pull-8") == ""


def test_create_lease_with_an_existing_id_fails_with_already_exists_and_keeps_the_old_lease():
    world = new_world()
    CreateLease("lease-pull-1", "pull-1").apply(world)
    commit(world, "sha256:c1", "lease-pull-1")
    before = world.fingerprint()
    with pytest.raises(AlreadyExists) as caught:
        CreateLease("lease-pull-1", "pull-1").apply(world)
    # core/metadata/leases.go Create: fmt.Errorf("lease %q: %w", l.ID, err)
    assert str(caught.value) == 'lease "lease-pull-1": already exists'
    assert world.fingerprint() == before


def test_delete_lease_drops_the_lease_marks_the_db_dirty_and_the_pull_returned():
    world = new_world()
    CreateLease("L", "pull-1").apply(world)
    commit(world, "sha256:c1", "L")
    assert DeleteLease("L", "pull-1").apply(world) == "L"
    assert "L" not in world.leases
    assert world.dirty == 1
    assert world.pulls["pull-1"].returned is True


def test_delete_lease_does_not_cascade_to_what_the_lease_held():
    world = new_world()
    CreateLease("L", "pull-1").apply(world)
    commit(world, "sha256:c1", "L")
    snapshots, backend = dict(world.snapshots), dict(world.backend)
    DeleteLease("L", "pull-1").apply(world)
    assert world.snapshots == snapshots
    assert world.backend == backend


def test_delete_lease_of_a_missing_lease_fails_with_not_found_and_does_not_dirty_the_db():
    world = new_world()
    with pytest.raises(NotFound) as caught:
        DeleteLease("lease-x", "pull-1").apply(world)
    # core/metadata/leases.go Delete: fmt.Errorf("lease %q: %w", lease.ID, errdefs.ErrNotFound)
    assert str(caught.value) == 'lease "lease-x": not found'
    assert world.dirty == 0
    assert world.pulls["pull-1"].returned is True  # the deferred done() runs as Pull returns


def test_a_deleted_lease_id_can_be_created_again():
    world = new_world()
    CreateLease("L", "pull-1").apply(world)
    DeleteLease("L", "pull-1").apply(world)
    CreateLease("L", "pull-1").apply(world)
    assert world.leases["L"].snapshots == frozenset()


def test_pass_time_advances_virtual_time_and_returns_the_new_time():
    world = new_world()
    assert PassTime(5).apply(world) == 5
    assert PassTime(7).apply(world) == 12
    assert world.now == 12


def test_a_lease_still_roots_its_snapshots_at_the_instant_of_its_expiry():
    # gc.go scanRoots skips a lease only when expThreshold.After(exp): strictly after
    world = new_world()
    CreateLease("L", "pull-1").apply(world)
    commit(world, "sha256:c1", "L")
    PassTime(LEASE_EXPIRY_SECONDS).apply(world)
    report = GcCollect().apply(world)
    assert report.swept_snapshots == ()
    assert report.swept_leases == ()
    assert "sha256:c1" in world.snapshots
    assert "L" in world.leases


def test_once_its_expiry_has_passed_gc_ignores_the_lease_and_sweeps_it_with_its_snapshots():
    world = new_world()
    CreateLease("L", "pull-1").apply(world)
    commit(world, "sha256:c1", "L")
    PassTime(LEASE_EXPIRY_SECONDS + 1).apply(world)
    assert "L" in world.leases  # expiry alone changes nothing: there is no timer
    report = GcCollect().apply(world)
    assert report.swept_leases == ("L",)
    assert report.swept_snapshots == ("sha256:c1",)
    assert world.leases == {}
    assert world.snapshots == {}


def test_an_expired_lease_that_gc_has_not_swept_yet_still_accepts_members():
    world = new_world()
    CreateLease("L", "pull-1").apply(world)
    PassTime(LEASE_EXPIRY_SECONDS + 1).apply(world)
    commit(world, "sha256:c1", "L")
    assert world.leases["L"].snapshots == {"sha256:c1"}
    GcCollect().apply(world)
    assert "sha256:c1" not in world.snapshots


def test_add_snapshot_lease_without_a_lease_on_the_ctx_is_a_no_op():
    world = new_world()
    add_snapshot_lease(world, "", "k")
    assert world.leases == {}


def test_add_snapshot_lease_with_a_missing_lease_fails_with_containerds_text():
    world = new_world()
    with pytest.raises(NotFound, match="^lease does not exist: not found$"):
        add_snapshot_lease(world, "gone", "k")


def test_remove_snapshot_lease_is_lenient_about_missing_leases_and_members():
    world = new_world()
    CreateLease("L", "pull-1").apply(world)
    remove_snapshot_lease(world, "gone", "k")
    remove_snapshot_lease(world, "L", "k")
    remove_snapshot_lease(world, "", "k")
    assert world.leases["L"].snapshots == frozenset()
