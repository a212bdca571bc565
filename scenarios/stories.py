"""The stories in containerd's words that `explain()` tells for a counterexample, one
teller per shape: pkg/rootfs's Stat then skip (scenarios/rootfs_story.py), the client's
remapped snapshot (scenarios/remap_story.py), then issue 3787 (scenarios/issue_3787.py).
The first teller that recognises the run tells it; a run of no known shape has no story."""

from __future__ import annotations

from unpack_race.scenarios import issue_3787, remap_story, rootfs_story
from unpack_race.scheduler.explain import Explanation
from unpack_race.scheduler.run import Run

TELLERS = (rootfs_story.story, remap_story.story, issue_3787.story)


def story(x: Explanation, continuation: Run | None = None) -> list[str] | None:
    """The first teller's sentences for this explanation, or None."""
    for tell in TELLERS:
        told = tell(x, continuation)
        if told is not None:
            return told
    return None
