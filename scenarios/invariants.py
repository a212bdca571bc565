"""The properties checked on containerd scenarios (containerd-semantics §7.3), as
predicates over the scheduler's observations.

- no-missing-parent (P1, the mission): no Prepare ever fails because its parent
  snapshot does not exist;
- gc-sweeps-only-unreachable (P2): every snapshot a GC sweeps was unreachable from the
  roots when it ran. Reachability is recomputed here with networkx from what GC saw,
  independently of the model's own marking code;
- pull-completes (P3/c): a pull that was never cancelled completes, and its image's
  whole snapshot chain exists, committed, at the end.
"""

from __future__ import annotations

import networkx as nx

from unpack_race.model.errdefs import AlreadyExists, NotFound
from unpack_race.model.gc import GcCollect, GcReport, GraphInput, content_refs, snapshot_refs
from unpack_race.model.names import GC_ROOT
from unpack_race.model.snapshotter import PrepareT1, PrepareT2, Stat
from unpack_race.scheduler.kernel import Status
from unpack_race.scheduler.properties import Observation, always, at_end, sometimes


def saw_missing_parent(obs: Observation) -> bool:
    step = obs.step
    return (
        step is not None
        and isinstance(step.effect, (PrepareT1, PrepareT2))
        and isinstance(step.error, NotFound)
        and str(step.error).startswith("parent snapshot ")
    )


NO_MISSING_PARENT = always(
    "no-missing-parent",
    lambda obs: not saw_missing_parent(obs),
    "no Prepare ever sees a missing parent",
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
    reached = set(roots)
    for root in roots:
        if root in graph:
            reached |= nx.descendants(graph, root)
    return reached


def _gc_report(obs: Observation) -> GcReport | None:
    step = obs.step
    if step is not None and isinstance(step.effect, GcCollect) and step.ok:
        return step.result
    return None


def _reachable_swept(obs: Observation) -> list[str]:
    report = _gc_report(obs)
    if report is None:
        return []
    reached = reachable_from_roots(report.before)
    return [s for s in report.swept_snapshots if ("snapshot", s) in reached]


GC_SWEEPS_ONLY_UNREACHABLE = always(
    "gc-sweeps-only-unreachable",
    lambda obs: not _reachable_swept(obs),
    "GC never sweeps a snapshot reachable from a root",
    explain=lambda obs: "swept while reachable: " + ", ".join(_reachable_swept(obs)),
)


def pull_completes(pulls: tuple[str, ...], chain: tuple[str, ...]):
    """At the end: every pull whose ctx was never cancelled finished without error, and
    every chain ID of the image exists as a committed snapshot."""

    def problems(obs: Observation) -> list[str]:
        found = []
        for pull in pulls:
            if obs.world.pulls[pull].cancelled:
                continue
            actor = obs.execution.actor(pull)
            if actor.status is not Status.DONE:
                reason = actor.error or "it did not finish"
                found.append(f"{pull} was not cancelled but failed: {reason}")
                continue
            missing = [c for c in chain if getattr(obs.world.snapshots.get(c), "kind", None) != "committed"]
            if missing:
                found.append(f"{pull} completed but {', '.join(missing)} is missing")
        return found

    return at_end(
        "pull-completes",
        lambda obs: not problems(obs),
        "a pull that was not cancelled completes and its image's whole snapshot chain exists",
        explain=lambda obs: "; ".join(problems(obs)),
    )


def retry_reuses_layer_of(first_lease: str, retry: str):
    """`sometimes`: the retry observes as existing a chain snapshot that the cancelled
    pull committed (Stat says it exists, or Prepare's target check does): the race
    window of issue 3787 is entered."""

    def holds(obs: Observation) -> bool:
        step = obs.step
        if step is None or step.actor != retry:
            return False
        effect = step.effect
        if isinstance(effect, Stat) and step.ok:
            name = effect.key
        elif isinstance(effect, PrepareT1) and isinstance(step.error, AlreadyExists):
            name = effect.target
        else:
            return False
        return obs.world.committed_by.get(name) == first_lease

    return sometimes(
        "retry-reuses-cancelled-layer",
        holds,
        "the retry finds a layer snapshot that the cancelled pull committed",
    )


def _sweeps_committed_layer(obs: Observation) -> bool:
    report = _gc_report(obs)
    return report is not None and any(s in obs.world.committed_by for s in report.swept_snapshots)


GC_SWEEPS_COMMITTED_LAYER = sometimes(
    "gc-sweeps-committed-layer",
    _sweeps_committed_layer,
    "a GC sweeps a committed layer snapshot",
)
