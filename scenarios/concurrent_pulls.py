"""Scenarios concurrent-pulls and commit-already-exists (containerd-semantics §5.3): two
pulls of images that share their bottom layers run at once, and the first is cancelled.

pull-1 pulls docker.io/library/app (layers sha256:l1, l2, ...); pull-2 pulls
docker.io/library/tool, whose bottom `shared` layers are app's (sha256:c1 is the chain
ID of both) and whose layers above are its own (sha256:l2b, chain sha256:c2b, ...). CRI's
pull progress reporter cancels pull-1 at some step (its registry stalls:
model/pull_progress.py): a cancel of that pull alone, as a kubelet restart is not. A GC
may run at any step, up to K times.

With `kmutex` (the default of concurrent-pulls) both are CRI pulls and share CRI's
process-wide duplication suppressor (internal/cri/server/images/service.go
`unpackDuplicationSuppressor: kmutex.New()`, passed to every PullImage in
image_pull.go): pull-2 waits on sn://overlayfs/sha256:c1 while pull-1 unpacks it, then
finds it committed. Without it pull-2 is another client in the same namespace (`ctr -n
k8s.io images pull`, nerdctl --namespace k8s.io, a second containerd client), whose
client.Pull passes no duplication suppressor, so the unpacker's is a no-op (client/
pull.go: `if uconfig.DuplicationSuppressor != nil`); pull-1's CRI kmutex then excludes
nobody, and the model leaves both pulls' locks out.

Either way pull-2 can rely on sha256:c1 while only pull-1's lease holds it: by Stat (the
Stat early return, before PR 10723), by Prepare's AlreadyExists on the snapshot.ref
target (before PR 10187's Prepare half), or, without the kmutex, by Commit's
AlreadyExists after both pulls extracted sha256:c1 (before PR 10187's Commit half).
pull-1 is cancelled, its deferred done() deletes its lease, GC sweeps sha256:c1, and
pull-2's Prepare of its next layer fails with `parent snapshot sha256:c1 does not exist:
not found`: issue 3787's race with a concurrent pull in place of the retry.

`commit-already-exists` is the same program with PR 10187's two halves set apart
(model/switches.py): always Prepare (PR 10723), with neither half (prepare-without-lease),
the Prepare half only, the Commit half only, or both (prepare-with-lease), and no shared
kmutex by default, so that the Commit path can occur. Which half matters where:
- without the kmutex both do: the Commit half alone leaves Prepare's T1 path (pull-2
  prepares sha256:c1 after pull-1 committed it), the Prepare half alone leaves the
  Commit path (both extract sha256:c1, pull-2 commits second);
- with the kmutex only the Prepare half does: each pull holds the chain ID's lock from
  its Prepare to its Commit (doUnpackFn's deferred unlock), so no other pull commits
  that chain ID in between and Commit's AlreadyExists cannot happen; Prepare's can.
The expectations below are this reasoning about containerd's code, not the model's
output: PR 10187 says "any already exists errors should add the relevant key to the
lease" without saying which path a client reaches when.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.client import pull_image
from unpack_race.model.collector import garbage_collector
from unpack_race.model.gc import SCHEDULER
from unpack_race.model.image import ImageSpec
from unpack_race.model.pull_progress import progress_reporter
from unpack_race.model.releases import release
from unpack_race.model.variants import HALVES, SHIPPED, Variant
from unpack_race.model.world import PullContext
from unpack_race.scenarios import invariants
from unpack_race.scenarios.base import Built, Expectation, Param, ParamError, Unreachable
from unpack_race.scenarios.containerd_scenario import ContainerdScenario
from unpack_race.scenarios.retry_after_cancel import (
    NO_GC,
    ONE_LAYER,
    RELEASE,
    RetryAfterCancel,
    bounds_text,
    new_world,
    unpack_options,
)
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.verdict import Verdict

FIRST, SECOND = "pull-1", "pull-2"
REUSES, SWEEPS, COMMITS = "second-pull-reuses-first-pulls-layer", "gc-sweeps-committed-layer", \
    "commit-finds-chain-committed"

SHARED_KMUTEX = (
    "the pulls share CRI's kmutex: each holds sn://overlayfs/<chain ID> from before its Prepare until "
    "doUnpackFn returns, after its Commit (the deferred unlock), and every pull that commits a chain ID "
    "holds its lock, so no other pull can commit that chain ID between a pull's Prepare and its Commit "
    "[§1.3 step 2, §1.5]"
)

#: the parameters this scenario shares with retry-after-cancel, taken from it by name
_SAME = {p.name: p for p in RetryAfterCancel.params}


def images(params: Mapping[str, Any]) -> tuple[ImageSpec, ImageSpec]:
    """app for pull-1; tool for pull-2, sharing app's bottom `shared` layers."""
    layers = params["layers"]
    return (ImageSpec(layers=layers),
            ImageSpec("docker.io/library/tool:latest", layers, "sha256:m1", "sha256:f1", own="b",
                      shares=params["shared"]))


def unreachable(params: Mapping[str, Any]) -> tuple[Unreachable, ...]:
    """The `sometimes` properties these (resolved) parameters cannot reach, with why.

    Reachable elsewhere: pull-1 can commit sha256:c1 and be cancelled while it waits for
    its next layer's blob, after pull-2 found sha256:c1 (Stat, or Prepare's target check:
    pull-2 finds it whenever pull-1 committed it first, kmutex or not); pull-1 aborts or
    not (1.6), deletes its lease, and a GC can fall then, before anything leases
    sha256:c1 again. The Commit path needs both pulls between Prepare and Commit of
    sha256:c1 at once, which only the kmutex prevents. `shared` and `release` change no
    such run away, `gc-policy=dirty` still lets the GC run right after the lease delete,
    and so does the GC scheduler (the lease delete makes a collection due), whatever
    `gc-runs`, which bounds only `any` and `dirty`; `backend-cleanup` and more GC runs only
    add steps.
    """
    found = []
    if params["gc-policy"] != SCHEDULER and params["gc-runs"] == 0:
        found.append(Unreachable(SWEEPS, NO_GC))
    if params["layers"] == 1:
        found.append(Unreachable(SWEEPS, ONE_LAYER))
    if params["kmutex"]:
        found.append(Unreachable(COMMITS, SHARED_KMUTEX))
    return tuple(found)


class ConcurrentPulls(ContainerdScenario):
    name = "concurrent-pulls"
    summary = "two pulls of images sharing layers at once, the first cancelled, while GC may run (§5.3)"
    params = (
        Param("layers", 2, "layers of each image", minimum=1, maximum=8),
        Param("shared", 1, "bottom layers the second image shares with the first (at most --layers)",
              minimum=1, maximum=8),
        _SAME["gc-runs"],
        _SAME["gc-policy"],
        Param("kmutex", True, "both pulls are CRI's and share its process-wide duplication suppressor; without "
              "it the second is another client in the namespace (ctr -n k8s.io, nerdctl), with no kmutex"),
        _SAME["backend-cleanup"],
        RELEASE,
    )
    #: the `sometimes` properties sought, where reachable
    sought = (REUSES, SWEEPS)

    def resolve(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        p = super().resolve(overrides)
        if p["shared"] > p["layers"]:
            raise ParamError(f"parameter shared: {p['shared']} is more than layers={p['layers']}; the second image "
                             f"shares at most all of the first's layers: use --shared 1 to {p['layers']}")
        return p

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        v = self.variant_definition(self.check_variant(variant))
        p = self.resolve(params)
        line = release(p["release"])
        first, second = images(p)
        options = unpack_options(v.skip_check, p["kmutex"], line)

        def make_world():
            return new_world(v.lease_on_exists, line,
                             {FIRST: PullContext(requested=True), SECOND: PullContext(requested=True)}, p["gc-policy"])

        actors = (
            ActorSpec(FIRST, lambda: pull_image(FIRST, first, options, wait_for_request=False)),
            ActorSpec(SECOND, lambda: pull_image(SECOND, second, options, wait_for_request=False)),
            ActorSpec("cri", lambda: progress_reporter(FIRST)),
            ActorSpec("gc", lambda: garbage_collector(p["gc-runs"], p["gc-policy"], p["backend-cleanup"]),
                      daemon=True),
        )
        program = Program(f"{self.name}[{variant}]", make_world, actors)
        gone = unreachable(p)
        omitted = {u.property for u in gone}
        chains = tuple(sorted(set(first.chain_ids()) | set(second.chain_ids())))
        sought = {
            REUSES: invariants.reuses_layer(REUSES, SECOND, "pull-2 finds a layer snapshot that pull-1 committed"),
            SWEEPS: invariants.gc_sweeps_committed_layer(chains),
            COMMITS: invariants.commit_finds_chain_committed(SECOND),
        }
        properties = (
            invariants.NO_MISSING_PARENT,
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes((FIRST, SECOND), {FIRST: first.chain_ids(), SECOND: second.chain_ids()}),
            *(sought[name] for name in self.sought if name not in omitted),
        )
        return Built(program, properties, bounds_text(p), tuple(u for u in gone if u.property in self.sought))

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        v = self.variant_definition(self.check_variant(variant))
        p = self.resolve(params)
        # As retry-after-cancel: where no GC can sweep a committed layer, no Prepare can see
        # a missing parent, under any variant; elsewhere what the variant's definition says.
        sweeps = [u.why for u in unreachable(p) if u.property == SWEEPS]
        if sweeps:
            return Expectation(Verdict.PASS, None, "the race cannot occur: " + "; and ".join(sweeps))
        if v.violates is not None:
            return Expectation(Verdict.VIOLATION, v.violates,
                               f"{v.why}; here a concurrent pull relies on it in place of the retry (§5.3)")
        return Expectation(Verdict.PASS, None, v.why)


#: commit-already-exists' variants: always Prepare, with each combination of PR 10187's halves
SPLIT: tuple[Variant, ...] = (SHIPPED[2], *HALVES, SHIPPED[3])


class CommitAlreadyExists(ConcurrentPulls):
    name = "commit-already-exists"
    summary = "concurrent-pulls with PR 10187's Prepare and Commit halves apart: which half matters where (§5.3)"
    params = tuple(
        Param("kmutex", False, p.help) if p.name == "kmutex" else p for p in ConcurrentPulls.params
    )
    more_variants = ""
    sought = (REUSES, SWEEPS, COMMITS)

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(v.name for v in SPLIT)

    def variant_definition(self, variant: str) -> Variant | None:
        return next((v for v in SPLIT if v.name == variant), None)

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        v = self.variant_definition(self.check_variant(variant))
        p = self.resolve(params)
        general = super().expected(variant, params)
        if general.verdict is Verdict.VIOLATION and v.lease_on_exists.prepare and p["kmutex"]:
            # only the Commit path is left unleased, and the shared kmutex closes it
            return Expectation(Verdict.PASS, None,
                               f"the Prepare half leases what Prepare finds, and the Commit path cannot occur: "
                               f"{SHARED_KMUTEX}")
        return general


__all__ = ["CommitAlreadyExists", "ConcurrentPulls"]
