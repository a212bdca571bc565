"""A model that raises is a finding about the model: `ModelRaised` carries the run up to
the failing step, the exception, and the schedule that reproduces it (the failing step
included, so that `unpack-race replay` raises it again), for the scenario, variant and
parameters it happened under.

`raised_in(scenario, variant, params)` turns the engine's `ModelFailure` into it around
any search of the facade. The command line prints the narrated run and the exception,
writes the schedule and exits 3.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from unpack_race.scenarios.base import Scenario
from unpack_race.scheduler.explore import ModelFailure
from unpack_race.scheduler.schedule import Schedule, ScheduledStep


class ModelRaised(Exception):
    """The model raised while `scenario` ran under `variant` with `params`."""

    def __init__(self, failure: ModelFailure, scenario: Scenario, variant: str, params: Mapping[str, Any]) -> None:
        super().__init__(str(failure))
        self.failure, self.scenario, self.variant, self.params = failure, scenario, variant, dict(params)

    @property
    def schedule(self) -> Schedule:
        """The steps that reproduce the failure, the failing one last (when it could not be
        taken, it is the one whose code raised)."""
        steps = tuple(ScheduledStep.of(s) for s in self.failure.run.steps) if self.failure.run is not None else ()
        failing = self.failure.failing
        if failing is not None:
            steps += (ScheduledStep(failing.actor, type(failing.effect).__name__, failing.effect.args()),)
        comment = (f"The model raised here: {self.failure}. Replaying the schedule raises it again "
                   f"(unpack-race replay).")
        return self.scenario.recorded(Schedule(self.scenario.name, self.variant, self.params, steps,
                                               {"comment": comment}))

    @property
    def filename(self) -> str:
        return f"{self.scenario.name}.{self.variant}.model-error.schedule.json"


@contextlib.contextmanager
def raised_in(scenario: Scenario, variant: str, params: Mapping[str, Any]) -> Iterator[None]:
    """Run a search of `scenario` under `variant`: a `ModelFailure` becomes `ModelRaised`."""
    try:
        yield
    except ModelFailure as failure:
        raise ModelRaised(failure, scenario, variant, params) from failure
