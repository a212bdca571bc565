"""`minimize()`: the fewest steps, then the fewest preemptions and actors, that still
violate the same property (scheduler.minimize), from a counterexample at hand (a check's
result: nothing is run again before the candidates) or from a schedule replayed strictly
once. The result carries the minimised run, so that narrating it runs nothing.
Nothing is printed or written.
"""

from __future__ import annotations

import attrs
from unpack_race.scenarios.api.model_errors import raised_in
from unpack_race.scenarios.api.counterexample import Counterexample
from unpack_race.scenarios.api.sources import Target, violating
from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.minimize import Minimized, NotAViolation, minimize_run
from unpack_race.scheduler.schedule import Schedule, ScheduleError

MAX_RUNS = 20_000


@attrs.frozen
class Minimization:
    """What `minimize()` returns: the counterexample it started from, the measures before
    and after (fewest steps, then fewest preemptions), and the minimised schedule."""

    counterexample: Counterexample  # what was minimised
    minimized: Minimized  # the measures before and after, the phases, and the run found
    schedule: Schedule  # the minimised schedule, under the counterexample's variant
    max_runs: int

    @property
    def improved(self) -> bool:
        return self.minimized.improved


def minimize(target: Target, *, max_runs: int = MAX_RUNS, scenario: str | Scenario | None = None) -> Minimization:
    """Minimise a counterexample: a check's result or a Counterexample as it is, or a
    schedule (file or value) replayed strictly once. At most `max_runs` candidate runs
    are tried (the result is still a violating schedule). `scenario`: a schedule's
    scenario where the registry does not know it (an object, or a reference `file.py:NAME`). Raises ScheduleError for a file
    that cannot be used, does not replay or violates nothing; ParamError for max_runs < 1;
    on Ctrl-C during the candidates, Interrupted (a KeyboardInterrupt) whose `partial` is
    the Minimization so far (its schedule the smallest violating one found until then)."""
    if max_runs < 1:
        raise ParamError(f"--max-runs must be at least 1, got {echo(max_runs)}")
    try:
        cx = violating(target, "minimise", scenario)
    except Interrupted as stop:  # replaying the schedule: nothing minimised yet, nothing to show
        raise KeyboardInterrupt from stop
    built = cx.built
    try:
        with raised_in(cx.scenario, cx.variant, cx.params):
            found = minimize_run(built.program, built.properties, cx.run, cx.violation, max_runs)
    except NotAViolation as err:
        raise ScheduleError(f"{cx.label}: nothing to minimise under variant {cx.variant}: {err}") from None
    except Interrupted as stop:
        so_far = stop.partial
        smallest = cx.scenario.recorded(Schedule(cx.scenario.name, cx.variant, cx.params, so_far.steps))
        raise Interrupted(Minimization(cx, so_far, smallest, max_runs)) from stop
    schedule = cx.scenario.recorded(Schedule(cx.scenario.name, cx.variant, cx.params, found.steps))
    return Minimization(cx, found, schedule, max_runs)


__all__ = ["MAX_RUNS", "Minimization", "minimize"]
