"""CRI RemoveImage (model/remove_image.py), the image store's Delete (model/images.py
DeleteImage) and the synchronous delete's collection (model/synchronous_gc.py), against
internal/cri/server/images/image_remove.go, core/metadata/images.go and
plugins/services/images/local.go at containerd 301026e58."""

from __future__ import annotations

import pytest
from unpack_race.model.errdefs import NotFound
from unpack_race.model.gc import ANY, DIRTY, SCHEDULER, GcCollect, daemon_gc
from unpack_race.model.gc_scheduler import AwaitCollection, ScheduleAndWait
from unpack_race.model.image import ImageSpec
from unpack_race.model.images import DeleteImage
from unpack_race.model.pulled import pulled_image
from unpack_race.model.remove_image import remove_image
from unpack_race.model.world import World

BASE = ImageSpec(name="docker.io/library/base:latest", layers=1, manifest="sha256:mb", config="sha256:fb")


def test_deleting_an_image_removes_only_its_record_and_marks_the_db_dirty():
    # imageStore.Delete: bkt.DeleteBucket(name); s.db.dirty.Add(1); content and snapshots stay
    world = World(lease_on_exists=True)
    pulled_image(world, BASE, unpacked=True)
    DeleteImage(BASE.name).apply(world)
    assert world.images == {} and world.dirty == 1
    assert "sha256:c1" in world.snapshots and BASE.manifest in world.content


def test_deleting_a_missing_image_is_go_s_not_found_and_changes_nothing():
    # `fmt.Errorf("image %q: %w", name, errdefs.ErrNotFound)`
    world = World(lease_on_exists=True)
    with pytest.raises(NotFound) as raised:
        DeleteImage("docker.io/library/gone:latest").apply(world)
    assert str(raised.value) == 'image "docker.io/library/gone:latest": not found'
    assert world.dirty == 0


def test_remove_image_deletes_the_reference_then_waits_for_a_collection_of_the_gc_scheduler():
    # image_remove.go: the last reference with images.SynchronousDelete(); local.go Delete:
    # store.Delete, then `if req.Sync { l.gc.ScheduleAndWait(ctx) }`; scheduler.go
    # ScheduleAndWait: add a waiter, trigger, block until a collection hands it its stats
    actor = remove_image(BASE.name, "cri", SCHEDULER)
    assert next(actor) == DeleteImage(BASE.name)
    assert actor.send(BASE.name) == ScheduleAndWait("cri")
    assert actor.send("cri") == AwaitCollection("cri")
    with pytest.raises(StopIteration):
        actor.send("cri")


def test_a_triggered_collection_is_due_and_wakes_the_waiter_only_once_it_has_run():
    world = World(lease_on_exists=True, **daemon_gc(SCHEDULER))
    pulled_image(world, BASE, unpacked=True)
    world.dirty = 0  # quiet: only the trigger makes a collection due
    assert not GcCollect(SCHEDULER).enabled(world)
    ScheduleAndWait("cri").apply(world)
    wait = AwaitCollection("cri")
    assert GcCollect(SCHEDULER).enabled(world) and not wait.enabled(world)
    GcCollect(SCHEDULER).apply(world)
    assert wait.enabled(world) and not GcCollect(SCHEDULER).enabled(world)


def test_without_the_gc_scheduler_the_synchronous_delete_collects_as_its_own_step():
    # gc-policy any and dirty count nothing: the stand-in (model/synchronous_gc.py)
    for policy in (ANY, DIRTY):
        actor = remove_image(BASE.name, "cri", policy)
        assert next(actor) == DeleteImage(BASE.name)
        collect = actor.send(BASE.name)
        assert isinstance(collect, GcCollect)
        with pytest.raises(StopIteration):
            actor.send(None)


def test_a_reference_already_gone_is_no_error_to_cri_and_nothing_is_collected():
    # image_remove.go: `if err == nil || errdefs.IsNotFound(err) { ...; continue }`; local.go
    # returns the store's error before ScheduleAndWait
    actor = remove_image(BASE.name, "cri", SCHEDULER)
    next(actor)
    with pytest.raises(StopIteration):
        actor.throw(NotFound(f'image "{BASE.name}"'))


def test_the_synchronous_collection_runs_whether_or_not_the_db_is_dirty():
    # scheduler.go: a manual trigger schedules a collection regardless of the counts
    actor = remove_image(BASE.name, "cri", ANY)
    next(actor)
    assert actor.send(BASE.name).enabled(World(lease_on_exists=True))


def test_the_collection_after_the_delete_sweeps_the_chain_the_image_alone_rooted():
    world = World(lease_on_exists=True)
    pulled_image(world, BASE, unpacked=True)
    DeleteImage(BASE.name).apply(world)
    report = GcCollect("any").apply(world)
    assert report.swept_snapshots == ("sha256:c1",)
    assert set(report.swept_content) == {BASE.manifest, BASE.config, "sha256:l1"}
    assert world.dirty == 0
