"""Running a check's search on several cores or a Dask cluster: which backend the
options ask for (`backend_for`), and how a scenario's program reaches a Dask worker
(`ScenarioBuild`: the scenario's name, variant and parameters, which pickle, and build the
program again on the worker). The search itself is scheduler/parallel_search.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.scenarios.base import Scenario
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scheduler.parallel_backends import DaskCluster, Processes
from unpack_race.scheduler.parallel_search import Backend
from unpack_race.scheduler.strategies.registry import OptionError

#: the strategies the parallel search stands in for
PARALLEL_STRATEGIES = ("bfs",)


def backend_for(strategy: str, workers: int | None, dask: str | None) -> Backend | None:
    """The backend `--workers N` and `--dask [ADDRESS]` ask for (None: neither, search
    serially); OptionError, one line that teaches, for a strategy they do not apply to,
    a number of workers below 1, or a cluster that cannot be reached."""
    if workers is None and dask is None:
        return None
    given = "--dask" if dask is not None else "--workers"
    if strategy not in PARALLEL_STRATEGIES:
        raise OptionError(
            f"{given} runs a breadth-first search over states, its visited set partitioned across the workers; "
            f"--strategy {strategy} has no parallel form: use --strategy bfs with {given} (same states, verdict "
            f"and counterexample as serial bfs), or leave {given} out")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise OptionError(f"--workers must be a whole number, at least 1, got {workers!r}")
    if dask is not None:
        return DaskCluster(dask, workers)
    return Processes(workers)


class ScenarioBuild:
    """Builds a registered scenario's program and properties again (on a Dask worker)."""

    def __init__(self, scenario: str, variant: str, params: Mapping[str, Any]) -> None:
        self.scenario, self.variant, self.params = scenario, variant, dict(params)

    def __call__(self):
        built = SCENARIOS[self.scenario].build(self.variant, self.params)
        return built.program, list(built.properties)


def build_of(scenario: Scenario, variant: str, params: Mapping[str, Any], built) -> Any:
    """What builds `built` in a worker: a `ScenarioBuild` for a registered scenario, else
    a closure over the built program (pickled by value, by Dask's cloudpickle)."""
    if SCENARIOS.get(scenario.name) is scenario:
        return ScenarioBuild(scenario.name, variant, params)
    program, properties = built.program, list(built.properties)
    return lambda: (program, properties)


__all__ = ["PARALLEL_STRATEGIES", "ScenarioBuild", "backend_for", "build_of"]
