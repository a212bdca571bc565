"""One run of a program, frozen: every step (with its footprint, taken in the state where
the step was taken), the actors that could move before each step and at the end, and how
every actor stood when the run stopped.

A search result carries the run it reports (its counterexample), so that preemptions,
happens-before, trace keys, schedules and the narration are computed from it, without
running the program again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from unpack_race.scheduler.crashes import Crash, owner
from unpack_race.scheduler.kernel import ActorEnd, Execution, Status, Step


@attrs.frozen
class Run:
    """One execution, frozen: its steps (`Step`), the runnable actors before each step,
    how every actor ended, and the final world. A counterexample is a Run."""

    program: str
    actors: tuple[str, ...]  # program order
    steps: tuple[Step, ...]
    runnable: tuple[tuple[str, ...], ...]  # before each step
    final_runnable: tuple[str, ...]  # when the run stopped
    ends: tuple[ActorEnd, ...]  # how each actor stood when the run stopped
    world: Any = attrs.field(default=None, eq=False, repr=False)  # the world when it stopped
    aborted: bool = False  # its last step aborted the program (Program.aborts_on)

    @classmethod
    def of(cls, execution: Execution) -> Run:
        return cls(
            execution.program.name,
            execution.program.actor_names(),
            tuple(execution.steps),
            tuple(execution.runnable_log),
            execution.runnable(),
            execution.ends(),
            execution.world,
            execution.aborted is not None,
        )

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def finished(self) -> bool:
        """No actor could move any more when the run stopped (it ran to a final state)."""
        return not self.final_runnable

    @property
    def deadlocked(self) -> bool:
        """It stopped with no actor able to move and a non-daemon actor unfinished, and
        not because the program aborted."""
        return self.finished and not self.aborted and any(e.status is Status.RUNNING and not e.daemon for e in self.ends)

    def actor_end(self, name: str) -> ActorEnd:
        for end in self.ends:
            if end.name == name:
                return end
        raise KeyError(f"no actor named {name!r} (actors: {', '.join(self.actors)})")

    def prefix(self, length: int) -> Run:
        """The run cut after its first `length` steps (ends are the cut run's: unknown, so
        each actor counts as running with the effect it took next, or as it ended)."""
        if length >= len(self.steps):
            return self
        steps = self.steps[:length]
        runnable = self.runnable[:length]
        following = self.runnable[length]
        ends = []
        for end in self.ends:
            later = next((s for s in self.steps[length:] if owner(s.actor, s.effect) == end.name), None)
            if later is not None:
                pending = later.effect.before if type(later.effect) is Crash else later.effect
                end = ActorEnd(end.name, Status.RUNNING, pending=pending, daemon=end.daemon)
            ends.append(end)
        return Run(self.program, self.actors, steps, runnable, following, tuple(ends))  # no world: not kept

    def preemptions(self) -> int:
        """Context switches away from an actor that could still have moved (Musuvathi and
        Qadeer, "Iterative context bounding", PLDI 2007): step k preempts when its actor
        differs from step k-1's and step k-1's actor was runnable before step k."""
        return count_preemptions(self.steps, self.runnable)

    def context_switches(self) -> int:
        return sum(1 for k in range(1, len(self.steps)) if self.steps[k].actor != self.steps[k - 1].actor)


def count_preemptions(steps: Sequence[Step], runnable: Sequence[Sequence[str]]) -> int:
    """The preemptions of `steps`, given the runnable actors before each (see
    `Run.preemptions`)."""
    count = 0
    for k in range(1, len(steps)):
        previous = steps[k - 1].actor
        if steps[k].actor != previous and previous in runnable[k]:
            count += 1
    return count
