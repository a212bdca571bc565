"""The properties checked on containerd scenarios (containerd-semantics §7.3), each with
the scope it reads (scheduler.properties), so that every strategy can say whether it
preserves them:

- no-missing-parent (P1, the mission; on_step): no snapshot call fails because its
  parent snapshot does not exist: Prepare (createSnapshot's T1 and T2), Commit and
  Remove, the three functions of core/metadata/snapshot.go that return `parent snapshot
  <parent> does not exist: not found` (at d7f83034c: createSnapshot L357 and L471,
  Commit L587, Remove L699). Commit's check is the only one at HEAD's parallel unpack,
  which Prepares without a parent and gives it at Commit (WithParent);
- gc-sweeps-only-unreachable (P2; on_step): every snapshot a GC sweeps was unreachable
  from the roots when it ran. Reachability is recomputed here with networkx from what
  GC saw (its report), independently of the model's own marking code;
- pull-completes (P3/c; at_end): a pull that was never cancelled completes, and its
  image's whole snapshot chain exists, committed, at the end;
- retry-reuses-cancelled-layer (sometimes, on_step): the race window of issue 3787 is
  entered (`reuses_layer`: also for a pull that is not a retry);
- gc-sweeps-committed-layer (sometimes, on_step): a GC sweeps a layer's committed
  snapshot;
- commit-finds-chain-committed (sometimes, on_step): a pull's Commit of a chain ID gets
  AlreadyExists: another pull committed it first (the Commit path of PR 10187).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import networkx as nx
from unpack_race.model.errdefs import AlreadyExists, NotFound
from unpack_race.model.gc import (
    GcCollect,
    GcReport,
    GraphInput,
    content_refs,
    snapshot_refs,
)
from unpack_race.model.names import GC_ROOT
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Remove, Stat
from unpack_race.scheduler.kernel import Status, Step
from unpack_race.scheduler.properties import End, always, at_end, on_step, sometimes

#: the metadata snapshotter's steps that check a parent's bucket and fail without it
CHECK_PARENT = (PrepareT1, PrepareT2, Commit, Remove)


def saw_missing_parent(step: Step) -> bool:
    return (
        isinstance(step.effect, CHECK_PARENT)
        and isinstance(step.error, NotFound)
        and str(step.error).startswith("parent snapshot ")
    )


NO_MISSING_PARENT = always(
    "no-missing-parent",
    on_step(lambda step: not saw_missing_parent(step)),
    "no Prepare, Commit or Remove ever sees a missing parent",
)


def reachable_from_roots(graph_input: GraphInput) -> set[tuple[str, str]]:
    """Nodes ("snapshot", name) / ("content", digest) reachable from GC's roots."""
    graph = nx.DiGraph()
    roots: set[tuple[str, str]] = set()
    for name, parent, labels in graph_input.snapshots:
        graph.add_node(("snapshot", name))
        if parent:
            graph.add_edge(("snapshot", name), ("snapshot", parent))
        if any(k == GC_ROOT for k, _ in labels):
            roots.add(("snapshot", name))
    for digest, labels in graph_input.content:
        graph.add_node(("content", digest))
        for ref in content_refs(labels):
            graph.add_edge(("content", digest), ("content", ref))
        for ref in snapshot_refs(labels):
            graph.add_edge(("content", digest), ("snapshot", ref))
        if any(k == GC_ROOT for k, _ in labels):
            roots.add(("content", digest))
    for _id, expired, snaps, blobs in graph_input.leases:
        if not expired:
            roots.update(("snapshot", s) for s in snaps)
            roots.update(("content", d) for d in blobs)
    roots.update(("content", target) for _name, target in graph_input.images)
    roots.update(("snapshot", key) for _id, key in graph_input.containers)
    reached = set(roots)
    for root in roots:
        if root in graph:
            reached |= nx.descendants(graph, root)
    return reached


def _gc_report(step: Step) -> GcReport | None:
    if isinstance(step.effect, GcCollect) and step.ok:
        return step.result
    return None


def _reachable_swept(step: Step) -> list[str]:
    report = _gc_report(step)
    if report is None:
        return []
    return list(_reachable_swept_by(report))


@functools.lru_cache(maxsize=1 << 14)
def _reachable_swept_by(report: GcReport) -> tuple[str, ...]:
    """The snapshots `report`'s collection swept although reachable. Memoised, which is
    sound: a report is a frozen value (attrs.frozen, tuples and frozensets of strings all
    the way down, so equal reports are interchangeable and none changes after it is
    made), and the answer is a function of the report alone (networkx over what GC saw,
    nothing else). A search meets the same collection again and again (at retry-after-
    cancel 4 layers / 2 GC runs, a few hundred distinct reports among thousands of GC
    steps)."""
    reached = reachable_from_roots(report.before)
    return tuple(s for s in report.swept_snapshots if ("snapshot", s) in reached)


GC_SWEEPS_ONLY_UNREACHABLE = always(
    "gc-sweeps-only-unreachable",
    on_step(lambda step: not _reachable_swept(step)),
    "GC never sweeps a snapshot reachable from a root",
    explain=lambda step: "swept while reachable: " + ", ".join(_reachable_swept(step)),
)


def pull_completes(pulls: tuple[str, ...], chain: tuple[str, ...] | Mapping[str, tuple[str, ...]]):
    """At the end: every pull whose ctx was never cancelled, that did not crash and that
    started (scheduler.crashes: a restart starts only if its pull crashed) finished
    without error, and every chain ID of its image exists as a committed snapshot.
    `chain` is the image's chain IDs, or each pull's (pulls of different images)."""
    chains = chain if isinstance(chain, Mapping) else {pull: chain for pull in pulls}

    def problems(end: End) -> list[str]:
        found = []
        for pull in pulls:
            chain = chains[pull]
            if end.world.pulls[pull].cancelled:
                continue
            actor = end.actor(pull)
            if actor.status in (Status.CRASHED, Status.NOT_STARTED):
                continue  # its process died, or it is the restart of one that did not: nothing to complete
            if actor.status is not Status.DONE:
                reason = actor.error or "it did not finish"
                found.append(f"{pull} was not cancelled but failed: {reason}")
                continue
            missing = [c for c in chain if getattr(end.world.snapshots.get(c), "kind", None) != "committed"]
            if missing:
                found.append(f"{pull} completed but {', '.join(missing)} is missing")
        return found

    return at_end(
        "pull-completes",
        lambda end: not problems(end),
        "a pull that was not cancelled completes and its image's whole snapshot chain exists",
        explain=lambda end: "; ".join(problems(end)),
    )


def finds_existing_layer(step: Step, retry: str) -> str | None:
    """The chain ID the retry's step observes as existing: its Stat finds it, or its
    Prepare's first transaction reports the target as already there; else None."""
    if step.actor != retry:
        return None
    effect = step.effect
    if isinstance(effect, Stat) and step.ok:
        return effect.key
    if isinstance(effect, PrepareT1) and isinstance(step.error, AlreadyExists) \
            and str(step.error).startswith("target snapshot"):
        return effect.target
    return None


def retry_reuses_layer(retry: str, name: str = "retry-reuses-cancelled-layer",
                       description: str = "the retry finds a layer snapshot that the cancelled pull committed"):
    """`sometimes`: the retry observes a layer's chain ID snapshot as existing: the race
    window of issue 3787 is entered. Only the first pull (cancelled, or crashed) can have
    committed it: a chain ID names only committed snapshots, the retry Stats a chain ID
    or prepares it as a target only before committing that layer itself, and no other
    actor commits (so the step alone says it; no state is read)."""
    return reuses_layer(name, retry, description)


def reuses_layer(name: str, pull: str, description: str):
    """`sometimes`: `pull` observes a layer's chain ID snapshot as existing, by Stat or by
    Prepare's target check (`finds_existing_layer`); where one other pull is the only one
    that commits, it committed it (the scenario's description says who)."""
    return sometimes(name, on_step(lambda step: finds_existing_layer(step, pull) is not None), description)


def commit_finds_chain_committed(pull: str):
    """`sometimes`: `pull`'s Commit of a chain ID fails with AlreadyExists: another pull
    committed that chain ID between this pull's Prepare and its Commit (the step alone
    says it: a Commit names the chain ID, and only an existing bucket makes it fail so)."""
    def holds(step: Step) -> bool:
        return step.actor == pull and isinstance(step.effect, Commit) and isinstance(step.error, AlreadyExists)

    return sometimes("commit-finds-chain-committed", on_step(holds),
                     f"{pull}'s Commit finds its chain ID committed by another pull")


def gc_sweeps_committed_layer(chain: tuple[str, ...]):
    """`sometimes`: a GC sweeps one of the image's committed layer snapshots (a chain ID
    names only committed snapshots)."""

    def holds(step: Step) -> bool:
        report = _gc_report(step)
        return report is not None and any(s in chain for s in report.swept_snapshots)

    return sometimes("gc-sweeps-committed-layer", on_step(holds), "a GC sweeps a committed layer snapshot")
