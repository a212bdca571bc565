"""What `unpack-race draw` draws, as data (reports/figures draws it): a schedule's run with
its racing pair and violating step (`happens_before_run`), and the state graph of the
schedule's program with the schedule's path through it (`state_graph_of`). The schedule
is replayed strictly once; nothing is printed.
"""

from __future__ import annotations

import attrs
from unpack_race.scenarios.api.counterexample import counterexample
from unpack_race.scenarios.api.explaining import explain
from unpack_race.scenarios.api.model_errors import raised_in
from unpack_race.scenarios.api.sources import Loaded, Target, load, replay_strictly
from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.state_graph import StateGraph, TooManyStates, state_graph


@attrs.frozen
class Drawn:
    """A schedule's run, as a picture needs it: its steps (up to the violation, if any),
    the racing pair and the violating step (None when it violates nothing)."""

    loaded: Loaded
    steps: tuple[Step, ...]
    racing: tuple[int, int] | None
    violating: int | None


@attrs.frozen
class StateGraphDrawn:
    """The state graph of a schedule's program and the schedule's path through it."""

    loaded: Loaded
    graph: StateGraph
    path: tuple[str, ...]  # the actors of the schedule's steps, up to the violation
    violating: bool


def happens_before_run(target: Target, scenario: str | Scenario | None = None) -> Drawn:
    """A schedule replayed strictly once; when it violates a property, explained (its
    racing pair: api.explain, from the run at hand, running only the counterfactuals)."""
    loaded = load(target, scenario=scenario)
    result = replay_strictly(loaded, "draw")
    if result.violation is None or result.violation.step_index is None:
        return Drawn(loaded, result.run.steps, None, None)
    cx = counterexample(loaded.scenario, loaded.variant, loaded.params, loaded.built, result.run, result.violation,
                        loaded.schedule, loaded.source)
    explanation = explain(cx).explanation
    return Drawn(loaded, explanation.steps, explanation.racing, result.violation.step_index)


def state_graph_of(target: Target, max_states: int, scenario: str | Scenario | None = None) -> StateGraphDrawn:
    """The state graph of a schedule's program (every state, recorded by one DFS with state
    caching) and its path; ParamError, saying which bounds to lower, past `max_states`."""
    loaded = load(target, scenario=scenario)
    result = replay_strictly(loaded, "draw")
    try:
        with raised_in(loaded.scenario, loaded.variant, loaded.params):
            graph = state_graph(loaded.built.program, max_states=max_states)
    except TooManyStates:
        lower = _smaller_bounds(loaded)
        advice = (f"draw a schedule checked with smaller bounds (e.g. {' or '.join(lower)}) " if lower
                  else "draw a schedule of a smaller program (e.g. the classic account-bad) ")
        raise ParamError(f"{loaded.source}: the state graph of {loaded.where} has more than {max_states:,} states, "
                         f"too many to draw; {advice}or raise --max-states") from None
    path = tuple(step.actor for step in result.run.steps)
    return StateGraphDrawn(loaded, graph, path, result.violation is not None)


def _flag(name: str, value: object) -> str:
    if isinstance(value, bool):
        return f"--{name}" if value else f"--no-{name}"
    return f"--{name} {value}"


def _smaller_bounds(loaded: Loaded) -> list[str]:
    """The options that would give a smaller state graph: the scenario's defaults of the
    parameters the schedule changed, or else each whole-number parameter one lower."""
    params = loaded.scenario.params
    changed = [_flag(p.name, p.default) for p in params if loaded.params.get(p.name, p.default) != p.default]
    if changed:
        return changed
    return [f"{_flag(p.name, loaded.params[p.name] - 1)} (now {loaded.params[p.name]})" for p in params
            if type(p.default) is int and loaded.params.get(p.name, 0) > (p.minimum or 0)]


__all__ = ["Drawn", "StateGraphDrawn", "happens_before_run", "state_graph_of"]
