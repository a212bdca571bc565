"""The GC scheduler (model/gc_scheduler.py, gc-policy `scheduler`) against
plugins/gc/scheduler.go `run` at d7f83034c: a collection is due after a deletion, after
the mutation threshold, after startup and on ScheduleAndWait, and at no other time; each
collection resets what made it due; every committed DB.Update is a mutation
(core/metadata/db.go Update).

The counts of executions are of small programs enumerated with the kernel alone
(toy_world.all_executions, count_executions: every sequence of runnable actors), and
each expected count is worked out by hand in the test."""

from __future__ import annotations

import attrs
import pytest
from toy_world import all_executions, count_executions
from unpack_race.model import gc_scheduler
from unpack_race.model.client import pull_image
from unpack_race.model.collector import garbage_collector
from unpack_race.model.errdefs import AlreadyExists
from unpack_race.model.gc import SCHEDULER, GcCollect
from unpack_race.model.gc_scheduler import AwaitCollection, ScheduleAndWait, schedule_and_wait
from unpack_race.model.image import ImageSpec
from unpack_race.model.leases import CreateLease, DeleteLease, DeleteResource, PassTime
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Remove
from unpack_race.model.unpacker import UnpackOptions
from unpack_race.model.world import GcConfig, GcScheduler, PullContext, World
from unpack_race.reports.lint_text import render
from unpack_race.scheduler.kernel import Execution, ModelError
from unpack_race.scheduler.lint import lint
from unpack_race.scheduler.program import ActorSpec, Program


def world(threshold: int = 100, fresh: bool = False, lease_on_exists: bool = True) -> World:
    state = gc_scheduler.started() if fresh else gc_scheduler.quiet()
    return World(lease_on_exists=lease_on_exists, gc_config=GcConfig(threshold), gc=state)


def client(*effects):
    def body():
        for effect in effects:  # noqa: UP028 -- the kernel sends results, which a tuple's iterator cannot take
            yield effect
    return body


def program(*effects, threshold: int = 100, fresh: bool = False) -> Program:
    """One client doing `effects` in order, beside the scheduler's collector."""
    return Program("gc-scheduler", lambda: world(threshold, fresh), (
        ActorSpec("client", client(*effects)),
        ActorSpec("gc", lambda: garbage_collector(0, SCHEDULER), daemon=True),
    ))


# c1..c5: three leases created, two deleted; a DeleteLease is the only deletion
C1, C2, C3 = CreateLease("a", "p"), CreateLease("b", "p"), DeleteLease("a", "p")
C4, C5 = CreateLease("c", "p"), DeleteLease("b", "p")


def shapes(prog: Program) -> set[str]:
    """Each execution as a string: c for a client step, G for a collection."""
    return {"".join("G" if s.actor == "gc" else "c" for s in e.steps) for e in all_executions(prog)}


def test_on_a_quiet_daemon_a_collection_is_due_only_after_a_deletion_and_again_after_the_next():
    # scheduler.go L261-264: the tick skips while deletions == 0 (and nothing else is
    # pending); L270-271 an event of a dirty db counts a deletion; L324-326 a collection
    # resets the count. So G comes only after c3 (the first DeleteLease) and, once it has
    # run, again only after c5. By hand, the maximal executions are:
    #   ccc G cc G,  cccc G c G,  ccccc G
    assert shapes(program(C1, C2, C3, C4, C5)) == {"cccGccG", "ccccGcG", "cccccG"}


def test_the_mutation_threshold_makes_a_collection_due_without_a_deletion():
    # scheduler.go L261-262: mutations >= mutation_threshold keeps the tick from skipping.
    # With a threshold of 2, c1 c2 make a collection due. By hand:
    #   after c1 c2: G, then (quiet again) c3 dirties: ccG c G cc G, ccG cc G c G, ccG ccc G  -> 3
    #   c1 c2 c3 G: reset; c4 is one mutation (not due), c5 dirties: cccG cc G           -> 1
    #   c1 c2 c3 c4 (due since c2): G c5 G, or c5 G                                       -> 2
    expected = {"ccGcGccG", "ccGccGcG", "ccGcccG", "cccGccG", "ccccGcG", "cccccG"}
    assert shapes(program(C1, C2, C3, C4, C5, threshold=2)) == expected
    assert count_executions(program(C1, C2, C3, C4, C5, threshold=2)) == 6


def test_go_s_default_threshold_counts_a_hundred_committed_updates():
    # config default mutation_threshold 100 (scheduler.go L96); each CreateLease is one
    # leases.go Create transaction, one mutation event (db.go L263-268)
    w = world()
    for n in range(99):
        CreateLease(f"l{n}", "p").apply(w)
    assert not gc_scheduler.due(w)
    CreateLease("l99", "p").apply(w)
    assert gc_scheduler.reasons(w) == ("100 mutations since the last collection",)


def test_a_failed_update_sends_no_mutation_event():
    # db.go L263-264: the callbacks run only when the transaction's function returned nil
    w = world(threshold=2)
    CreateLease("a", "p").apply(w)
    with pytest.raises(AlreadyExists):
        CreateLease("a", "p").apply(w)
    assert gc_scheduler.mutations(w) == 1 and not gc_scheduler.due(w)
    CreateLease("b", "p").apply(w)
    assert gc_scheduler.due(w)


def test_a_freshly_started_daemon_collects_once_with_nothing_pending():
    # scheduler.go L252-254 arms the first tick at startup_delay; L261 skips a tick only
    # if lastCollection != nil, so the first one always collects. By hand: G may come
    # first at any of the positions 0..2 (before c3), each followed by the quiet
    # daemon's 3 ways (the test above); or not before c3, and then as on a quiet daemon
    # once c3 has dirtied the db: 3 more. 4 x 3 = 12.
    assert count_executions(program(C1, C2, C3, C4, C5, fresh=True)) == 12
    assert gc_scheduler.reasons(world(fresh=True)) == ("the first collection after startup",)
    w = world(fresh=True)
    GcCollect(SCHEDULER).apply(w)
    assert not gc_scheduler.due(w)


def test_schedule_and_wait_makes_a_collection_due_and_returns_after_it():
    # scheduler.go L187-218: a waiter, then the trigger (L275-276: triggered = true,
    # which schedules at once, L280-288); the waiter returns when a collection hands it
    # its stats (L346-349). With a clean db nothing else makes one due, so the only
    # execution is: c, ScheduleAndWait, G, AwaitCollection, c.
    prog = program(C1, *schedule_and_wait_effects("client"), C2)
    (only,) = list(all_executions(prog))
    assert [(s.actor, s.effect.name) for s in only.steps] == [
        ("client", "CreateLease"), ("client", "ScheduleAndWait"), ("gc", "GcCollect"),
        ("client", "AwaitCollection"), ("client", "CreateLease")]
    assert only.steps[2].result.woken == ("client",)
    assert only.steps[2].result.due == ("a ScheduleAndWait",)


def schedule_and_wait_effects(waiter: str):
    return tuple(schedule_and_wait(waiter))


def test_schedule_and_wait_is_woken_only_by_a_collection_after_the_call():
    # ScheduleAndWait adds its waiter under waiterL, which each collection holds
    # (scheduler.go L193-195, L296-350): a collection that ran before the call does not
    # wake it. c1 creates, c2 deletes (a collection is due). By hand:
    #   cc G S G A (the deletion's collection, then the trigger's), cc S G A (one serves both)
    executions = list(all_executions(program(C1, C3, *schedule_and_wait_effects("client"))))
    assert {"".join("G" if s.actor == "gc" else s.effect.name[0] for s in e.steps) for e in executions} == {
        "CDGSGA", "CDSGA"}


def test_await_collection_is_blocked_until_then_and_says_why():
    w = world()
    ScheduleAndWait("cri").apply(w)
    assert not AwaitCollection("cri").enabled(w)
    assert "ScheduleAndWait" in AwaitCollection("cri").blocked_on(w)
    assert GcCollect(SCHEDULER).apply(w).woken == ("cri",)
    assert AwaitCollection("cri").enabled(w) and not gc_scheduler.due(w)


@pytest.mark.parametrize("deletion", ["remove", "lease-delete", "delete-resource"])
def test_each_deleting_transaction_makes_a_collection_due(deletion):
    # db.dirty++ in snapshot.go Remove (L717), leases.go Delete (L123), DeleteResource (L246)
    w = world()
    CreateLease("L", "p").apply(w)
    bkey, bparent = PrepareT1("k", "", "", "L").apply(w)
    PrepareT2("k", "", bkey, bparent, "L").apply(w)
    assert not gc_scheduler.due(w)
    {"remove": Remove("k", "L"), "lease-delete": DeleteLease("L", "p"),
     "delete-resource": DeleteResource("L", "snapshots/overlayfs", "k")}[deletion].apply(w)
    assert gc_scheduler.reasons(w) == ("a deletion since the last collection",)


def test_a_collection_resets_the_counts_and_is_not_due_again_until_something_happens():
    w = world(threshold=3)
    CreateLease("a", "p").apply(w)
    CreateLease("b", "p").apply(w)
    DeleteLease("a", "p").apply(w)
    ScheduleAndWait("x").apply(w)
    assert gc_scheduler.reasons(w) == ("a ScheduleAndWait", "a deletion since the last collection")  # and 3 mutations
    GcCollect(SCHEDULER).apply(w)
    assert gc_scheduler.mutations(w) == 0 and not gc_scheduler.due(w)
    assert "no collection is due" in GcCollect(SCHEDULER).blocked_on(w)
    assert "0 of the 3 mutations" in GcCollect(SCHEDULER).blocked_on(w)


def test_since_pr_10187_an_already_exists_prepare_or_commit_is_a_committed_update():
    # core/metadata/snapshot.go at d7f83034c: T1 (L336-352) and Commit (L553-561) add the
    # lease and return nil, so the transaction commits and the callbacks run; before PR
    # 10187 (c7fb8a925^) they returned the error from inside it: a rollback, no event.
    counts = {}
    for lease_on_exists in (True, False):
        w = world(lease_on_exists=lease_on_exists)
        CreateLease("L", "p").apply(w)
        bkey, bparent = PrepareT1("k", "", "", "L").apply(w)
        PrepareT2("k", "", bkey, bparent, "L").apply(w)
        Commit("sha256:c1", "k", "L").apply(w)
        before = gc_scheduler.mutations(w)
        with pytest.raises(AlreadyExists):
            PrepareT1("k2", "", "sha256:c1", "L").apply(w)
        bkey, bparent = PrepareT1("k3", "", "", "L").apply(w)
        PrepareT2("k3", "", bkey, bparent, "L").apply(w)
        middle = gc_scheduler.mutations(w)
        with pytest.raises(AlreadyExists):
            Commit("sha256:c1", "k3", "L").apply(w)
        counts[lease_on_exists] = (middle - before - 2, gc_scheduler.mutations(w) - middle)
    assert counts == {True: (1, 1), False: (0, 0)}


def test_a_whole_pull_counts_every_db_update_of_client_pull():
    # By hand, from client/pull.go, core/unpack/unpacker.go and core/metadata at
    # d7f83034c, for one 2-layer pull, uncancelled:
    #   WithLease: leases.Create                                               1
    #   manifest: content Writer, Commit, SetChildrenMappedLabels' Update,
    #             AppendDistributionSourceLabel's Update                       4
    #   config: Writer, Commit, distribution source label                      3
    #   each layer: Prepare's 2 transactions, the blob's Writer, Commit and
    #             distribution source label, Commit, the uncompressed label    7 x 2
    #   the config's gc.ref.snapshot label, images.Create, the lease's Delete  3
    #                                                                        = 25
    w = World(lease_on_exists=True, pulls={"pull-1": PullContext(requested=True)}, gc_config=GcConfig(),
              gc=gc_scheduler.quiet())
    prog = Program("one-pull", lambda: w, (ActorSpec("pull-1", lambda: pull_image(
        "pull-1", ImageSpec(layers=2), UnpackOptions(), wait_for_request=False)),))
    execution = Execution(prog)
    while execution.runnable():
        execution.step("pull-1")
    assert execution.actor("pull-1").error is None
    assert gc_scheduler.mutations(execution.world) == 25


def test_without_the_scheduler_nothing_is_counted():
    w = World(lease_on_exists=True)
    CreateLease("a", "p").apply(w)
    assert w.mutations == {}


def test_the_fingerprint_keeps_the_count_only_where_it_can_still_decide_a_collection():
    # while the db is dirty a collection is due whatever the count, and it resets the count
    def counted(n: int, dirty: int) -> World:
        w = world()
        w.mutations, w.dirty = {"lease/a": n}, dirty
        return w
    assert counted(3, 0).fingerprint() != counted(4, 0).fingerprint()
    assert counted(3, 1).fingerprint() == counted(4, 1).fingerprint()
    assert counted(100, 0).fingerprint() == counted(101, 0).fingerprint()  # both at the threshold


def test_time_waits_for_a_due_collection_under_the_scheduler_only():
    w = world()
    CreateLease("a", "p").apply(w)
    assert PassTime(86400).enabled(w)
    DeleteLease("a", "p").apply(w)
    assert not PassTime(86400).enabled(w)
    assert "a collection is due (a deletion since the last collection)" in PassTime(86400).blocked_on(w)
    GcCollect(SCHEDULER).apply(w)
    assert PassTime(86400).enabled(w)
    unscheduled = World(lease_on_exists=True, dirty=1)
    assert PassTime(86400).enabled(unscheduled)


def test_the_scheduler_policy_in_a_world_without_the_scheduler_says_what_to_do():
    prog = Program("no-config", lambda: World(lease_on_exists=True), (
        ActorSpec("gc", lambda: garbage_collector(0, SCHEDULER)),))
    with pytest.raises(ModelError, match=r"build it with World\(gc_config=GcConfig\(\)\)"):
        Execution(prog).runnable()


class CountBlindWorld(World):
    def fingerprint(self):
        return World.fingerprint(attrs.evolve(self, mutations={}))  # without the mutation count


class SchedulerBlindWorld(World):
    def fingerprint(self):
        # without the scheduler's triggered, waiters, first collection
        return World.fingerprint(attrs.evolve(self, gc=GcScheduler()))


def linted(prog: Program, world_class: type[World] = World):
    make = prog.make_world

    def make_world():
        made = make()
        return world_class(**{f.name: getattr(made, f.name) for f in attrs.fields(World)})

    return lint(attrs.evolve(prog, make_world=make_world), [])


def test_the_lint_finds_the_scheduler_s_footprints_and_fingerprint_sound():
    for prog in (program(C1, C2, C3, C4, C5, threshold=2), program(C1, C2, C3, C4, C5, fresh=True),
                 program(C1, C3, *schedule_and_wait_effects("client"), C2)):
        report = linted(prog)
        assert report.clean and report.coverage.complete, render(report)


def test_a_fingerprint_without_the_mutation_count_is_caught_where_the_threshold_can_be_crossed():
    found = [f for f in linted(program(C1, C2, C3, C4, C5, threshold=2), CountBlindWorld).findings
             if f.kind == "fingerprint"]
    assert found and "differ in world.mutations" in found[0].summary
    assert "GcCollect(policy='scheduler') tells them apart" in found[0].summary


def test_a_fingerprint_without_the_scheduler_state_is_caught():
    found = [f for f in linted(program(C1, C2, C3, C4, C5, fresh=True), SchedulerBlindWorld).findings
             if f.kind == "fingerprint"]
    assert found and "differ in world.gc" in found[0].summary
