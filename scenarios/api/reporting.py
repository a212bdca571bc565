"""`report()`: everything the HTML report of a schedule shows, as frozen data: the run
replayed strictly (up to its violation), the world after each step and the view that
shows it (containerd's for the containerd model, a generic one otherwise), the
explanation and story when the run violates a property, and the schedule followed under
every variant of its scenario. reports/html_report.py renders it. Nothing is printed.
"""

from __future__ import annotations

from typing import Any

import attrs
from unpack_race.model.world import World
from unpack_race.model.world_view import ContainerdView
from unpack_race.reports.page.world_view import GenericView, WorldView
from unpack_race.scenarios.api.counterexample import counterexample
from unpack_race.scenarios.api.explaining import Explained, explain
from unpack_race.scenarios.api.model_errors import raised_in
from unpack_race.scenarios.api.replaying import ReplayedAll, replay
from unpack_race.scenarios.api.sources import Loaded, Target, load, replay_strictly
from unpack_race.scenarios.base import Scenario
from unpack_race.scheduler.properties import Violation
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.states import worlds_along


@attrs.frozen
class Reported:
    """What `report()` returns (see the module docstring)."""

    loaded: Loaded
    run: Run  # strictly replayed, up to the violation
    violation: Violation | None
    worlds: tuple[Any, ...]  # the initial world, then the world after each step
    view: WorldView
    explained: Explained | None  # None when the run violates nothing
    replayed: ReplayedAll


def view_of(world: Any) -> WorldView:
    """The view that shows `world`: containerd's own, or the generic one."""
    return ContainerdView() if isinstance(world, World) else GenericView()


def report(target: Target, *, scenario: str | Scenario | None = None) -> Reported:
    """The report of a schedule (a file, a Schedule, or a counterexample's). Raises
    ScheduleError for a file that cannot be used or does not replay."""
    loaded = load(target, scenario=scenario)
    result = replay_strictly(loaded, "report")
    explained = None
    if result.violation is not None:
        found = counterexample(loaded.scenario, loaded.variant, loaded.params, loaded.built, result.run,
                               result.violation, loaded.schedule, loaded.source)
        explained = explain(found)
    with raised_in(loaded.scenario, loaded.variant, loaded.params):
        worlds = worlds_along(loaded.built.program, result.run)
    replayed = replay(loaded.schedule, all_variants=True, scenario=loaded.scenario)
    return Reported(loaded, result.run, result.violation, worlds, view_of(worlds[0]), explained, replayed)


__all__ = ["Reported", "report", "view_of"]
