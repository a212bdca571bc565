"""resolveSnapshotOptions (model/remap.py) and the container calls around it
(model/containers.py), driven by hand against client/snapshotter_opts_unix.go,
client/container_opts.go, client/client.go, client/container.go and
core/metadata/containers.go at containerd 301026e58."""

from __future__ import annotations

import pytest
from drive_by_hand import drive, once_before
from unpack_race.model.containers import (
    CreateContainer,
    DeleteContainer,
    created_container,
    delete_container,
    new_container,
)
from unpack_race.model.errdefs import AlreadyExists, NotFound
from unpack_race.model.gc import GcCollect
from unpack_race.model.image import ImageSpec
from unpack_race.model.pulled import pulled_image
from unpack_race.model.remap import REMAP_LABELS, remapped_snapshot, resolve_snapshot_options, userns_id
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Remove, Stat
from unpack_race.model.world import PullContext, World

IMAGE = ImageSpec(layers=1)
REMAPPED = userns_id("sha256:c1")


def daemon(with_remapped: bool) -> World:
    world = World(lease_on_exists=True, pulls={"create-b": PullContext(requested=True)})
    pulled_image(world, IMAGE, unpacked=True)
    if with_remapped:
        created_container(world, "ctr-a", remapped_snapshot(world, "sha256:c1"), REMAP_LABELS)
    return world


def create_b(world: World, before=None, lease_first: bool = False):
    resolve = (lambda ctx, parent: resolve_snapshot_options(ctx, parent, lease_first=True)) if lease_first \
        else resolve_snapshot_options
    return drive(new_container("create-b", "ctr-b", "sha256:c1", resolve, REMAP_LABELS), world, before)


def test_without_a_remapped_snapshot_the_client_prepares_chowns_and_commits_one_under_its_lease():
    # resolveSnapshotOptions: Stat fails -> Prepare(usernsID+"-remap", parent) -> remapRootFS
    # -> Commit(usernsID, usernsID+"-remap"); then withNewSnapshot's Prepare(id, usernsID)
    world = daemon(with_remapped=False)
    run = create_b(world)
    assert run.error is None
    assert run.names == ["CreateLease", "Stat", "PrepareT1", "PrepareT2", "Commit", "PrepareT1", "PrepareT2",
                         "CreateContainer", "DeleteLease"]
    commit = next(e for e, _ in run.steps if isinstance(e, Commit))
    assert (commit.name, commit.key, commit.labels) == (REMAPPED, REMAPPED + "-remap", ())
    assert world.snapshots["ctr-b"].parent == REMAPPED and world.containers == {"ctr-b": "ctr-b"}


def test_a_remapped_snapshot_found_by_stat_is_used_as_the_parent_without_a_lease():
    # `if _, err := snapshotter.Stat(ctx, usernsID); err == nil { return usernsID, nil }`
    world = daemon(with_remapped=True)
    leased = []
    run = create_b(world, lambda effect, w: leased.append(set(w.leases.get("lease-create-b").snapshots)
                                                           if "lease-create-b" in w.leases else None))
    assert run.error is None
    assert run.names[:3] == ["CreateLease", "Stat", "PrepareT1"]
    t1 = next(e for e, _ in run.steps if isinstance(e, PrepareT1))
    assert (t1.key, t1.parent, t1.target) == ("ctr-b", REMAPPED, "")
    assert REMAPPED not in leased[2]  # before the Prepare: the Stat leased nothing


def test_the_remapped_snapshot_swept_after_the_stat_fails_the_container_s_prepare_unwrapped():
    # withNewSnapshot: `_, err = s.Prepare(ctx, id, parent, opts...); if err != nil { return err }`
    world = daemon(with_remapped=True)

    def ctr_a_goes(w: World) -> None:
        Remove("ctr-a", "").apply(w)
        GcCollect("any").apply(w)

    run = create_b(world, once_before(PrepareT1, lambda e: e.key == "ctr-b", ctr_a_goes))
    assert str(run.error) == f"parent snapshot {REMAPPED} does not exist: not found"
    assert run.names[-1] == "DeleteLease" and "ctr-b" not in world.containers


def test_the_fix_leases_the_remapped_snapshot_before_the_stat_so_the_collection_keeps_it():
    world = daemon(with_remapped=True)

    def ctr_a_goes(w: World) -> None:
        Remove("ctr-a", "").apply(w)
        GcCollect("any").apply(w)

    run = create_b(world, once_before(Stat, lambda e: True, ctr_a_goes), lease_first=True)
    assert run.error is None and run.names[:3] == ["CreateLease", "AddResource", "Stat"]
    assert world.snapshots[REMAPPED].kind == "committed"


def test_a_container_record_roots_its_snapshot_and_the_parents_below_it():
    # core/metadata/gc.go scanRoots sends every container; references: its snapshot key
    world = daemon(with_remapped=True)
    assert GcCollect("any").apply(world).swept_snapshots == ()
    Remove("ctr-a", "").apply(world)
    assert GcCollect("any").apply(world).swept_snapshots == (REMAPPED,)


def test_container_records_have_go_s_errors_and_a_delete_marks_the_db_dirty():
    world = World(lease_on_exists=True)
    CreateContainer("c", "c").apply(world)
    with pytest.raises(AlreadyExists) as exists:
        CreateContainer("c", "c").apply(world)
    assert str(exists.value) == 'container "c": already exists'
    DeleteContainer("c").apply(world)
    assert world.dirty == 1
    with pytest.raises(NotFound) as missing:
        DeleteContainer("c").apply(world)
    assert str(missing.value) == "container c: not found"


def test_deleting_a_container_removes_its_snapshot_first_and_ignores_a_missing_one():
    # client/container_opts.go WithSnapshotCleanup: `err != nil && !errdefs.IsNotFound(err)`;
    # client/container.go Delete: the opts, then ContainerService().Delete
    world = daemon(with_remapped=True)
    run = drive(delete_container("ctr-a", "ctr-a"), world)
    assert run.names == ["Remove", "DeleteContainer"] and run.error is None
    run = drive(delete_container("ctr-x", "ctr-x"), world)
    assert isinstance(run.steps[0][1], NotFound) and str(run.error) == "container ctr-x: not found"


def test_the_prepare_of_the_remap_copy_carries_no_labels_and_the_container_s_carries_the_mapping():
    world = daemon(with_remapped=False)
    run = create_b(world)
    t2 = [e for e, _ in run.steps if isinstance(e, PrepareT2)]
    assert [(e.key, e.labels) for e in t2] == [(REMAPPED + "-remap", ()), ("ctr-b", REMAP_LABELS)]
