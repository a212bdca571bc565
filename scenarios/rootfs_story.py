"""The story of pkg/rootfs's Stat then skip at containerd HEAD, told from an explanation of a
failing run of rootfs-apply-layer or rootfs-apply-layers (docs/findings/
rootfs-apply-stat-skip.md), in containerd's words. Two shapes:

- the missing parent (BuildKit's first claim, moby/buildkit#6521): the unpacker stats a
  chain ID, finds it and skips the layer without a lease; the collection that CRI
  RemoveImage's synchronous delete waits for sweeps it; the next layer's Prepare, which
  carries no containerd.io/snapshot.ref label, fails with `parent snapshot <chain ID> does not
  exist: not found`;
- the returned chain gone (BuildKit's second claim, PR 6558): the unpacker stats the top
  chain ID, finds it and returns it without a lease; the collection sweeps it; the caller
  labels the image config with the chain, which no longer exists.

`scheduler.explain` finds the racing pair and the counterfactuals; this module recognises
the shapes in them. Runs of another shape get no story here (scenarios/stories.py tries the
tellers in turn). Nothing here runs the program.
"""

from __future__ import annotations

from unpack_race.model.content import UpdateContentLabels
from unpack_race.model.gc import GcCollect
from unpack_race.model.names import GC_REF_SNAPSHOT
from unpack_race.model.snapshotter import PrepareT1, Stat
from unpack_race.scenarios.invariants import saw_missing_parent
from unpack_race.scenarios.issue_3787 import (
    collection_sentence,
    counterfactuals,
    final_error,
    image_removal,
    prepare_target,
)
from unpack_race.scenarios.layer_invariants import APPLIED_CHAIN_EXISTS
from unpack_race.scheduler.explain import Explanation
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.run import Run

EXTRACT = "extract-"  # snapshots.UnpackKeyFormat, the keys applyLayers prepares
STILL_THERE = ("pkg/rootfs still stats and skips at HEAD (28caf9027, 2018); core/unpack stopped in d7f83034c "
               "(PR 10723), whose Prepare leases what it finds (PR 10187).")


def story(x: Explanation, continuation: Run | None = None) -> list[str] | None:
    """Sentences for one of the two shapes, or None if the run has neither."""
    if x.racing is None:
        return None
    w, v = x.racing
    if v != x.violation.step_index:
        return None
    gc, last = x.steps[w], x.steps[v]
    if not isinstance(gc.effect, GcCollect) or not gc.ok:
        return None
    if (saw_missing_parent(last) and not prepare_target(last.effect) and last.effect.key.startswith(EXTRACT)
            and last.effect.parent in gc.result.swept_snapshots):
        return _missing_parent(x, continuation, gc, last)
    if (x.violation.property == APPLIED_CHAIN_EXISTS and isinstance(last.effect, UpdateContentLabels)
            and dict(last.effect.labels).get(GC_REF_SNAPSHOT) in gc.result.swept_snapshots):
        return _chain_gone(x, gc, last)
    return None


def _stat_found(steps: tuple[Step, ...], actor: str, chain: str) -> Step | None:
    return next((s for s in reversed(steps) if s.actor == actor and isinstance(s.effect, Stat)
                 and s.effect.key == chain and s.ok), None)


def _missing_parent(x: Explanation, continuation: Run | None, gc: Step, failed: Step) -> list[str]:
    actor, parent = failed.actor, failed.effect.parent
    removal = image_removal(x.steps[:gc.index])
    sentences = []
    if removal is not None:
        sentences.append(f"{parent} exists only because image {removal.effect.name} roots it; no lease holds it.")
    stat = _stat_found(x.steps[:gc.index], actor, parent)
    if stat is not None:
        sentences.append(f"{actor} stats {parent} (step {stat.index}): it exists, so rootfs.ApplyLayerWithOpts "
                         f"skips the layer; Stat takes no lease, and {parent} is added to none.")
    sentences.append(collection_sentence(x.steps[:gc.index], gc, removal, parent))
    which = "first" if isinstance(failed.effect, PrepareT1) else "second"
    text = (f"{actor} prepares {failed.effect.key!r} on parent {parent} (step {failed.index}), with no "
            f"containerd.io/snapshot.ref label, and Prepare's {which} transaction fails: {failed.error}")
    final = final_error(continuation, actor)
    if final:
        text += f"; the unpack fails: {final}"
    sentences.append(text + ". " + STILL_THERE)
    sentences.extend(counterfactuals(x, actor, parent, "the unpack"))
    return sentences


def _chain_gone(x: Explanation, gc: Step, label: Step) -> list[str]:
    actor, chain = label.actor, dict(label.effect.labels)[GC_REF_SNAPSHOT]
    removal = image_removal(x.steps[:gc.index])
    sentences = []
    if removal is not None:
        sentences.append(f"{chain} exists only because image {removal.effect.name} roots it; no lease holds it.")
    stat = _stat_found(x.steps[:gc.index], actor, chain)
    if stat is not None:
        sentences.append(f"{actor} stats {chain} (step {stat.index}): it exists, so pkg/rootfs takes the chain as "
                         f"applied and returns it; Stat takes no lease, and {chain} is added to none.")
    sentences.append(collection_sentence(x.steps[:gc.index], gc, removal, chain))
    sentences.append(
        f"{actor} labels the config {label.effect.digest} with {GC_REF_SNAPSHOT}={chain} (step {label.index}), "
        f"a snapshot that no longer exists: the unpack succeeds, and the image names a chain that is gone; a "
        f"container's Prepare on it would fail with `parent snapshot {chain} does not exist: not found`. "
        f"moby/buildkit PR 6558: rootfs.ApplyLayers \"can return a chainid that may already be deleted by the "
        f"time the function returns\". " + STILL_THERE)
    sentences.extend(counterfactuals(x, actor, chain, "the unpack"))
    return sentences
