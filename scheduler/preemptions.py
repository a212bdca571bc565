"""Counting preemptions in a schedule: a preemption is a step by another actor while the
actor that moved last could have gone on (Musuvathi and Qadeer, PLDI 2007). A schedule
with few preemptions is easier to read: each actor runs in long stretches."""

from __future__ import annotations

from collections.abc import Sequence

from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.program import Program


def count_preemptions(program: Program, actors: Sequence[str]) -> int:
    """Re-run `program` moving `actors` in order and count the preemptions."""
    execution = Execution(program)
    preemptions = 0
    previous = None
    for actor in actors:
        runnable = execution.runnable()
        if previous is not None and actor != previous and previous in runnable:
            preemptions += 1
        execution.step(actor)
        previous = actor
    return preemptions
