"""The keyed mutex, the blob fetches, content labels, image records and the kubelet
(model/kmutex.py, content.py, unpacker.WaitForLayerFetch, images.py, kubelet.py,
client.AwaitPullRequest): blocking, cancellation and gating."""

from __future__ import annotations

import pytest
from unpack_race.model.client import AwaitPullRequest
from unpack_race.model.content import FetchBlob, UpdateContentLabels, write_blob
from unpack_race.model.errdefs import Canceled, NotFound
from unpack_race.model.images import CreateImage
from unpack_race.model.kmutex import Lock, Unlock
from unpack_race.model.kubelet import CancelPull, RequestPull, kubelet
from unpack_race.model.leases import CreateLease, DeleteLease
from unpack_race.model.pull_progress import ProgressTimeout, progress_reporter
from unpack_race.model.unpacker import WaitForLayerFetch
from unpack_race.model.world import PullContext, World


def new_world(acquire_checks_ctx_first: bool = True) -> World:
    world = World(
        lease_on_exists=True,
        pulls={"pull-1": PullContext(requested=True), "pull-2": PullContext()},
        acquire_checks_ctx_first=acquire_checks_ctx_first,
    )
    CreateLease("L", "pull-1").apply(world)
    return world


# -- kmutex ---------------------------------------------------------------------------


def test_lock_on_a_free_key_records_the_holder():
    world = new_world()
    assert Lock("sn://overlayfs/sha256:c1", "pull-1").enabled(world)
    assert Lock("sn://overlayfs/sha256:c1", "pull-1").apply(world) == "sn://overlayfs/sha256:c1"
    assert world.locks == {"sn://overlayfs/sha256:c1": "pull-1"}


def test_lock_blocks_while_another_pull_holds_the_key_and_unblocks_after_unlock():
    world = new_world()
    Lock("k", "pull-1").apply(world)
    waiting = Lock("k", "pull-2")
    assert waiting.enabled(world) is False
    assert waiting.blocked_on(world) == "k is held by pull-1"
    assert Lock("other", "pull-2").enabled(world) is True
    Unlock("k", "pull-1").apply(world)
    assert waiting.enabled(world) is True
    waiting.apply(world)
    assert world.locks == {"k": "pull-2"}


@pytest.mark.parametrize("ctx_first", [True, False], ids=["x-sync-v0.7.0+", "x-sync-v0.5.0-and-before"])
def test_a_cancelled_pull_waiting_for_a_lock_gets_context_canceled_and_not_the_lock(ctx_first):
    # every x/sync: a waiter selects on ctx.Done() and its `ready` channel; the key is still held, so
    # `ready` is not closed and Acquire returns ctx.Err() (vendor/golang.org/x/sync/semaphore in each tag)
    world = new_world(ctx_first)
    Lock("k", "pull-1").apply(world)
    waiting = Lock("k", "pull-2")
    CancelPull("pull-2").apply(world)
    assert waiting.enabled(world) is True  # cancellation wakes the waiter
    with pytest.raises(Canceled) as caught:
        waiting.apply(world)
    assert str(caught.value) == "context canceled"
    assert world.locks == {"k": "pull-1"}


def test_a_cancelled_pull_gets_context_canceled_even_when_the_key_is_free_with_x_sync_v0_7_0_and_later():
    # v2.0.0:vendor/golang.org/x/sync/semaphore/semaphore.go (v0.8.0) Acquire: `select { case <-done: ...
    # return ctx.Err() default: }` before `if s.size-s.cur >= n && s.waiters.Len() == 0`
    world = new_world(acquire_checks_ctx_first=True)
    CancelPull("pull-1").apply(world)
    with pytest.raises(Canceled, match="^context canceled$"):
        Lock("k", "pull-1").apply(world)
    assert world.locks == {}


@pytest.mark.parametrize("tag", ["v1.6.37 (x/sync v0.3.0)", "v1.7.23 (x/sync v0.5.0)"])
def test_a_cancelled_pull_takes_a_free_key_with_the_x_sync_of_1_6_37_and_1_7_23(tag):
    # v1.6.37 and v1.7.23:vendor/golang.org/x/sync/semaphore/semaphore.go Acquire begins with
    # `if s.size-s.cur >= n && s.waiters.Len() == 0 { s.cur += n; s.mu.Unlock(); return nil }`: no ctx check
    world = new_world(acquire_checks_ctx_first=False)
    CancelPull("pull-1").apply(world)
    assert Lock("k", "pull-1").enabled(world)
    assert Lock("k", "pull-1").apply(world) == "k"
    assert world.locks == {"k": "pull-1"}


def test_unlock_of_a_key_held_by_someone_else_is_a_panic_not_a_containerd_error():
    world = new_world()
    Lock("k", "pull-1").apply(world)
    with pytest.raises(RuntimeError, match="pull-2 unlocks k held by pull-1"):
        Unlock("k", "pull-2").apply(world)
    with pytest.raises(RuntimeError, match="held by None"):
        Unlock("free", "pull-1").apply(world)


# -- fetches --------------------------------------------------------------------------


def test_fetch_blob_writes_the_blob_with_its_labels_under_the_lease():
    world = new_world()
    labels = (("containerd.io/gc.ref.content.config", "sha256:f0"),)
    assert FetchBlob("sha256:m0", "manifest", "L", "pull-1", labels).apply(world) == "fetched, leased"
    assert world.content["sha256:m0"].labels == labels
    assert world.leases["L"].content == {"sha256:m0"}


def test_fetch_blob_of_a_present_blob_leases_it_and_merges_labels():
    world = new_world()
    CreateLease("L2", "pull-2").apply(world)
    write_blob(world, "sha256:m0", "L", (("a", "1"),))
    assert FetchBlob("sha256:m0", "manifest", "L2", "pull-2", (("b", "2"),)).apply(world) == "already present, leased"
    assert world.content["sha256:m0"].label_map() == {"a": "1", "b": "2"}
    assert world.leases["L2"].content == {"sha256:m0"}


def test_fetch_blob_in_a_cancelled_pull_fails_with_context_canceled_and_writes_nothing():
    world = new_world()
    CancelPull("pull-1").apply(world)
    before = world.fingerprint()
    with pytest.raises(Canceled) as caught:
        FetchBlob("sha256:m0", "manifest", "L", "pull-1").apply(world)
    assert str(caught.value) == "context canceled"
    assert world.fingerprint() == before


def test_fetch_blob_with_the_lease_gone_fails_before_writing_the_blob():
    world = new_world()
    DeleteLease("L", "pull-1").apply(world)
    with pytest.raises(NotFound, match="^lease does not exist: not found$"):
        FetchBlob("sha256:m0", "manifest", "L", "pull-1").apply(world)
    assert world.content == {}


def test_wait_for_layer_fetch_writes_the_layer_blob_under_the_lease():
    world = new_world()
    assert WaitForLayerFetch("sha256:l1", "L", "pull-1").apply(world) == "sha256:l1"
    assert "sha256:l1" in world.content
    assert world.leases["L"].content == {"sha256:l1"}


def test_wait_for_layer_fetch_in_a_cancelled_pull_fails_with_context_canceled():
    world = new_world()
    CancelPull("pull-1").apply(world)
    with pytest.raises(Canceled, match="^context canceled$"):
        WaitForLayerFetch("sha256:l1", "L", "pull-1").apply(world)
    assert world.content == {}


def test_update_content_labels_merges_the_labels_into_the_blob():
    world = new_world()
    write_blob(world, "sha256:f0", "L", (("a", "1"),))
    UpdateContentLabels("sha256:f0", (("b", "2"), ("a", "3")), "config").apply(world)
    assert world.content["sha256:f0"].label_map() == {"a": "3", "b": "2"}


def test_update_content_labels_of_a_missing_blob_fails_with_containerds_text():
    world = new_world()
    with pytest.raises(NotFound) as caught:
        UpdateContentLabels("sha256:f0", (("b", "2"),)).apply(world)
    # core/metadata/content.go (*contentStore).Update at d7f83034c:
    # fmt.Errorf("content digest %v: %w", info.Digest, errdefs.ErrNotFound)
    assert str(caught.value) == "content digest sha256:f0: not found"


def test_create_image_creates_then_updates_the_record():
    world = new_world()
    assert CreateImage("app", "sha256:m0").apply(world) == "created"
    assert CreateImage("app", "sha256:m1").apply(world) == "updated"
    assert world.images == {"app": "sha256:m1"}


# -- kubelet --------------------------------------------------------------------------


def test_cancel_pull_cancels_the_request_ctx_of_a_running_pull():
    world = new_world()
    assert CancelPull("pull-1").apply(world) == "cancelled"
    assert world.pulls["pull-1"].cancelled is True


def test_cancel_pull_after_the_pull_returned_is_too_late_and_changes_nothing():
    world = new_world()
    DeleteLease("L", "pull-1").apply(world)
    before = world.fingerprint()
    assert CancelPull("pull-1").apply(world) == "too late: the pull has already returned"
    assert world.pulls["pull-1"].cancelled is False
    assert world.fingerprint() == before


def test_request_pull_after_another_pull_waits_until_that_pull_has_returned():
    world = new_world()
    retry = RequestPull("pull-2", after="pull-1")
    assert retry.enabled(world) is False
    assert retry.blocked_on(world) == "it retries only after pull-1 has returned"
    DeleteLease("L", "pull-1").apply(world)
    assert retry.enabled(world) is True
    assert retry.apply(world) == "pull-2"
    assert world.pulls["pull-2"].requested is True


def test_request_pull_without_after_is_always_enabled():
    world = new_world()
    assert RequestPull("pull-2").enabled(world) is True


def test_await_pull_request_is_enabled_only_once_the_kubelet_asked():
    world = new_world()
    assert AwaitPullRequest("pull-1").enabled(world) is True
    assert AwaitPullRequest("pull-2").enabled(world) is False
    RequestPull("pull-2").apply(world)
    assert AwaitPullRequest("pull-2").enabled(world) is True


@pytest.mark.parametrize("overlap, after", [(True, ""), (False, "pull-1")])
def test_the_kubelet_cancels_the_first_pull_then_retries(overlap, after):
    steps = list(kubelet("pull-1", "pull-2", overlap))
    assert steps == [CancelPull("pull-1"), RequestPull("pull-2", after)]


def test_the_kubelet_can_ask_for_the_retry_before_the_cancel_arrives():
    steps = list(kubelet("pull-1", "pull-2", True, "retry-then-cancel"))
    assert steps == [RequestPull("pull-2", ""), CancelPull("pull-1")]


def test_the_kubelet_refuses_an_order_it_does_not_know():
    with pytest.raises(ValueError, match="kubelet order 'sideways': use one of cancel-then-retry, "
                                         "retry-then-cancel"):
        list(kubelet("pull-1", "pull-2", True, "sideways"))


# -- CRI's pull progress reporter -----------------------------------------------------


def test_the_progress_timeout_cancels_the_pull_it_watches_and_no_other():
    world = new_world()
    step = ProgressTimeout("pull-1")
    assert isinstance(step, CancelPull)  # a cancel of the pull's ctx (pcancel), as every CancelPull is
    assert step.apply(world) == "cancelled"
    assert (world.pulls["pull-1"].cancelled, world.pulls["pull-2"].cancelled) == (True, False)
    assert "image_pull_progress_timeout" in step.narrate("cri", "cancelled", None)
    assert list(progress_reporter("pull-1")) == [ProgressTimeout("pull-1")]


def test_the_progress_timeout_after_the_pull_returned_changes_nothing():
    world = new_world()
    DeleteLease("L", "pull-1").apply(world)
    assert ProgressTimeout("pull-1").apply(world) == "too late: the pull has already returned"
    assert world.pulls["pull-1"].cancelled is False
