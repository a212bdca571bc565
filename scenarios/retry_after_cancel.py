"""Scenario retry-after-cancel (containerd-semantics §5.1, Saket Jajoo's kubelet-restart
reproduction of issue 3787).

pull-1 pulls an image of N layers under its lease; the kubelet cancels it at some step
(a restart); pull-1 aborts its extraction and deletes its lease on return; the kubelet
retries as pull-2, which may start while pull-1 is still unwinding; a GC collects when
containerd's GC scheduler has a collection due (`gc-policy`). Under the variants with the
Stat early return, or without PR 10187's lease on AlreadyExists, pull-2 can rely on a
layer pull-1 committed without leasing it, GC sweeps it, and pull-2's next Prepare fails
with `parent snapshot sha256:c1 does not exist: not found`.

When the GC runs (`gc-policy`, model/gc.py):
- `scheduler`, the default: as plugins/gc/scheduler.go decides (model/gc_scheduler.py),
  with its default configuration, as often as a collection becomes due. The daemon has
  been up a while (the kubelet restarts, not containerd): its startup collection is past,
  and nothing is pending when pull-1 starts: no deletion, no ScheduleAndWait and no
  mutation since its last collection. The first collection is then due after pull-1's
  abort Removes its extraction snapshot or its done() deletes its lease (each dirties the
  database), and another after each later deletion. The mutation threshold (100) is
  counted too: at the default bounds the two pulls commit far fewer transactions (25 for
  a whole 2-layer pull, 7 more per layer); the model keeps the count wherever it could
  still make a collection due. Activity of other pods on the node, which could make a
  collection due at any time, is what `any` stands for;
- `any`, an over-approximation: at any step, up to `gc-runs` times;
- `dirty`, the earlier abstraction: while db.dirty > 0, up to `gc-runs` times.

With `cancel` false the kubelet never restarts: pull-1 runs alone beside the GC, with no
kubelet actor and no retry (model/kubelet.py says why that is faithful). `order` puts the
retry's request before the cancel (the new kubelet's PullImage arrives before the old
connection's cancellation), which needs `overlap`. `release` picks the release line's
kmutex and unpacker behaviour on a cancel (model/releases.py); the variant is the same
code path on every line.

The two `sometimes` properties (the retry finds a layer the cancelled pull committed;
a GC sweeps a committed layer) are declared only where the parameters make them
reachable; `unreachable(params)` gives each one left out with the reason, and a pass
says it (Built.unreachable, rendered by reports.result_text.why_safe_text).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.client import pull_image
from unpack_race.model.collector import garbage_collector
from unpack_race.model.gc import SCHEDULER, daemon_gc
from unpack_race.model.image import ImageSpec
from unpack_race.model.kubelet import CANCEL_THEN_RETRY, ORDERS, RETRY_THEN_CANCEL, kubelet
from unpack_race.model.releases import DEFAULT as DEFAULT_RELEASE
from unpack_race.model.releases import NAMES as RELEASES
from unpack_race.model.releases import Release, release
from unpack_race.model.unpacker import UnpackOptions
from unpack_race.model.variants import variant as get_variant
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import invariants
from unpack_race.scenarios.base import Built, Expectation, Param, ParamError, Unreachable
from unpack_race.scenarios.containerd_scenario import ContainerdScenario, gc_policy_param
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.verdict import Verdict

FIRST, RETRY = "pull-1", "pull-2"
REUSES, SWEEPS = "retry-reuses-cancelled-layer", "gc-sweeps-committed-layer"

# Why a `sometimes` property cannot be reached, in containerd's words
# (containerd-semantics.md section numbers in brackets). Each is reasoning about the
# model and containerd, not an observation of a run.
NO_GC = (
    "without GC nothing is ever swept: only DB.GarbageCollect's sweep deletes a committed "
    "snapshot (the unpacker's abort Removes only its own active extraction key) [§2.5, §4.2], "
    "so a parent the retry relies on cannot disappear"
)
ONE_LAYER = (
    "a single layer has no parent to lose, and no GC can sweep it: Commit adds sha256:c1 to "
    "the committing pull's lease in its own transaction; after it the pull only labels the "
    "layer and config blobs and creates the image, none of which looks at its ctx, so it "
    "completes and the image roots sha256:c1 (manifest -> config -> gc.ref.snapshot) before "
    "its deferred done() deletes the lease [§2.4, §3.2, §4.1]"
)
NO_RETRY = (
    "the kubelet never cancels, so there is no retry: CRI's PullImage runs once, alone beside "
    "the GC, and no second pull can find a layer the first committed [§3.3, §5.1]"
)
NO_CANCEL = (
    "a pull that is not cancelled holds every snapshot it creates in its lease (Prepare's T2 "
    "and Commit add them in their own transactions) until createNewImage has made the image "
    "that roots the whole chain; only then does client.Pull's deferred done() delete the "
    "lease, so a GC never finds a committed layer unreachable [§2.3, §2.4, §3.2, §4.1]"
)


#: the release line, shared by the containerd scenarios (model/releases.py)
RELEASE = Param("release", DEFAULT_RELEASE, "the release line: what a cancelled kmutex Lock on a free key and "
                "the unpacker's wait on a cancelled ctx do (model/releases.py)", choices=RELEASES)


def unreachable(params: Mapping[str, Any]) -> tuple[Unreachable, ...]:
    """The `sometimes` properties these (resolved) parameters cannot reach, with why.

    Reachable everywhere else: with a cancel, at least 2 layers and a GC that can run
    (gc-policy scheduler, or at least one GC run), the kubelet can cancel pull-1 while it
    waits for its last layer's blob (after it committed sha256:c1), pull-1 aborts and
    deletes its lease, the retry finds sha256:c1 (Stat, or Prepare's AlreadyExists), and
    a GC can fall after the lease delete and before anything leases sha256:c1 again: the
    lease delete dirties the database, so under `scheduler` and `dirty` a collection is
    due from then until one runs. `overlap` only delays the retry, `order` only lets the
    retry's request come first, `release` only changes what the cancelled pull does after
    the cancel (on 1.6 its extraction of sha256:c2 stays in its lease until the lease is
    deleted, and then roots nothing), `kmutex` only orders the pulls' layers,
    `backend-cleanup` only adds a later step after each collection, and extra GC runs only
    add steps: none of them removes such a run.
    """
    found = []
    if not params["cancel"]:
        found.append(Unreachable(REUSES, NO_RETRY))
        found.append(Unreachable(SWEEPS, NO_CANCEL))
    if params["gc-policy"] != SCHEDULER and params["gc-runs"] == 0:
        found.append(Unreachable(SWEEPS, NO_GC))
    if params["layers"] == 1:
        found.append(Unreachable(SWEEPS, ONE_LAYER))
    return tuple(found)


class RetryAfterCancel(ContainerdScenario):
    name = "retry-after-cancel"
    summary = "a pull is cancelled at any step and retried while GC may run (issue 3787, §5.1)"
    params = (
        Param("layers", 2, "image layers", minimum=1, maximum=8),
        Param("gc-runs", 1, "how many times GC may run under gc-policy any or dirty (under scheduler it "
              "runs whenever a collection is due)", minimum=0, maximum=5),
        Param("overlap", True, "the retry may start while the cancelled pull unwinds"),
        gc_policy_param(),
        Param("kmutex", True, "CRI's process-wide duplication suppressor is shared by both pulls"),
        Param("backend-cleanup", False, "each GC is followed by the backend cleanup step"),
        Param("cancel", True, "the kubelet cancels the first pull (a restart) and retries it; "
              "without it the pull runs alone beside the GC"),
        Param("order", CANCEL_THEN_RETRY, "the kubelet's cancel comes before its retry, or the retry's "
              "request before the cancel (needs --overlap)", choices=ORDERS),
        RELEASE,
    )

    def resolve(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        p = super().resolve(overrides)
        if p["cancel"] and p["order"] == RETRY_THEN_CANCEL and not p["overlap"]:
            raise ParamError(
                "parameters order=retry-then-cancel and overlap=no contradict each other: without overlap the "
                "retry waits until pull-1 has returned, so it cannot be asked for before pull-1 is cancelled; "
                "use --overlap, or --order cancel-then-retry"
            )
        return p

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        line = release(p["release"])
        image = ImageSpec(layers=p["layers"])
        options = unpack_options(v.skip_check, p["kmutex"], line)
        pulls = (FIRST, RETRY) if p["cancel"] else (FIRST,)

        def make_world() -> World:
            contexts = {FIRST: PullContext(requested=True)}
            if p["cancel"]:
                contexts[RETRY] = PullContext()
            return new_world(v.lease_on_exists, line, contexts, p["gc-policy"])

        actors = [ActorSpec(FIRST, lambda: pull_image(FIRST, image, options, wait_for_request=False))]
        if p["cancel"]:  # no restart: no kubelet step and no retry (model/kubelet.py)
            actors += [
                ActorSpec(RETRY, lambda: pull_image(RETRY, image, options, wait_for_request=True)),
                ActorSpec("kubelet", lambda: kubelet(FIRST, RETRY, p["overlap"], p["order"])),
            ]
        actors.append(ActorSpec(
            "gc",
            lambda: garbage_collector(p["gc-runs"], p["gc-policy"], p["backend-cleanup"]),
            daemon=True,
        ))
        program = Program(f"{self.name}[{variant}]", make_world, tuple(actors))
        gone = unreachable(p)
        omitted = {u.property for u in gone}
        sought = (
            invariants.retry_reuses_layer(RETRY),
            invariants.gc_sweeps_committed_layer(image.chain_ids()),
        )
        properties = (
            invariants.NO_MISSING_PARENT,
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes(pulls, image.chain_ids()),
            *(prop for prop in sought if prop.name not in omitted),
        )
        return Built(program, properties, bounds_text(p), gone)

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        # Issue 3787 needs a GC to sweep a committed layer the retry relies on; where no GC
        # can sweep one, no Prepare can see a missing parent, under any variant. The other
        # `sometimes` property, where still declared, is reachable (see unreachable()).
        sweeps = [u.why for u in unreachable(p) if u.property == SWEEPS]
        if sweeps:
            return Expectation(Verdict.PASS, None, "the race cannot occur: " + "; and ".join(sweeps))
        # Elsewhere, what the variant's definition writes down (from containerd's history),
        # never what its code switches imply.
        if v.violates is not None:
            return Expectation(Verdict.VIOLATION, v.violates, v.why)
        return Expectation(Verdict.PASS, None, v.why)


def unpack_options(skip_check, kmutex: bool, line: Release) -> UnpackOptions:
    """The unpacker of a variant's step before Prepare, on a release line."""
    return UnpackOptions(skip_check, kmutex=kmutex, abort_on_cancel=line.abort_on_cancel)


def new_world(lease_on_exists, line: Release, pulls: dict[str, PullContext], gc_policy: str) -> World:
    """An empty daemon with a variant's PR 10187 halves, a release line's x/sync and its GC
    under `gc_policy` (model/gc.py `daemon_gc`)."""
    return World(lease_on_exists=lease_on_exists, pulls=pulls, acquire_checks_ctx_first=line.acquire_checks_ctx_first,
                 **daemon_gc(gc_policy))


def bounds_text(params: Mapping[str, Any]) -> str:
    """The parameters as bounds; gc-runs bounds nothing under gc-policy scheduler."""
    shown = {k: v for k, v in params.items() if not (k == "gc-runs" and params.get("gc-policy") == SCHEDULER)}
    return ", ".join(f"{k}={_show(v)}" for k, v in shown.items())


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
