"""The unpacker and the pull client (model/unpacker.py, model/client.py) driven by hand:
each yielded effect is applied to a world and its result sent back (or its error thrown
in), the way the kernel does, with an optional hook that lets another party act just
before a given step. Checks the order of steps against containerd-semantics §1.3 and §3.2
and the #3787 interleaving of §5.1."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from unpack_race.model.client import AwaitPullRequest, lease_id, pull_image
from unpack_race.model.content import write_blob
from unpack_race.model.errdefs import AlreadyExists, Canceled, ContainerdError, NotFound
from unpack_race.model.gc import GcCollect
from unpack_race.model.image import ImageSpec
from unpack_race.model.kmutex import Lock
from unpack_race.model.kubelet import CancelPull
from unpack_race.model.leases import CreateLease, DeleteLease
from unpack_race.model.names import GC_REF_SNAPSHOT, SNAPSHOT_REF, UNCOMPRESSED
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Stat
from unpack_race.model.unpacker import Ctx, UnpackOptions, WaitForLayerFetch, stat_early_return, unpack
from unpack_race.model.world import PullContext, World
from unpack_race.scheduler.effect import Effect

IMAGE = ImageSpec(layers=2)
LEASE = lease_id("pull-1")
Hook = Callable[[Effect, World], None]


@attrs.frozen
class Run:
    steps: list  # (effect, result or error)
    returned: object
    error: ContainerdError | None

    @property
    def names(self) -> list[str]:
        # the class name: Commit and CreateImage have a `name` field of their own
        return [type(effect).__name__ for effect, _ in self.steps]


def drive(actor, world: World, before: Hook | None = None) -> Run:
    """Run one actor alone to its end; `before(effect, world)` runs before each step."""
    steps = []
    try:
        effect = next(actor)
        while True:
            if before is not None:
                before(effect, world)
            assert effect.enabled(world), f"{effect.describe()} is blocked: {effect.blocked_on(world)}"
            try:
                result = effect.apply(world)
            except ContainerdError as error:
                steps.append((effect, error))
                effect = actor.throw(error)
            else:
                steps.append((effect, result))
                effect = actor.send(result)
    except StopIteration as stop:
        return Run(steps, stop.value, None)
    except ContainerdError as error:
        return Run(steps, None, error)


def new_world(lease_on_exists: bool = True) -> World:
    return World(lease_on_exists=lease_on_exists, pulls={"pull-1": PullContext(requested=True)})


def world_with_c1(lease_on_exists: bool) -> World:
    """A world where an earlier pull (lease "old") left the committed sha256:c1."""
    world = new_world(lease_on_exists)
    CreateLease("old", "pull-0").apply(world)
    bkey, bparent = PrepareT1("extract-old sha256:c1", "", "sha256:c1", "old").apply(world)
    PrepareT2("extract-old sha256:c1", "", bkey, bparent, "old").apply(world)
    Commit("sha256:c1", "extract-old sha256:c1", "old", ((SNAPSHOT_REF, "sha256:c1"),)).apply(world)
    return world


def ready_for_unpack(world: World, lease: str = "L") -> Ctx:
    """What client.Pull has done before the unpacker runs: a lease and the config blob."""
    CreateLease(lease, "pull-1").apply(world)
    write_blob(world, IMAGE.config, lease, ())
    return Ctx("pull-1", lease)


PULL_START = ["CreateLease", "FetchBlob", "FetchBlob"]
LAYER = ["Lock", "PrepareT1", "PrepareT2", "WaitForLayerFetch", "Commit", "UpdateContentLabels", "Unlock"]
LAYER_AFTER_STAT = ["Lock", "Stat", *LAYER[1:]]
PULL_END = ["UpdateContentLabels", "CreateImage", "DeleteLease"]


# -- the whole pull, alone --------------------------------------------------------------


def test_a_two_layer_pull_without_the_stat_early_return_prepares_and_commits_each_layer():
    world = new_world()
    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(), False), world)
    assert run.error is None
    assert run.returned == IMAGE.name
    assert run.names == PULL_START + LAYER + LAYER + PULL_END


def test_a_two_layer_pull_with_the_stat_early_return_stats_each_layer_before_preparing_it():
    world = new_world()
    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(stat_early_return), False), world)
    assert run.error is None
    assert run.names == PULL_START + LAYER_AFTER_STAT + LAYER_AFTER_STAT + PULL_END
    stats = [outcome for effect, outcome in run.steps if isinstance(effect, Stat)]
    assert [str(e) for e in stats] == [
        "snapshot sha256:c1 does not exist: not found",
        "snapshot sha256:c2 does not exist: not found",
    ]


def test_the_prepare_steps_of_a_pull_carry_the_extract_keys_parents_targets_and_lease():
    world = new_world()
    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(), False), world)
    t1s = [effect for effect, _ in run.steps if isinstance(effect, PrepareT1)]
    assert t1s == [
        PrepareT1("extract-pull-1.0 sha256:c1", "", "sha256:c1", LEASE),
        PrepareT1("extract-pull-1.1 sha256:c2", "sha256:c1", "sha256:c2", LEASE),
    ]
    locks = [effect for effect, _ in run.steps if isinstance(effect, Lock)]
    assert locks == [Lock("sn://overlayfs/sha256:c1", "pull-1"), Lock("sn://overlayfs/sha256:c2", "pull-1")]


def test_a_completed_pull_leaves_the_chain_rooted_by_the_image_after_its_lease_is_deleted():
    world = new_world()
    drive(pull_image("pull-1", IMAGE, UnpackOptions(), False), world)
    assert {n: (s.kind, s.parent) for n, s in world.snapshots.items()} == {
        "sha256:c1": ("committed", ""),
        "sha256:c2": ("committed", "sha256:c1"),
    }
    assert world.content[IMAGE.config].label_map() == {GC_REF_SNAPSHOT: "sha256:c2"}
    assert world.content["sha256:l1"].label_map() == {UNCOMPRESSED: "sha256:d1"}
    assert world.content["sha256:l2"].label_map() == {UNCOMPRESSED: "sha256:d2"}
    assert world.images == {IMAGE.name: IMAGE.manifest}
    assert world.leases == {}
    assert world.locks == {}
    assert world.pulls["pull-1"].returned is True
    assert world.dirty == 1
    report = GcCollect().apply(world)
    assert report.swept_snapshots == () and report.swept_content == ()


def test_a_pull_without_the_duplication_suppressor_takes_no_locks():
    world = new_world()
    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(kmutex=False), False), world)
    assert "Lock" not in run.names and "Unlock" not in run.names
    assert run.error is None


def test_a_retry_pull_first_waits_for_the_kubelets_request():
    world = new_world()
    world.pulls["pull-2"] = PullContext()
    actor = pull_image("pull-2", IMAGE, UnpackOptions(), True)
    first = next(actor)
    assert isinstance(first, AwaitPullRequest)
    assert first.enabled(world) is False


# -- a chain snapshot that already exists ----------------------------------------------


@pytest.mark.parametrize("lease_on_exists", [True, False])
def test_the_stat_variant_skips_an_existing_layer_without_leasing_it(lease_on_exists):
    world = world_with_c1(lease_on_exists)
    ctx = ready_for_unpack(world)
    run = drive(unpack(ctx, IMAGE, UnpackOptions(stat_early_return)), world)
    assert run.error is None
    assert run.names[:3] == ["Lock", "Stat", "Unlock"]
    assert run.names[3:] == LAYER_AFTER_STAT + ["UpdateContentLabels"]
    assert "sha256:c1" not in world.leases["L"].snapshots
    assert world.leases["L"].snapshots == {"sha256:c2"}
    # the skipped layer's blob is never fetched
    assert "sha256:l1" not in world.content
    t1 = next(effect for effect, _ in run.steps if isinstance(effect, PrepareT1))
    assert t1 == PrepareT1("extract-pull-1.0 sha256:c2", "sha256:c1", "sha256:c2", "L")


def test_the_prepare_variant_with_lease_on_exists_leases_an_existing_layer_then_stats_it():
    world = world_with_c1(lease_on_exists=True)
    ctx = ready_for_unpack(world)
    run = drive(unpack(ctx, IMAGE, UnpackOptions()), world)
    assert run.error is None
    assert run.names[:4] == ["Lock", "PrepareT1", "Stat", "Unlock"]
    assert run.names[4:] == LAYER + ["UpdateContentLabels"]
    error = run.steps[1][1]
    assert isinstance(error, AlreadyExists) and error.leased is True
    assert str(error) == 'target snapshot "sha256:c1": already exists'
    assert world.leases["L"].snapshots == {"sha256:c1", "sha256:c2"}


def test_the_prepare_variant_without_lease_on_exists_relies_on_an_existing_layer_without_leasing_it():
    world = world_with_c1(lease_on_exists=False)
    ctx = ready_for_unpack(world)
    run = drive(unpack(ctx, IMAGE, UnpackOptions()), world)
    assert run.names[:4] == ["Lock", "PrepareT1", "Stat", "Unlock"]
    assert run.steps[1][1].leased is False
    assert "sha256:c1" not in world.leases["L"].snapshots


# -- the #3787 interleaving (§5.1) -------------------------------------------------------


def gc_before_preparing_on_c1(effect: Effect, world: World) -> None:
    """The earlier pull's lease goes and GC runs, just before Prepare(parent=c1)."""
    if isinstance(effect, PrepareT1) and effect.parent == "sha256:c1" and "old" in world.leases:
        DeleteLease("old", "pull-0").apply(world)
        GcCollect().apply(world)


@pytest.mark.parametrize("lease_on_exists", [True, False])
def test_with_the_stat_early_return_gc_between_stat_and_prepare_fails_the_pull_with_the_issue_text(lease_on_exists):
    world = world_with_c1(lease_on_exists)
    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(stat_early_return), False), world,
                gc_before_preparing_on_c1)
    assert isinstance(run.error, NotFound)
    assert str(run.error) == (
        'failed to pull and unpack image "docker.io/library/app:latest": '
        'failed to prepare extraction snapshot "extract-pull-1.0 sha256:c2": '
        "parent snapshot sha256:c1 does not exist: not found"
    )
    assert run.names[-3:] == ["PrepareT1", "Unlock", "DeleteLease"]
    assert world.locks == {}


def test_with_prepare_and_lease_on_exists_the_same_gc_keeps_c1_and_the_pull_succeeds():
    world = world_with_c1(lease_on_exists=True)
    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(), False), world,
                gc_before_preparing_on_c1)
    assert run.error is None
    assert "old" not in world.leases  # the hook did run
    assert set(world.snapshots) == {"sha256:c1", "sha256:c2"}


def test_with_prepare_but_without_lease_on_exists_the_same_gc_still_fails_the_pull():
    world = world_with_c1(lease_on_exists=False)
    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(), False), world,
                gc_before_preparing_on_c1)
    assert str(run.error).endswith(
        'failed to prepare extraction snapshot "extract-pull-1.1 sha256:c2": '
        "parent snapshot sha256:c1 does not exist: not found"
    )


# -- cancellation -----------------------------------------------------------------------


def test_a_pull_cancelled_while_waiting_for_a_layer_removes_its_extraction_key_and_returns():
    world = new_world()

    def cancel_at_layer_2(effect, world):
        if isinstance(effect, WaitForLayerFetch) and effect.digest == "sha256:l2":
            CancelPull("pull-1").apply(world)

    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(), False), world, cancel_at_layer_2)
    assert isinstance(run.error, Canceled)
    assert str(run.error) == 'failed to pull and unpack image "docker.io/library/app:latest": context canceled'
    assert run.names[-4:] == ["WaitForLayerFetch", "Remove", "Unlock", "DeleteLease"]
    assert set(world.snapshots) == {"sha256:c1"}  # committed lower layers stay
    assert world.dirty == 2  # the Remove and the lease delete
    assert world.leases == {} and world.locks == {}


def test_a_pull_cancelled_before_it_fetches_anything_only_deletes_its_lease():
    world = new_world()
    CancelPull("pull-1").apply(world)
    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(), False), world)
    assert run.names == ["CreateLease", "FetchBlob", "DeleteLease"]
    assert str(run.error) == 'failed to pull and unpack image "docker.io/library/app:latest": context canceled'


def test_a_pull_cancelled_while_waiting_for_a_lock_gives_up_without_unlocking():
    world = new_world()

    def held_then_cancelled(effect, world):
        if isinstance(effect, Lock) and "pull-2" not in world.locks.values():
            world.locks[effect.key] = "pull-2"
            CancelPull("pull-1").apply(world)

    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(), False), world, held_then_cancelled)
    assert run.names == PULL_START + ["Lock", "DeleteLease"]
    assert isinstance(run.error, Canceled)
    assert world.locks == {"sn://overlayfs/sha256:c1": "pull-2"}


# -- the other AlreadyExists and failure paths ------------------------------------------


def test_when_someone_else_commits_the_chain_first_the_unpacker_aborts_and_counts_the_layer_done():
    world = new_world(lease_on_exists=True)
    ctx = ready_for_unpack(world)
    CreateLease("other", "pull-9").apply(world)

    def commit_c1_elsewhere(effect, world):
        if isinstance(effect, Commit) and effect.name == "sha256:c1" and "sha256:c1" not in world.snapshots:
            bkey, bparent = PrepareT1("x sha256:c1", "", "sha256:c1", "other").apply(world)
            PrepareT2("x sha256:c1", "", bkey, bparent, "other").apply(world)
            Commit("sha256:c1", "x sha256:c1", "other").apply(world)

    run = drive(unpack(ctx, IMAGE, UnpackOptions()), world, commit_c1_elsewhere)
    assert run.error is None
    assert run.names[:7] == ["Lock", "PrepareT1", "PrepareT2", "WaitForLayerFetch", "Commit", "Remove", "Unlock"]
    assert "extract-pull-1.0 sha256:c1" not in world.snapshots
    assert world.leases["L"].snapshots == {"sha256:c1", "sha256:c2"}  # leased on AlreadyExists
    assert world.snapshots["sha256:c2"].parent == "sha256:c1"


def test_an_existing_extract_key_with_no_chain_snapshot_makes_the_unpacker_retry_with_a_new_key():
    world = new_world()
    ctx = ready_for_unpack(world)
    bkey, bparent = PrepareT1("extract-pull-1.0 sha256:c1", "", "", "").apply(world)
    PrepareT2("extract-pull-1.0 sha256:c1", "", bkey, bparent, "").apply(world)
    run = drive(unpack(ctx, IMAGE, UnpackOptions()), world)
    assert run.error is None
    assert run.names[:5] == ["Lock", "PrepareT1", "Stat", "PrepareT1", "PrepareT2"]
    assert run.steps[3][0].key == "extract-pull-1.1 sha256:c1"
    assert world.snapshots["sha256:c1"].kind == "committed"


def test_three_existing_extract_keys_make_the_unpacker_give_up_and_release_the_lock():
    world = new_world()
    ctx = ready_for_unpack(world)
    for attempt in range(3):
        key = f"extract-pull-1.{attempt} sha256:c1"
        bkey, bparent = PrepareT1(key, "", "", "").apply(world)
        PrepareT2(key, "", bkey, bparent, "").apply(world)
    run = drive(unpack(ctx, IMAGE, UnpackOptions()), world)
    assert isinstance(run.error, AlreadyExists)
    assert str(run.error) == (
        'unable to prepare extraction snapshot: snapshot "extract-pull-1.2 sha256:c1": already exists'
    )
    assert run.names == ["Lock"] + ["PrepareT1", "Stat"] * 3 + ["Unlock"]
    assert world.locks == {}


def test_a_commit_that_fails_otherwise_aborts_and_wraps_the_error():
    world = new_world()
    ctx = ready_for_unpack(world)

    def delete_lease_before_commit(effect, world):
        if isinstance(effect, Commit) and "L" in world.leases:
            DeleteLease("L", "pull-1").apply(world)

    run = drive(unpack(ctx, IMAGE, UnpackOptions()), world, delete_lease_before_commit)
    assert str(run.error) == (
        "failed to commit snapshot extract-pull-1.0 sha256:c1: lease does not exist: not found"
    )
    assert run.names[-3:] == ["Commit", "Remove", "Unlock"]
    assert world.snapshots == {}


def test_a_missing_config_blob_fails_the_final_gc_reference_label_with_the_content_stores_error_unwrapped():
    # core/unpack/unpacker.go (*Unpacker).unpack at d7f83034c: `_, err = cs.Update(ctx, cinfo, ...); if err !=
    # nil { return err }`, and core/metadata/content.go Update: fmt.Errorf("content digest %v: %w", ...)
    world = new_world()
    CreateLease("L", "pull-1").apply(world)
    run = drive(unpack(Ctx("pull-1", "L"), IMAGE, UnpackOptions()), world)
    assert isinstance(run.error, NotFound)
    assert str(run.error) == "content digest sha256:f0: not found"
    assert set(world.snapshots) == {"sha256:c1", "sha256:c2"}


def test_a_1_6_pull_cancelled_while_waiting_for_a_layer_returns_without_the_abort():
    # v1.6.37:unpacker.go (*unpacker).unpack, doUnpackFn: `case <-ctx.Done(): return ctx.Err()`, no abort()
    # (1.7 and 2.0: `cleanup.Do(ctx, abort)`); the extraction snapshot stays, held by the pull's lease
    world = new_world()

    def cancel_at_layer_2(effect, world):
        if isinstance(effect, WaitForLayerFetch) and effect.digest == "sha256:l2":
            CancelPull("pull-1").apply(world)

    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(abort_on_cancel=False), False), world, cancel_at_layer_2)
    assert str(run.error) == 'failed to pull and unpack image "docker.io/library/app:latest": context canceled'
    assert run.names[-3:] == ["WaitForLayerFetch", "Unlock", "DeleteLease"]
    assert {n: s.kind for n, s in world.snapshots.items()} == {
        "sha256:c1": "committed", "extract-pull-1.1 sha256:c2": "active"}
    assert world.dirty == 1  # only the lease delete: no Remove
    report = GcCollect().apply(world)  # the lease is gone, so GC takes both
    assert report.swept_snapshots == ("extract-pull-1.1 sha256:c2", "sha256:c1")


@pytest.mark.parametrize("ctx_first, abort, tail", [
    (True, True, ["Lock", "DeleteLease"]),  # 2.0: Acquire fails at once
    (False, True, ["Lock", "PrepareT1", "PrepareT2", "WaitForLayerFetch", "Remove", "Unlock", "DeleteLease"]),  # 1.7
    (False, False, ["Lock", "PrepareT1", "PrepareT2", "WaitForLayerFetch", "Unlock", "DeleteLease"]),  # 1.6
], ids=["2.0", "1.7", "1.6"])
def test_a_pull_cancelled_just_before_its_next_layers_lock_goes_as_far_as_its_release_lets_it(ctx_first, abort, tail):
    # x/sync before v0.7.0 takes a free key on a cancelled ctx (v1.6.37, v1.7.23 vendor), so the unpacker goes
    # on to Prepare and only its wait sees the cancel; then 1.7 aborts under cleanup.Do and 1.6 just returns
    world = new_world()
    world.acquire_checks_ctx_first = ctx_first

    def cancel_before_lock_2(effect, world):
        if isinstance(effect, Lock) and effect.key.endswith("sha256:c2"):
            CancelPull("pull-1").apply(world)

    run = drive(pull_image("pull-1", IMAGE, UnpackOptions(abort_on_cancel=abort), False), world, cancel_before_lock_2)
    assert isinstance(run.error, Canceled)
    assert run.names == PULL_START + LAYER + tail
    assert ("extract-pull-1.1 sha256:c2" in world.snapshots) is (not ctx_first and not abort)


def test_an_image_above_a_shared_base_names_its_own_layers_and_chains_and_prepares_on_the_base():
    tool = ImageSpec("docker.io/library/tool:latest", 3, "sha256:m1", "sha256:f1", own="b", shares=1)
    assert tool.chain_ids() == ("sha256:c1", "sha256:c2b", "sha256:c3b")
    assert [tool.layer_digest(i) for i in range(3)] == ["sha256:l1", "sha256:l2b", "sha256:l3b"]
    world = new_world()
    run = drive(pull_image("pull-1", tool, UnpackOptions(), False), world)
    assert run.error is None
    t1s = [effect for effect, _ in run.steps if isinstance(effect, PrepareT1)]
    assert [(t.parent, t.target) for t in t1s] == [
        ("", "sha256:c1"), ("sha256:c1", "sha256:c2b"), ("sha256:c2b", "sha256:c3b")]
    assert world.content["sha256:l2b"].label_map() == {UNCOMPRESSED: "sha256:d2b"}
    assert world.content["sha256:f1"].label_map() == {GC_REF_SNAPSHOT: "sha256:c3b"}
