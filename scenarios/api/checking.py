"""`check()`: explore one scenario under one variant, and return what was found.

The result (`Checked`) holds the built program, the search's `Result`, the verdict the
scenario expects, why the race cannot occur when it passes (the `sometimes` properties
the scenario leaves out, with their reasons), and, on a violation, the counterexample
(`Counterexample`: the run, its schedule, and its continuation, run once so that the
narration and the issue-3787 story share it). Nothing is printed or written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from unpack_race.scenarios.api.model_errors import raised_in
from unpack_race.scenarios.api.parallel import backend_for, build_of
from unpack_race.scenarios.api.counterexample import (
    Counterexample,
    continued,
    counterexample,
)
from unpack_race.scenarios.base import Built, Expectation, Scenario, Unreachable
from unpack_race.scenarios.registry import scenario_of
from unpack_race.scheduler.checkpoint import Checkpointing, SearchState
from unpack_race.scheduler.estimate import Estimate
from unpack_race.scheduler.explore import Budget, Progress, Result
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.parallel_search import Backend, parallel_bfs
from unpack_race.scheduler.schedule import Schedule
from unpack_race.scheduler.strategies.registry import DEFAULT_STRATEGY, OptionError, search
from unpack_race.scheduler.verdict import Verdict


@attrs.frozen
class Checked:
    """What `check()` returns: the scenario, variant and parameters, the built program,
    the search's `Result` (verdict, coverage, violation), the expected verdict
    (`as_expected` compares them), and on a violation the `Counterexample` (its steps,
    preemptions, `schedule`)."""

    scenario: Scenario
    variant: str
    params: Mapping[str, Any]  # every parameter, defaults filled in
    built: Built
    result: Result
    expected: Expectation
    counterexample: Counterexample | None  # with its continuation

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict

    @property
    def as_expected(self) -> bool:
        return matches(self.result, self.expected)

    @property
    def why_safe(self) -> tuple[Unreachable, ...]:
        """On a pass: the `sometimes` properties no run within these bounds can reach, each
        with why (empty otherwise, or when the scenario leaves none out)."""
        return self.built.unreachable if self.result.verdict is Verdict.PASS else ()

    @property
    def schedule(self) -> Schedule | None:
        return self.counterexample.schedule if self.counterexample is not None else None


def matches(result: Result, expected: Expectation) -> bool:
    """The verdict is the expected one (and so is the property violated, where one is named)."""
    found = result.violation.property if result.violation is not None else None
    return result.verdict is expected.verdict and (expected.property is None or found == expected.property)


def run_search(built: Built, strategy: str, budget: Budget, progress: Callable[[Progress], None] | None,
               options: Mapping[str, Any], estimate_probes: int | None = None,
               on_estimate: Callable[[Estimate], None] | None = None, checkpoint: Checkpointing | None = None,
               resume: SearchState | None = None, backend: Backend | None = None, build: Any = None) -> Result:
    """One search of a built scenario by a named strategy of the registry (estimated first
    from `estimate_probes` probes, where given and the strategy has an estimate rule), or,
    given a parallel `backend`, by the parallel breadth-first search (`build` builds the
    program in a worker; no estimate, no checkpoint)."""
    if backend is not None:
        return parallel_bfs(built.program, built.properties, backend, build=build, bounds=built.bounds,
                            budget=budget, progress=progress)
    return search(strategy, built.program, built.properties, bounds=built.bounds, budget=budget,
                  progress=progress, estimate_probes=estimate_probes, on_estimate=on_estimate,
                  checkpoint=checkpoint, resume=resume, **options)


def check(
    scenario: str | Scenario,
    variant: str | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    strategy: str = DEFAULT_STRATEGY,
    budget: Budget = Budget(),
    progress: Callable[[Progress], None] | None = None,
    estimate_probes: int | None = None,
    on_estimate: Callable[[Estimate], None] | None = None,
    checkpoint: Checkpointing | None = None,
    resume: SearchState | None = None,
    workers: int | None = None,
    dask: str | None = None,
    **strategy_options: Any,
) -> Checked:
    """Explore `scenario` (a name or a Scenario) under `variant` (None: the scenario's only
    variant; a scenario of several needs one named) with `strategy` (a name in
    scheduler.strategies.registry, with its options) within `budget`. `params` override
    the scenario's defaults. Raises ParamError for an unknown scenario, variant or
    parameter, OptionError for an unknown strategy or option, PropertyScopeError for a
    property the strategy cannot check, ModelRaised when the model itself raises. On
    Ctrl-C once the search has started, raises Interrupted (a KeyboardInterrupt) whose
    `partial` is the Checked so far, without a counterexample: its result says what the
    search covered (verdict INTERRUPTED), or is the search's verdict when Ctrl-C came
    after it. `checkpoint` and `resume`: see scheduler.explore (the command line's
    --checkpoint and --resume, scenarios/commands/checkpoints.py).
    `workers` (processes on this machine) or `dask` (a Dask scheduler's address,
    or "local" for a LocalCluster) run the search in parallel (scenarios/api/parallel.py;
    with strategy "bfs" only: its states, verdict and counterexample are serial BFS's)."""
    sc = scenario_of(scenario)
    variant = sc.choose_variant(variant)
    values = sc.resolve(params or {})
    built = sc.build(variant, values)
    backend = backend_for(strategy, workers, dask)
    if backend is not None and (checkpoint is not None or resume is not None):
        raise OptionError("--checkpoint and --resume do not go with --workers or --dask yet (a parallel search "
                          "keeps its visited set in the workers); drop one of them")
    expected = sc.expected(variant, values)
    result = None
    try:
        with raised_in(sc, variant, values):
            if backend is None:
                saving = {k: v for k, v in (("checkpoint", checkpoint), ("resume", resume)) if v is not None}
                result = run_search(built, strategy, budget, progress, strategy_options, estimate_probes,
                                    on_estimate, **saving)
            else:
                result = run_search(built, strategy, budget, progress, strategy_options, backend=backend,
                                    build=build_of(sc, variant, values, built))
        found = None
        if result.violation is not None and result.run is not None:
            found = continued(counterexample(sc, variant, values, built, result.run, result.violation))
    except KeyboardInterrupt as stop:
        so_far = result if result is not None else stop.partial if isinstance(stop, Interrupted) else None
        if so_far is None:  # before the search had a result to show
            raise
        raise Interrupted(Checked(sc, variant, values, built, so_far, expected, None)) from stop
    return Checked(sc, variant, values, built, result, expected, found)


__all__ = ["Checked", "check", "matches"]
