"""Scenario lease-deleted-under-pull: another client deletes the lease of a pull that is
still in progress (moby #53321, open: with the containerd image store, `docker image
prune` deletes every lease it labels moby/prune.images, those of in-flight pulls
included, the last with SynchronousDelete; moby's fixes, #53335 and #53429, are still
open), with the synchronous collection that delete asks for.

pull-1 pulls an image of N layers under its lease (client.WithLease, client/lease.go);
the pruner deletes that lease at a step the search picks (model/pruner.py: Leases.Delete
with SynchronousDelete, plugins/leases/local.go, then gc.ScheduleAndWait). From then on:

- everything the lease held is rooted by nothing: the manifest and config blobs, the
  layer snapshots already committed, the active extraction snapshot, until the image
  that would root the chain exists (createNewImage is Pull's last step), so the
  collection sweeps them; the next Prepare with a swept parent fails with `parent
  snapshot <chain ID> does not exist: not found`, a Commit onto a swept parent fails;
- every call that adds to the lease on the pull's ctx fails in its own transaction:
  a content write (`unable to lease content: lease does not exist: not found`,
  core/metadata/content.go Writer; the model's FetchBlob), Prepare's second transaction
  and Commit (`addSnapshotLease`: `lease does not exist: not found`,
  core/metadata/leases.go), so the pull fails even where the GC swept nothing.

Expected under every variant, by reading the code: a violation. The fix for issue 3787
(d7f83034c, PR 10723, with c7fb8a925, PR 10187) makes the unpacker lease what it relies
on, in the same transaction as the check that it exists; it leases *into the lease on
the ctx*, and here that lease is what is gone. No leasing discipline inside the unpacker
can help: only a pruner that leaves a lease in use alone can (moby #53335 keeps leases
whose containerd.io/gc.expire is still ahead; #53429 keeps those an operation still
holds). Which property the run shows first depends on where the delete falls (a missing
parent, the pull failing, or an image created over what was swept), so any violation is
as expected. moby's own field signatures (an ingest's rename failing with ENOENT,
`unable to lease content`, `content digest ... not found`) come from the content ingest,
which the model folds into one step (model/content.py); the snapshot side shown here is
the same mechanism.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.client import lease_id, pull_image
from unpack_race.model.collector import garbage_collector
from unpack_race.model.gc import ANY, GcCollect
from unpack_race.model.image import ImageSpec
from unpack_race.model.images import CreateImage
from unpack_race.model.leases import CreateLease, DeleteLease
from unpack_race.model.pruner import prune_lease
from unpack_race.model.unpacker import UnpackOptions
from unpack_race.model.variants import variant as get_variant
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import invariants
from unpack_race.scenarios.base import Built, Expectation, Param
from unpack_race.scenarios.containerd_scenario import ContainerdScenario
from unpack_race.scenarios.retry_after_cancel import bounds_text
from unpack_race.scheduler.kernel import Status
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.verdict import Verdict

PULL, PRUNER = "pull-1", "pruner"

WHY = ("the pruner deletes the lease the pull works under (moby #53321); every variant's unpacker leases into "
       "the lease on the ctx, which is gone: what it held is swept, and each later add fails with `lease does "
       "not exist: not found`; no leasing discipline in the unpacker can help")


class LeaseDeletedUnderPull(ContainerdScenario):
    name = "lease-deleted-under-pull"
    summary = "a lease pruner deletes the lease of an in-flight pull, with a synchronous GC (moby #53321)"
    params = (
        Param("layers", 2, "image layers", minimum=1, maximum=8),
        Param("sync-gc", True, "the pruner's delete is synchronous: a collection follows it (SynchronousDelete)"),
        Param("gc-runs", 0, "how many more times the GC may run, at any step", minimum=0, maximum=5),
        Param("kmutex", True, "CRI's process-wide duplication suppressor (only one pull here: it orders nothing)"),
    )

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        image = ImageSpec(layers=p["layers"])
        options = UnpackOptions(v.skip_check, kmutex=p["kmutex"])

        def make_world() -> World:
            return World(lease_on_exists=v.lease_on_exists, pulls={PULL: PullContext(requested=True)})

        actors = [
            ActorSpec(PULL, lambda: pull_image(PULL, image, options, wait_for_request=False)),
            ActorSpec(PRUNER, lambda: prune_lease(lease_id(PULL), PRUNER, ANY, p["sync-gc"])),
        ]
        if p["gc-runs"]:
            actors.append(ActorSpec("gc", lambda: garbage_collector(p["gc-runs"], ANY), daemon=True))
        program = Program(f"{self.name}[{variant}]", make_world, tuple(actors))
        properties = (
            invariants.NO_MISSING_PARENT,
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes((PULL,), image.chain_ids()),
        )
        return Built(program, properties, bounds_text(p))

    def story(self, explanation: Any, continuation: Any = None) -> list[str] | None:
        return story(explanation, continuation)

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        self.check_variant(variant)
        self.resolve(params)
        # Reachable under every parameter: the pruner can delete the lease just after
        # CreateLease, and the manifest's fetch then adds it to a lease that is gone.
        return Expectation(Verdict.VIOLATION, None, WHY)


def story(x: Any, continuation: Any = None) -> list[str] | None:
    """The run told in containerd's words: who deleted the lease while the pull worked
    under it, what the synchronous collection swept, how the pull ends, and why no
    variant of the unpacker could have helped. None for a run without the pruner's
    delete of the pull's lease."""
    steps = x.steps
    lease = lease_id(PULL)
    delete = next((s for s in steps if s.actor == PRUNER and isinstance(s.effect, DeleteLease) and s.ok), None)
    created = next((s for s in steps if s.actor == PULL and isinstance(s.effect, CreateLease) and s.ok), None)
    if delete is None or created is None:
        return None
    sentences = [f"{PULL} pulls under lease {lease} (step {created.index}). The pruner deletes that lease while "
                 f"the pull is still in progress (step {delete.index}): Leases.Delete drops it in one transaction, "
                 f"whoever still works under it (moby #53321: docker image prune deletes every lease it labelled, "
                 f"in-flight pulls' included, the last with SynchronousDelete)."]
    collect = next((s for s in steps[delete.index + 1:] if s.actor == PRUNER and isinstance(s.effect, GcCollect)
                    and s.ok), None)
    if collect is not None:
        swept = list(collect.result.swept_snapshots) + list(collect.result.swept_content)
        what = f"sweeps {', '.join(swept)}" if swept else "finds nothing to sweep yet"
        sentences.append(f"Its synchronous collection (gc.ScheduleAndWait, step {collect.index}) no longer counts "
                         f"the lease as a root and {what}.")
    failed = next((s for s in steps[delete.index + 1:] if s.actor == PULL and not s.ok
                   and not isinstance(s.effect, DeleteLease)), None)
    end = continuation.actor_end(PULL) if continuation is not None else None
    if failed is not None:
        text = f"{failed.narrate()} (step {failed.index})"
        if end is not None and end.status is Status.FAILED:
            text += f"; the pull fails: {end.error}"
        sentences.append(text + ".")
    else:
        image = next((s for s in steps[delete.index + 1:] if s.actor == PULL and isinstance(s.effect, CreateImage)
                      and s.ok), None)
        if image is not None:
            sentences.append(f"{PULL} does not notice: it creates image {image.effect.name} (step {image.index}) "
                             f"and returns, but what the image points to was swept; its deferred done() finds the "
                             f"lease gone, an error Pull ignores.")
    sentences.append(
        "No leasing discipline in the unpacker can help: the fix for issue 3787 (PR 10723 with PR 10187) adds what "
        "the pull relies on to the lease on its ctx, in the transaction that checks it, and here that lease is "
        "gone: every add to it fails with `lease does not exist: not found`, and what it held is rooted by "
        "nothing until the image exists. So every variant fails; what helps is a pruner that leaves leases in use "
        "alone (the fixes proposed in moby #53335, keep leases not yet expired, and #53429, keep leases an "
        "operation still holds).")
    return sentences
