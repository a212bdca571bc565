"""A counterexample as one value: the violating run (frozen, `scheduler.run.Run`), the
violation, the scenario, variant and parameters it belongs to, and its schedule.

Everything a reader asks of it (its steps, preemptions, narration, schedule file) is
computed from the run, without running the program again. The one different run it may
carry is its *continuation*: the same steps carried on past the violation, moving the
first runnable actor each time, which shows how each actor ends (the narration's last
lines and the issue-3787 story's final error). It is run once, by `continued()`, and
then shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from unpack_race.scenarios.base import Built, Scenario
from unpack_race.scheduler.follow import follow
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.properties import Violation
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.schedule import Schedule, ScheduledStep


@attrs.frozen
class Counterexample:
    """A violation found or read from a schedule file: the frozen run up to the violating
    step, the violation, its schedule, and the scenario, variant and parameters it
    belongs to (see the module docstring)."""

    scenario: Scenario
    variant: str
    params: Mapping[str, Any]
    built: Built
    run: Run  # up to and including the violating step
    violation: Violation
    schedule: Schedule  # as recorded by the search, or as read from its file
    continuation: Run | None = None  # the run carried on past the violation (see continued())
    source: str | None = None  # the schedule file it was read from, if any

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.run.steps

    @property
    def preemptions(self) -> int:
        return self.run.preemptions()

    @property
    def label(self) -> str:
        """How a message names it: its file, or what it is a counterexample of."""
        return self.source or f"the counterexample of {self.scenario.name} under {self.variant}"

    @property
    def where(self) -> str:
        """The scenario, variant and bounds, as one phrase."""
        return f"{self.scenario.name}, variant {self.variant}, {self.built.bounds}"

    @property
    def filename(self) -> str:
        """The file name a search writes it under."""
        return f"{self.scenario.name}.{self.variant}.schedule.json"


def counterexample(
    scenario: Scenario, variant: str, params: Mapping[str, Any], built: Built, run: Run, violation: Violation,
    schedule: Schedule | None = None, source: str | None = None,
) -> Counterexample:
    """The counterexample of a run that violates `violation` (its schedule recorded from
    the run unless given)."""
    if schedule is None:
        schedule = scenario.recorded(Schedule.of(scenario.name, variant, params, run.steps))
    return Counterexample(scenario, variant, dict(params), built, run, violation, schedule, None, source)


def continued(cx: Counterexample) -> Counterexample:
    """The counterexample with its continuation, run now unless it already has one."""
    if cx.continuation is not None:
        return cx
    steps = tuple(ScheduledStep.of(s) for s in cx.run.steps)
    return attrs.evolve(cx, continuation=follow(cx.built.program, steps, finish=True))


__all__ = ["Counterexample", "continued", "counterexample"]
