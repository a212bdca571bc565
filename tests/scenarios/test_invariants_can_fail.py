"""Each containerd property of the scenarios can fail: checked on hand-made observations."""

from __future__ import annotations

import attrs

from unpack_race.model.errdefs import NotFound
from unpack_race.model.gc import GcCollect, GcReport, GraphInput
from unpack_race.model.names import GC_REF_CONTENT, GC_REF_SNAPSHOT
from unpack_race.model.snapshotter import PrepareT1, Stat
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import invariants
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.properties import Observation


@attrs.frozen
class FakeActor:
    status: object
    error: object = None


class FakeExecution:
    def __init__(self, **actors):
        self._actors = actors

    def actor(self, name):
        return self._actors[name]


def observe(step=None, world=None, execution=None):
    return Observation(world or World(lease_on_exists=True), step, execution)


def test_no_missing_parent_fails_on_a_prepare_that_names_a_missing_parent():
    step = Step(7, "pull-2", PrepareT1("k", "sha256:c1", "sha256:c2", "lease-pull-2"), None,
                NotFound("parent snapshot sha256:c1 does not exist"))
    assert not invariants.NO_MISSING_PARENT.holds(observe(step))
    other = Step(7, "pull-2", Stat("sha256:c1"), None, NotFound("snapshot sha256:c1 does not exist"))
    assert invariants.NO_MISSING_PARENT.holds(observe(other))


def _gc_step(swept, snapshots, leases=(), images=(), content=()):
    before = GraphInput(snapshots=snapshots, leases=leases, images=images, content=content)
    return Step(3, "gc", GcCollect(), GcReport(swept, (), (), before))


def test_gc_sweeping_a_snapshot_held_by_a_live_lease_is_caught():
    step = _gc_step(("sha256:c1",), (("sha256:c1", "", ()),),
                    leases=(("lease-pull-2", False, frozenset({"sha256:c1"}), frozenset()),))
    obs = observe(step)
    assert not invariants.GC_SWEEPS_ONLY_UNREACHABLE.holds(obs)
    assert invariants.GC_SWEEPS_ONLY_UNREACHABLE.explain(obs) == "swept while reachable: sha256:c1"


def test_gc_sweeping_a_parent_reachable_from_an_image_through_labels_is_caught():
    snapshots = (("sha256:c1", "", ()), ("sha256:c2", "sha256:c1", ()))
    content = (("sha256:m0", ((f"{GC_REF_CONTENT}.config", "sha256:f0"),)),
               ("sha256:f0", ((GC_REF_SNAPSHOT, "sha256:c2"),)))
    step = _gc_step(("sha256:c1",), snapshots, images=(("app", "sha256:m0"),), content=content)
    assert not invariants.GC_SWEEPS_ONLY_UNREACHABLE.holds(observe(step))
    # with an expired lease and no image, the same sweep is legitimate
    expired = _gc_step(("sha256:c1",), snapshots,
                       leases=(("old", True, frozenset({"sha256:c2"}), frozenset()),))
    assert invariants.GC_SWEEPS_ONLY_UNREACHABLE.holds(observe(expired))


def test_pull_completes_fails_for_an_uncancelled_pull_that_failed_or_lost_its_chain():
    from unpack_race.scheduler.kernel import Status

    prop = invariants.pull_completes(("pull-1",), ("sha256:c1", "sha256:c2"))
    world = World(lease_on_exists=True, pulls={"pull-1": PullContext(requested=True)})
    failed = FakeExecution(**{"pull-1": FakeActor(Status.FAILED, NotFound("x"))})
    assert not prop.holds(observe(None, world, failed))
    assert "pull-1 was not cancelled but failed" in prop.explain(observe(None, world, failed))
    done = FakeExecution(**{"pull-1": FakeActor(Status.DONE)})
    assert not prop.holds(observe(None, world, done))
    assert "sha256:c1, sha256:c2 is missing" in prop.explain(observe(None, world, done))
    world.pulls["pull-1"].cancelled = True
    assert prop.holds(observe(None, world, failed))
