"""Scenario crash-instead-of-cancel: the pull's process dies at any step, its lease
outlives it until it expires, and the pull made again after that races with the
collection that sweeps what the dead pull held.

The process is the client that runs the unpacker: client.Pull with WithPullUnpack
(client/pull.go, as of d7f83034c) in nerdctl, or dockerd with the containerd image store;
the daemon, its metadata store and its GC go on. pull-1 pulls an image of N layers under
the lease client.WithLease created for it (client/lease.go: leases.WithExpiration(24 *
time.Hour), the label containerd.io/gc.expire) and crashes at a step the search picks
(scheduler.crashes): none of its deferred code runs, so neither the unpacker's abort
(Remove of its extraction key) nor Pull's `defer done(ctx)` (the lease's Delete) happens.
Whatever it had made stays in metadata, held by its lease only: the committed layer
snapshots (Commit added them to the lease), an active extraction snapshot, its blobs.
Nothing deletes the lease, and nothing is deleted, so nothing schedules a collection for
it (containerd #6294; plugins/gc/scheduler.go has no timer of its own before a GC is
asked for).

Time passes: the restart (an actor that starts only when pull-1 crashes) begins with
`downtime` hours of virtual time (leases.PassTime), then pulls the same image as pull-2,
under a lease of its own. Once the clock is past pull-1's lease's expiry, a collection
no longer treats that lease as a root (core/metadata/gc.go scanRoots: `if
expThreshold.After(exp)` the lease is skipped, and the sweep removes it): a GC that runs
then, for any reason, sweeps every snapshot and blob only that lease held. If pull-2 has
relied on one of them without leasing it first, its next Prepare fails with `parent
snapshot <chain ID> does not exist: not found` (issue 3787), or it creates an image whose
chain the GC has swept (pull-completes).

Which variants the fix protects, from the Go code: the restart relies on a layer the
crashed pull committed exactly where the kubelet's retry relies on one the cancelled pull
committed in retry-after-cancel: the unpacker's Stat early return (removed by d7f83034c,
PR 10723), or Prepare's first transaction finding the target (containerd.io/snapshot.ref)
and returning AlreadyExists, which leases it only since c7fb8a925 (PR 10187). The Commit
AlreadyExists path needs two live pulls committing one chain ID, and after the crash only
pull-2 is live. So the same two changes protect it, both needed: the three variants
without them fail, prepare-with-lease (1.6.37+, 1.7.23+, 2.0.0+) passes. The expectation
is each variant's own (model.variants: the property it names, written from containerd's
history), but for the property: the run can show either symptom first, the missing
parent or the image over a swept chain, so any violation is as expected.

Modelling choices: the duplication suppressor is left out (client.Pull's default is a
no-op; and it lives in the dying process, so the restart starts with none held); the
crash cannot fall between Prepare's two transactions (both run in the daemon, in one
Snapshots.Prepare call that a client's death does not stop: PrepareT2.crash_before); a
crash of the daemon itself (which would also cut that call and restart the GC) is not
this scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.client import pull_image
from unpack_race.model.collector import garbage_collector
from unpack_race.model.content import UpdateContentLabels
from unpack_race.model.gc import ANY, SCHEDULER, GcCollect, daemon_gc
from unpack_race.model.image import ImageSpec
from unpack_race.model.images import CreateImage
from unpack_race.model.leases import PassTime
from unpack_race.model.names import LEASE_EXPIRY_SECONDS
from unpack_race.model.snapshotter import Commit
from unpack_race.model.unpacker import Steps, UnpackOptions
from unpack_race.model.variants import variant as get_variant
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import invariants, issue_3787
from unpack_race.scenarios.base import Built, Expectation, Param, Unreachable
from unpack_race.scenarios.containerd_scenario import ContainerdScenario, gc_policy_param
from unpack_race.scenarios.retry_after_cancel import NO_GC, bounds_text
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.verdict import Verdict

FIRST, RESTART = "pull-1", "pull-2"
REUSES, SWEEPS = "restart-reuses-crashed-layer", "gc-sweeps-committed-layer"
HOUR = 60 * 60

NOT_EXPIRED = (
    "the crashed pull's lease expires 24 h after client.WithLease created it (leases.WithExpiration, the "
    "label containerd.io/gc.expire); within a downtime of at most 24 h it is still a root at every "
    "collection (core/metadata/gc.go scanRoots skips a lease only once the clock is past its expiry), so "
    "every layer the crashed pull committed stays reachable [§3.2, §4.1]"
)
ONLY_DIRTY = (
    "a GC that runs only while the db is dirty runs only after a deletion, and nothing is deleted until the "
    "restart's pull returns: the crash runs no deferred Remove or lease Delete, and the restart's only "
    "deletion is its own deferred done(), after createNewImage has made the image that roots the whole "
    "chain (nothing expires by itself: containerd #6294) [§3.2, §4.4]"
)

ONLY_SCHEDULED = (
    "containerd's GC scheduler makes a collection due only after a deletion, a ScheduleAndWait or 100 "
    "mutations (plugins/gc/scheduler.go run, mutation_threshold 100), and an expired lease makes none due by "
    "itself (containerd #6294): nothing is deleted until the restart's pull returns, as under gc-policy dirty, "
    "and the writes of the two pulls before the restart relies on a layer stay below the threshold within "
    "these bounds (a whole 2-layer pull commits 25 transactions, 7 more per layer: tests/model/"
    "test_gc_scheduler.py); only other activity on the node (gc-policy any) collects after the expiry "
    "[§3.2, §4.4]"
)


def unreachable(params: Mapping[str, Any]) -> tuple[Unreachable, ...]:
    """The `sometimes` properties these (resolved) parameters cannot reach, with why.

    Reachable everywhere else: pull-1 can crash after committing sha256:c1 and before
    the image that would root it exists; with a downtime past 24 h its lease has
    expired when pull-2 runs; pull-2 observes sha256:c1 (its Stat, or Prepare's target
    check) whatever the GC does, as nothing collects before the restart relies on it in
    the run where the GC comes last; and a GC with the policy `any` can run right after
    that. More layers, more GC runs and the backend cleanup only add steps."""
    found = []
    if params["gc-policy"] == SCHEDULER:
        found.append(Unreachable(SWEEPS, ONLY_SCHEDULED))
    elif params["gc-runs"] == 0:
        found.append(Unreachable(SWEEPS, NO_GC))
    if params["downtime"] * HOUR <= LEASE_EXPIRY_SECONDS:
        found.append(Unreachable(SWEEPS, NOT_EXPIRED))
    if params["gc-policy"] == "dirty":
        found.append(Unreachable(SWEEPS, ONLY_DIRTY))
    return tuple(found)


def restart(image: ImageSpec, options: UnpackOptions, downtime: int) -> Steps:
    """The process comes back `downtime` hours after pull-1 died and pulls the image again."""
    yield PassTime(downtime * HOUR)
    return (yield from pull_image(RESTART, image, options, wait_for_request=False))


class CrashInsteadOfCancel(ContainerdScenario):
    name = "crash-instead-of-cancel"
    summary = ("the pull's process dies at any step; its lease expires; the pull made again races with the "
               "collection that sweeps what the dead pull held (issue 3787 through a crash, containerd #6294)")
    params = (
        Param("layers", 2, "image layers", minimum=1, maximum=8),
        Param("gc-runs", 1, "how many times GC may run under gc-policy any or dirty", minimum=0, maximum=5),
        Param("downtime", 25, "hours between the crash and the pull made again (the lease expires after 24)",
              minimum=0, maximum=48),
        gc_policy_param(ANY, "when GC runs: at any step (any, the default here: after the expiry only other "
                        "activity on the node makes a collection due), when containerd's GC scheduler alone has one "
                        "due (scheduler), or only while the db is dirty (dirty)"),
        Param("backend-cleanup", False, "each GC is followed by the backend cleanup step"),
    )

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        image = ImageSpec(layers=p["layers"])
        options = UnpackOptions(v.skip_check, kmutex=False)

        def make_world() -> World:
            pulls = {FIRST: PullContext(requested=True), RESTART: PullContext(requested=True)}
            return World(lease_on_exists=v.lease_on_exists, pulls=pulls, **daemon_gc(p["gc-policy"]))

        actors = (
            ActorSpec(FIRST, lambda: pull_image(FIRST, image, options, wait_for_request=False), crashable=True),
            ActorSpec(RESTART, lambda: restart(image, options, p["downtime"]), restarts=FIRST),
            ActorSpec("gc", lambda: garbage_collector(p["gc-runs"], p["gc-policy"], p["backend-cleanup"]),
                      daemon=True),
        )
        program = Program(f"{self.name}[{variant}]", make_world, actors, max_crashes=1)
        gone = unreachable(p)
        omitted = {u.property for u in gone}
        sought = (
            invariants.retry_reuses_layer(RESTART, REUSES, "the restart's pull finds a layer snapshot that the "
                                                           "crashed pull committed"),
            invariants.gc_sweeps_committed_layer(image.chain_ids()),
        )
        properties = (
            invariants.NO_MISSING_PARENT,
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes((FIRST, RESTART), image.chain_ids()),
            *(prop for prop in sought if prop.name not in omitted),
        )
        return Built(program, properties, bounds_text(p), gone)

    def story(self, explanation: Any, continuation: Any = None) -> list[str] | None:
        return story(explanation, continuation)

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        sweeps = [u.why for u in unreachable(p) if u.property == SWEEPS]
        if sweeps:
            return Expectation(Verdict.PASS, None, "the race cannot occur: " + "; and ".join(sweeps))
        if v.violates is not None:
            return Expectation(Verdict.VIOLATION, None, f"{v.why}, reached through a crash: the restart relies "
                                                        f"on a layer only the expired lease held")
        return Expectation(Verdict.PASS, None, f"{v.why}: the restart leases each layer it relies on")


def story(x: Any, continuation: Any = None) -> list[str] | None:
    """The run told in containerd's words: issue 3787's story where the restart's next
    Prepare sees the missing parent (scenarios.issue_3787, which tells the crash and the
    expiry too); else, where the restart completes with an image whose chain the GC swept
    (pull-completes), that shape. None for a run of neither shape."""
    told = issue_3787.story(x, continuation)
    if told is not None:
        return told
    return swept_chain(x.steps)


def swept_chain(steps: tuple[Step, ...]) -> list[str] | None:
    """The restart relied on layers the crashed pull committed, the collection after the
    lease's expiry swept them before anything rooted them, and the restart created its
    image over the chain that is gone."""
    crash = issue_3787.crash_of(steps, FIRST)
    image = next((s for s in steps if s.actor == RESTART and isinstance(s.effect, CreateImage) and s.ok), None)
    if crash is None or image is None:
        return None
    gc = next((s for s in steps if isinstance(s.effect, GcCollect) and s.ok and s.index > crash.index
               and any(c in s.result.swept_snapshots for c in _chain(steps))), None)
    if gc is None:
        return None
    swept = [c for c in _chain(steps) if c in gc.result.swept_snapshots]
    commits = [s for s in steps[:crash.index] if s.actor == FIRST and isinstance(s.effect, Commit) and s.ok
               and s.effect.name in swept]
    if not commits:
        return None
    lease = commits[0].effect.lease
    where = ", ".join(f"{s.effect.name} (step {s.index})" for s in commits)
    sentences = [f"{FIRST} committed {where} in lease {lease}"
                 + issue_3787.expiry_clause(steps[:gc.index], crash, gc, lease, " and ".join(swept)) + "."]
    who = f"The restart's pull, {RESTART},"
    for parent in swept:
        relied = next((s for s in steps[:gc.index] if issue_3787.relied(s, RESTART, parent)), None)
        if relied is not None:
            sentences.append(issue_3787.reliance(steps, relied, who, parent))
            who = RESTART
    expired = ", ".join(gc.result.swept_leases)
    why = f": lease {expired} has expired, so it is no root" if expired else ""
    sentences.append(f"Then {gc.actor} marks from the roots and sweeps {', '.join(swept)} (step {gc.index}){why}.")
    label = next((s for s in steps[gc.index:image.index] if s.actor == RESTART
                  and isinstance(s.effect, UpdateContentLabels) and s.ok), None)
    labelled = f"labels its config with {label.effect.labels[0][1]} (step {label.index}) and " if label else ""
    sentences.append(
        f"{RESTART} {labelled}creates image {image.effect.name} (step {image.index}): the pull succeeds, but the "
        f"image's snapshot chain is gone, so a container made from it cannot be prepared. This is the race of "
        f"containerd issue 3787, reached through a crash and an expired lease instead of a cancel, with the "
        f"collection after the restart's last reliance instead of before its next Prepare.")
    sentences.append(
        "Had each layer been leased where the restart relied on it (d7f83034c, PR 10723, with c7fb8a925, PR "
        "10187: Prepare's first transaction adds the existing snapshot to the restart's lease and returns "
        "AlreadyExists), the collection would have kept it.")
    return sentences


def _chain(steps: tuple[Step, ...]) -> tuple[str, ...]:
    """The chain IDs committed by the crashed pull, in order."""
    return tuple(s.effect.name for s in steps if s.actor == FIRST and isinstance(s.effect, Commit) and s.ok)
