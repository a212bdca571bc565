"""Garbage collection (model/gc.py) against containerd-semantics §2.6 and §4: roots,
edges, the sweep, the dirty policy and the later backend cleanup."""

from __future__ import annotations

import pytest
from unpack_race.model.content import write_blob
from unpack_race.model.errdefs import AlreadyExists, FailedPrecondition
from unpack_race.model.gc import BackendCleanup, GcCollect, mark
from unpack_race.model.image import ImageSpec
from unpack_race.model.leases import CreateLease, DeleteLease
from unpack_race.model.names import (
    GC_REF_CONTENT,
    GC_REF_SNAPSHOT,
    GC_ROOT,
    SNAPSHOT_REF,
)
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Remove
from unpack_race.model.world import Blob, PullContext, Snapshot, World


def new_world() -> World:
    world = World(lease_on_exists=True, pulls={"pull-1": PullContext(requested=True)})
    CreateLease("L", "pull-1").apply(world)
    return world


def prepare(world: World, key: str, parent: str = "", lease: str = "L") -> None:
    bkey, bparent = PrepareT1(key, parent, "", lease).apply(world)
    PrepareT2(key, parent, bkey, bparent, lease).apply(world)


def commit_chain(world: World, *names: str, lease: str = "L") -> None:
    parent = ""
    for name in names:
        prepare(world, f"extract {name}", parent, lease)
        Commit(name, f"extract {name}", lease, ((SNAPSHOT_REF, name),)).apply(world)
        parent = name


def test_gc_sweeps_unreachable_snapshots_and_content_and_keeps_leased_ones():
    world = new_world()
    CreateLease("old", "pull-0").apply(world)
    commit_chain(world, "sha256:a1", lease="L")
    commit_chain(world, "sha256:b1", lease="old")
    write_blob(world, "sha256:kept", "L", ())
    write_blob(world, "sha256:lost", "old", ())
    DeleteLease("old", "pull-0").apply(world)
    report = GcCollect().apply(world)
    assert report.swept_snapshots == ("sha256:b1",)
    assert report.swept_content == ("sha256:lost",)
    assert report.swept_leases == ()
    assert set(world.snapshots) == {"sha256:a1"}
    assert set(world.content) == {"sha256:kept"}


def test_gc_reports_what_it_saw_before_the_sweep():
    world = new_world()
    commit_chain(world, "sha256:c1", lease="")
    report = GcCollect().apply(world)
    assert [name for name, _, _ in report.before.snapshots] == ["sha256:c1"]
    assert report.before.leases == (("L", False, frozenset(), frozenset()),)


def test_gc_follows_image_to_manifest_to_config_to_the_top_snapshot_and_down_its_parents():
    world = new_world()
    image = ImageSpec(layers=2)
    commit_chain(world, "sha256:c1", "sha256:c2", lease="L")
    commit_chain(world, "sha256:z1", lease="L")
    write_blob(world, image.manifest, "L", image.manifest_labels())
    write_blob(world, image.config, "L", ((GC_REF_SNAPSHOT, "sha256:c2"),))
    write_blob(world, "sha256:l1", "L", ())
    write_blob(world, "sha256:l2", "L", ())
    write_blob(world, "sha256:stray", "L", ())
    world.images[image.name] = image.manifest
    DeleteLease("L", "pull-1").apply(world)
    report = GcCollect().apply(world)
    assert set(world.snapshots) == {"sha256:c1", "sha256:c2"}
    assert set(world.content) == {image.manifest, image.config, "sha256:l1", "sha256:l2"}
    assert report.swept_snapshots == ("sha256:z1",)
    assert report.swept_content == ("sha256:stray",)


def test_gc_follows_a_snapshot_reference_label_with_a_slash_suffix():
    world = new_world()
    commit_chain(world, "sha256:c1", lease="")
    world.content["sha256:f0"] = Blob(((f"{GC_REF_SNAPSHOT}/extra", "sha256:c1"), (GC_ROOT, "x")))
    GcCollect().apply(world)
    assert "sha256:c1" in world.snapshots


def test_gc_ignores_a_label_that_merely_starts_with_the_content_reference_prefix():
    # gc.go: containerd.io/gc.ref.content, or that prefix followed by "." or "/"
    world = new_world()
    world.content["sha256:root"] = Blob(((GC_ROOT, "x"), (f"{GC_REF_CONTENT}ious", "sha256:b")))
    world.content["sha256:b"] = Blob()
    GcCollect().apply(world)
    assert "sha256:b" not in world.content
    world.content["sha256:root"] = Blob(((GC_ROOT, "x"), (f"{GC_REF_CONTENT}/m", "sha256:b")))
    world.content["sha256:b"] = Blob()
    GcCollect().apply(world)
    assert "sha256:b" in world.content


def test_gc_keeps_content_and_snapshots_labelled_gc_root():
    world = new_world()
    world.content["sha256:r"] = Blob(((GC_ROOT, "2024-01-01T00:00:00Z"),))
    world.snapshots["s"] = Snapshot("committed", "", "k8s.io/9/s", ((GC_ROOT, "x"),))
    world.snapshots["t"] = Snapshot("committed", "", "k8s.io/10/t")
    report = GcCollect().apply(world)
    assert "sha256:r" in world.content
    assert "s" in world.snapshots
    assert report.swept_snapshots == ("t",)


def test_an_active_extraction_snapshot_in_a_live_lease_keeps_its_parent_chain_alive():
    world = new_world()
    CreateLease("old", "pull-0").apply(world)
    commit_chain(world, "sha256:c1", "sha256:c2", lease="old")
    prepare(world, "extract sha256:c3", "sha256:c2", lease="L")
    DeleteLease("old", "pull-0").apply(world)
    GcCollect().apply(world)
    assert set(world.snapshots) == {"sha256:c1", "sha256:c2", "extract sha256:c3"}


def test_a_leased_parent_does_not_keep_its_unleased_child_alive():
    world = new_world()
    commit_chain(world, "sha256:c1", lease="L")
    prepare(world, "child", "sha256:c1", lease="")
    GcCollect().apply(world)
    assert "child" not in world.snapshots
    assert "sha256:c1" in world.snapshots


def test_gc_does_not_update_a_surviving_parents_children_so_removing_the_parent_fails():
    # containerd-semantics §2.6: gc.go deletes the child's bucket only
    world = new_world()
    commit_chain(world, "sha256:c1", lease="L")
    prepare(world, "child", "sha256:c1", lease="")
    GcCollect().apply(world)
    assert world.snapshots["sha256:c1"].children == {"child"}
    with pytest.raises(FailedPrecondition, match="^cannot remove snapshot with child: failed precondition$"):
        Remove("sha256:c1", "L").apply(world)


def test_gc_sweeps_expired_leases_and_resets_the_dirty_counter():
    world = new_world()
    CreateLease("short", "pull-0", expires_in=10).apply(world)
    commit_chain(world, "sha256:c1", lease="short")
    prepare(world, "k", lease="L")
    Remove("k", "L").apply(world)
    world.now = 11
    assert world.dirty == 1
    report = GcCollect().apply(world)
    assert report.swept_leases == ("short",)
    assert report.swept_snapshots == ("sha256:c1",)
    assert set(world.leases) == {"L"}
    assert world.dirty == 0


def test_gc_leaves_the_backend_snapshots_for_the_backend_cleanup():
    world = new_world()
    commit_chain(world, "sha256:c1", lease="")
    backend = dict(world.backend)
    GcCollect().apply(world)
    assert world.snapshots == {}
    assert world.backend == backend


def test_the_dirty_policy_disables_gc_while_the_db_is_not_dirty():
    world = new_world()
    assert GcCollect("dirty").enabled(world) is False
    assert "not dirty" in GcCollect("dirty").blocked_on(world)
    assert GcCollect("any").enabled(world) is True
    DeleteLease("L", "pull-1").apply(world)
    assert GcCollect("dirty").enabled(world) is True
    GcCollect("dirty").apply(world)
    assert GcCollect("dirty").enabled(world) is False


def test_mark_returns_the_reachable_snapshots_and_blobs():
    world = new_world()
    commit_chain(world, "sha256:c1", "sha256:c2", lease="L")
    write_blob(world, "sha256:f0", "L", ((GC_REF_SNAPSHOT, "sha256:c2"),))
    snaps, blobs = mark(world)
    assert snaps >= {"sha256:c1", "sha256:c2"}
    assert blobs == {"sha256:f0"}


def test_backend_cleanup_is_disabled_while_a_prepare_is_between_t1_and_t2():
    world = new_world()
    bkey, bparent = PrepareT1("k", "", "", "L").apply(world)
    assert BackendCleanup().enabled(world) is False
    assert "T1 and T2" in BackendCleanup().blocked_on(world)
    PrepareT2("k", "", bkey, bparent, "L").apply(world)
    assert BackendCleanup().enabled(world) is True


def test_backend_cleanup_waits_until_every_prepare_of_the_same_key_has_reached_t2():
    # each createSnapshot call holds s.l.RLock on its own, even two calls for one key
    world = new_world()
    first = PrepareT1("k", "", "", "L").apply(world)
    second = PrepareT1("k", "", "", "L").apply(world)
    assert first != second
    PrepareT2("k", "", *second, "L").apply(world)
    assert BackendCleanup().enabled(world) is False
    with pytest.raises(AlreadyExists):
        PrepareT2("k", "", *first, "L").apply(world)
    assert BackendCleanup().enabled(world) is True


def test_backend_cleanup_removes_the_backend_keys_no_metadata_bucket_names():
    world = new_world()
    commit_chain(world, "sha256:c1", lease="L")
    prepare(world, "k", "sha256:c1", lease="L")
    swept = world.snapshots["k"].bkey
    Remove("k", "L").apply(world)
    kept = world.snapshots["sha256:c1"].bkey
    assert BackendCleanup().apply(world) == (swept,)
    assert world.backend == {kept: "committed"}
    assert BackendCleanup().apply(world) == ()
