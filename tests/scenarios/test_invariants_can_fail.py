"""Each containerd property of the scenarios can fail: checked on hand-made observations."""

from __future__ import annotations

import attrs
from unpack_race.model.errdefs import AlreadyExists, NotFound
from unpack_race.model.gc import GcCollect, GcReport, GraphInput
from unpack_race.model.names import GC_REF_CONTENT, GC_REF_SNAPSHOT
from unpack_race.model.snapshotter import Commit, PrepareT1, Remove, Stat
from unpack_race.model.leases import CreateLease
from unpack_race.model.snapshotter import PrepareT2
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import invariants
from unpack_race.scheduler.kernel import ActorEnd, Status, Step
from unpack_race.scheduler.properties import End, Scope


def test_no_missing_parent_fails_on_a_prepare_that_names_a_missing_parent():
    step = Step(7, "pull-2", PrepareT1("k", "sha256:c1", "sha256:c2", "lease-pull-2"), None,
                NotFound("parent snapshot sha256:c1 does not exist"))
    assert not invariants.NO_MISSING_PARENT.holds(step)
    other = Step(7, "pull-2", Stat("sha256:c1"), None, NotFound("snapshot sha256:c1 does not exist"))
    assert invariants.NO_MISSING_PARENT.holds(other)


def test_no_missing_parent_fails_on_a_commit_whose_parent_is_gone():
    # core/metadata/snapshot.go Commit at d7f83034c (L583-588) has its own check, the only one at HEAD's
    # parallel unpack (the parent comes with Commit's WithParent there, L584-594 at HEAD)
    world = World(lease_on_exists=True, pulls={"pull-2": PullContext(requested=True)})
    CreateLease("L", "pull-2").apply(world)
    bkey, bparent = PrepareT1("k", "", "", "L").apply(world)
    PrepareT2("k", "", bkey, bparent, "L").apply(world)
    world.snapshots["k"] = attrs.evolve(world.snapshots["k"], parent="sha256:c1")  # a parent that is gone
    commit = Commit("sha256:c2", "k", "L")
    try:
        commit.apply(world)
    except NotFound as error:
        step = Step(9, "pull-2", commit, None, error)
    assert str(step.error) == "parent snapshot sha256:c1 does not exist: not found"
    assert not invariants.NO_MISSING_PARENT.holds(step)


def test_no_missing_parent_fails_on_a_remove_whose_parent_is_gone():
    # core/metadata/snapshot.go Remove at d7f83034c (L695-699)
    step = Step(9, "pull-1", Remove("k", "L"), None, NotFound("parent snapshot sha256:c1 does not exist"))
    assert not invariants.NO_MISSING_PARENT.holds(step)
    other = Step(9, "pull-1", Remove("k", "L"), None, NotFound("snapshot k does not exist"))
    assert invariants.NO_MISSING_PARENT.holds(other)


def test_a_commit_of_a_chain_id_someone_else_committed_is_the_commit_path_of_pr_10187():
    path = invariants.commit_finds_chain_committed("pull-2")
    commit = Commit("sha256:c1", "extract-pull-2.0 sha256:c1", "lease-pull-2")
    assert path.holds(Step(8, "pull-2", commit, None, AlreadyExists('snapshot "sha256:c1"')))
    assert not path.holds(Step(8, "pull-2", commit, "sha256:c1"))
    assert not path.holds(Step(8, "pull-1", commit, None, AlreadyExists('snapshot "sha256:c1"')))


def test_pull_completes_checks_each_pull_against_its_own_images_chain():
    prop = invariants.pull_completes(("pull-1", "pull-2"), {"pull-1": ("sha256:c1",), "pull-2": ("sha256:c2b",)})
    world = World(lease_on_exists=True, pulls={"pull-1": PullContext(requested=True),
                                               "pull-2": PullContext(requested=True)})
    CreateLease("L", "pull-1").apply(world)
    bkey, bparent = PrepareT1("k", "", "", "L").apply(world)
    PrepareT2("k", "", bkey, bparent, "L").apply(world)
    Commit("sha256:c1", "k", "L").apply(world)
    end = End(world, (ActorEnd("pull-1", Status.DONE), ActorEnd("pull-2", Status.DONE)))
    assert not prop.holds(end)
    assert prop.explain(end) == "pull-2 completed but sha256:c2b is missing"


def _gc_step(swept, snapshots, leases=(), images=(), content=()):
    before = GraphInput(snapshots=snapshots, leases=leases, images=images, content=content)
    return Step(3, "gc", GcCollect(), GcReport(swept, (), (), before))


def test_gc_sweeping_a_snapshot_held_by_a_live_lease_is_caught():
    step = _gc_step(("sha256:c1",), (("sha256:c1", "", ()),),
                    leases=(("lease-pull-2", False, frozenset({"sha256:c1"}), frozenset()),))
    assert not invariants.GC_SWEEPS_ONLY_UNREACHABLE.holds(step)
    assert invariants.GC_SWEEPS_ONLY_UNREACHABLE.explain(step) == "swept while reachable: sha256:c1"


def test_gc_sweeping_a_parent_reachable_from_an_image_through_labels_is_caught():
    snapshots = (("sha256:c1", "", ()), ("sha256:c2", "sha256:c1", ()))
    content = (("sha256:m0", ((f"{GC_REF_CONTENT}.config", "sha256:f0"),)),
               ("sha256:f0", ((GC_REF_SNAPSHOT, "sha256:c2"),)))
    step = _gc_step(("sha256:c1",), snapshots, images=(("app", "sha256:m0"),), content=content)
    assert not invariants.GC_SWEEPS_ONLY_UNREACHABLE.holds(step)
    # with an expired lease and no image, the same sweep is legitimate
    expired = _gc_step(("sha256:c1",), snapshots,
                       leases=(("old", True, frozenset({"sha256:c2"}), frozenset()),))
    assert invariants.GC_SWEEPS_ONLY_UNREACHABLE.holds(expired)


def test_pull_completes_fails_for_an_uncancelled_pull_that_failed_or_lost_its_chain():
    prop = invariants.pull_completes(("pull-1",), ("sha256:c1", "sha256:c2"))
    world = World(lease_on_exists=True, pulls={"pull-1": PullContext(requested=True)})
    failed = End(world, (ActorEnd("pull-1", Status.FAILED, error=NotFound("x")),))
    assert not prop.holds(failed)
    assert "pull-1 was not cancelled but failed" in prop.explain(failed)
    done = End(world, (ActorEnd("pull-1", Status.DONE),))
    assert not prop.holds(done)
    assert "sha256:c1, sha256:c2 is missing" in prop.explain(done)
    world.pulls["pull-1"].cancelled = True
    assert prop.holds(failed)


def test_every_scenario_property_reads_only_the_step_or_the_final_state():
    # so that every strategy, partial-order reduction included, preserves them
    props = [invariants.NO_MISSING_PARENT, invariants.GC_SWEEPS_ONLY_UNREACHABLE,
             invariants.pull_completes(("pull-1",), ("sha256:c1",)), invariants.retry_reuses_layer("pull-2"),
             invariants.gc_sweeps_committed_layer(("sha256:c1",))]
    assert [p.scope for p in props] == [Scope.ON_STEP, Scope.ON_STEP, Scope.AT_END, Scope.ON_STEP, Scope.ON_STEP]


def test_the_race_window_is_entered_when_the_retry_finds_a_chain_id_snapshot():
    window = invariants.retry_reuses_layer("pull-2")
    assert window.holds(Step(4, "pull-2", Stat("sha256:c1"), None))
    assert not window.holds(Step(4, "pull-1", Stat("sha256:c1"), None))  # not the retry
    assert not window.holds(Step(4, "pull-2", Stat("sha256:c1"), None, NotFound("snapshot sha256:c1 does not exist")))
    target = PrepareT1("extract-pull-2.0 sha256:c1", "", "sha256:c1", "lease-pull-2")
    assert window.holds(Step(5, "pull-2", target, None, AlreadyExists('target snapshot "sha256:c1"')))
    assert not window.holds(Step(5, "pull-2", target, None, AlreadyExists('snapshot "extract-pull-2.0 sha256:c1"')))


def test_a_gc_that_sweeps_only_active_snapshots_does_not_count_as_sweeping_a_layer():
    swept_layer = invariants.gc_sweeps_committed_layer(("sha256:c1", "sha256:c2"))
    assert swept_layer.holds(_gc_step(("sha256:c1",), (("sha256:c1", "", ()),)))
    assert not swept_layer.holds(_gc_step(("extract-pull-1.0 sha256:c1",), (("extract-pull-1.0 sha256:c1", "", ()),)))
    assert not swept_layer.holds(Step(3, "pull-1", Stat("sha256:c1"), None))
