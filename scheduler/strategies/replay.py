"""Replay: follow a recorded schedule step by step, and stop at the first step that no
longer fits, saying which step, what the schedule expected and what the actor would do
instead (the explorer's prefix replay does the checking: `scheduler.choices`)."""

from __future__ import annotations

from collections.abc import Sequence

from unpack_race.scheduler.choice_point import ChoicePoint, Cut, Prefix
from unpack_race.scheduler.choices import Recorded, ReplayDivergence
from unpack_race.scheduler.coverage import SCHEDULE_ENDED, Facts, Kind
from unpack_race.scheduler.strategies.base import ALL_SCOPES, SingleExecution


class Replay(SingleExecution):
    """One execution along `steps`; with `finish`, it goes on past their end, moving the
    first runnable actor each time, so that a reader can see how every actor ends."""

    def __init__(self, steps: Sequence[Recorded], finish: bool = False) -> None:
        self.steps = tuple(steps)
        self.finish = finish

    def next_execution(self) -> Prefix | None:
        return Prefix(self.steps, 0, ReplayDivergence) if super().next_execution() else None

    def choose(self, point: ChoicePoint) -> str | Cut:
        return point.runnable[0] if self.finish else Cut(SCHEDULE_ENDED)

    def facts(self) -> Facts:
        how = ", then the first runnable actor until none can move" if self.finish else ""
        return Facts(Kind.SINGLE_RUN, f"replay of one schedule ({len(self.steps)} steps{how})", "", {},
                     ALL_SCOPES, "one run along the schedule; nothing is said of other interleavings")


__all__ = ["Replay", "ReplayDivergence"]
