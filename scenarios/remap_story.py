"""The story of resolveSnapshotOptions's Stat then use (scenarios/remap_snapshot.py), told
from an explanation of a failing run in containerd's words: the remapped snapshot is held
only by another container's snapshot; the client stats it and returns it as the parent
without a lease; that container is deleted with its snapshot, and a collection sweeps the
remapped snapshot; the new container's Prepare on it fails with `parent snapshot <name> does
not exist: not found`. Runs of another shape get no story here (scenarios/stories.py)."""

from __future__ import annotations

from unpack_race.model.gc import GcCollect
from unpack_race.model.remap import UIDMAP
from unpack_race.model.snapshotter import PrepareT1, Remove, Stat
from unpack_race.scenarios.invariants import saw_missing_parent
from unpack_race.scenarios.issue_3787 import counterfactuals, final_error
from unpack_race.scheduler.explain import Explanation
from unpack_race.scheduler.run import Run

REMAPPED = "sha256:remap-"  # model/remap.py userns_id


def story(x: Explanation, continuation: Run | None = None) -> list[str] | None:
    """Sentences for the remap shape, or None."""
    if x.racing is None:
        return None
    w, v = x.racing
    gc, failed = x.steps[w], x.steps[v]
    if v != x.violation.step_index or not isinstance(gc.effect, GcCollect) or not gc.ok:
        return None
    if not saw_missing_parent(failed) or not failed.effect.parent.startswith(REMAPPED):
        return None
    actor, parent = failed.actor, failed.effect.parent
    if parent not in gc.result.swept_snapshots:
        return None
    sentences = [f"{parent} is the user-namespace copy of the image's top layer ({UIDMAP} and gidmapping labels, a "
                 f"snapshotter without remap-ids); an earlier container's NewContainer committed it under a lease that "
                 f"is gone, so only the containers prepared on it hold it."]
    stat = next((s for s in reversed(x.steps[:w]) if s.actor == actor and isinstance(s.effect, Stat)
                 and s.effect.key == parent and s.ok), None)
    if stat is not None:
        sentences.append(f"{actor} stats {parent} (step {stat.index}): it exists, so resolveSnapshotOptions returns "
                         f"it as the parent; Stat takes no lease, and {parent} is added to none.")
    remove = next((s for s in reversed(x.steps[:w]) if isinstance(s.effect, Remove) and s.ok), None)
    if remove is not None:
        sentences.append(f"{remove.actor} deletes its container with WithSnapshotCleanup: "
                         f"Remove({remove.effect.key!r}) (step {remove.index}) takes away the last snapshot "
                         f"on {parent}.")
    sentences.append(f"Then {gc.actor} marks from the roots and sweeps {parent} (step {w}).")
    which = "first" if isinstance(failed.effect, PrepareT1) else "second"
    text = (f"{actor} prepares the container's snapshot {failed.effect.key!r} on {parent} (step {v}), and "
            f"Prepare's {which} transaction fails: {failed.error}")
    final = final_error(continuation, actor)
    if final:
        text += f"; NewContainer returns it: {final}"
    sentences.append(text + ". client/snapshotter_opts_unix.go resolveSnapshotOptions stats and uses at HEAD.")
    sentences.extend(counterfactuals(x, actor, parent, "the container's creation"))
    return sentences
