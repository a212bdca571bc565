"""Where the facade's schedule-taking functions get their input: a schedule file (a path),
a `Schedule` value, or a counterexample already at hand (`check()`'s result, or a
`Counterexample`).

A file or value is loaded and its program built (`load`), then replayed strictly once
(`replay_strictly`: the properties are checked along it, so the one replay also finds the
violation); a counterexample at hand is used as it is, without running anything. Every
problem is a `ScheduleError` (or `ParamError`) with one line naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs
from unpack_race.scenarios.api.model_errors import raised_in
from unpack_race.scenarios.api.counterexample import Counterexample, counterexample
from unpack_race.scenarios.base import Built, ParamError, Scenario
from unpack_race.scenarios.registry import SCENARIOS, scenario_of
from unpack_race.scheduler.echo import echo, echo_path
from unpack_race.scheduler.explore import Result, explore
from unpack_race.scheduler.follow import checked
from unpack_race.scheduler.schedule import Schedule, ScheduleError
from unpack_race.scheduler.strategies.replay import Replay, ReplayDivergence

#: what the schedule-taking functions accept: a path (str or os.PathLike), a Schedule, a
#: Counterexample, or a check's result (`Checked`) that has one
Target = Any


@attrs.frozen
class Loaded:
    """A schedule with its scenario, the variant it is run under, and the built program."""

    source: str  # the file it was read from, or "<schedule>" for a value
    schedule: Schedule
    scenario: Scenario
    variant: str
    params: Mapping[str, Any]
    built: Built

    @property
    def where(self) -> str:
        return f"{self.scenario.name}, variant {self.variant}, {self.built.bounds}"


def load(target: str | os.PathLike[str] | Schedule, variant: str | None = None, *, check_names: bool = True,
         scenario: str | Scenario | None = None) -> Loaded:
    """Read a schedule (unless given one, or a counterexample's) and build its program
    under `variant` (by default its own). Its scenario is the registry's of its name, or
    `scenario` (a user's own, as an object or a reference `file.py:NAME`, which must carry
    the schedule's name): a schedule never loads code by itself, so a schedule of a
    scenario the registry does not know needs it, and the error says which reference its
    `source` field records. With `check_names`,
    steps naming an actor or effect the program does not have are refused here, naming
    the field; without, a replay meets them."""
    found = getattr(target, "counterexample", target)  # a check's result: its counterexample (or None)
    if isinstance(found, Counterexample):
        source, schedule = found.source or "<schedule>", found.schedule
    elif isinstance(target, Schedule):
        source, schedule = "<schedule>", target
    elif isinstance(target, (str, os.PathLike)):
        source, schedule = echo_path(target), Schedule.load(target)
    elif found is None:
        raise ScheduleError("the check found no counterexample: there is no schedule")
    else:
        raise ScheduleError(f"expected a schedule file, a Schedule or a counterexample, got {type(target).__name__}")
    try:
        sc = scenario_of(scenario) if scenario is not None else _registered(schedule, source)
        if sc.name != schedule.scenario:
            raise ScheduleError(f"{source}: field scenario: expected {echo(sc.name)} (the scenario given), "
                                f"got {echo(schedule.scenario)}")
        chosen = sc.check_variant(variant or schedule.variant)
        params = sc.resolve(schedule.params)
    except ParamError as err:
        raise ScheduleError(f"{source}: {err}") from None
    built = sc.build(chosen, params)
    if check_names:
        schedule.check_names(built.program.actor_names(), source)
    return Loaded(source, schedule, sc, chosen, params, built)


def _registered(schedule: Schedule, source: str) -> Scenario:
    """The built-in scenario of the schedule's name; for a user's own, an error that says
    how to name it (with the reference its `source` records, where it has one)."""
    if schedule.scenario in SCENARIOS or schedule.source is None:
        return scenario_of(schedule.scenario)
    raise ParamError(f"scenario {echo(schedule.scenario)} is defined outside unpack-race, in {schedule.source}; "
                     f"a schedule never imports code by itself: give it as --scenario {schedule.source} "
                     f"(in Python: scenario={schedule.source!r})")


def replay_strictly(loaded: Loaded, what: str | None = None) -> Result:
    """The one strict replay of a loaded schedule, its properties checked (`sometimes`
    aside) and stopping at a violation; a step that does not fit is a ScheduleError
    (`what` says what could not be done with it)."""
    built = loaded.built
    try:
        with raised_in(loaded.scenario, loaded.variant, loaded.params):
            return explore(built.program, Replay(loaded.schedule.steps), checked(built.properties),
                           bounds=built.bounds)
    except ReplayDivergence as err:
        cannot = f"; cannot {what} a schedule that does not replay" if what else ""
        raise ScheduleError(f"{loaded.source}: under variant {loaded.variant}, {err}{cannot}") from None


def violating(target: Target, what: str, scenario: str | Scenario | None = None) -> Counterexample:
    """The counterexample to explain or minimise: one at hand as it is (a check's result
    or a Counterexample), a schedule file or value replayed strictly once (of `scenario`,
    where the registry does not know it: see `load`)."""
    found = getattr(target, "counterexample", target)  # a check's result carries one (or None)
    if isinstance(found, Counterexample):
        return found
    if found is None:
        raise ScheduleError(f"the check found no counterexample: nothing to {what}")
    loaded = load(target, scenario=scenario)
    result = replay_strictly(loaded, what)
    if result.violation is None:
        raise ScheduleError(f"{loaded.source}: nothing to {what} under variant {loaded.variant}: "
                            f"its {len(result.run.steps)} steps violate no property")
    return counterexample(loaded.scenario, loaded.variant, loaded.params, loaded.built, result.run,
                          result.violation, loaded.schedule, loaded.source)


__all__ = ["Loaded", "Target", "load", "replay_strictly", "violating"]
