"""The bench's estimate columns: each exhaustive search with an estimate rule (dfs, dpor,
bfs: `Strategy.estimate_rule`, scheduler/estimate.py) is first estimated from PROBES
probes (seed 0, as `check --estimate-probes` does), and its row then says the estimated
and the real executions (and states, where the rule estimates them) and how far off the
estimate was, relative to the real count (+0.25: 25% too many). Issue 11's target: within
25% on the classics and on retry-after-cancel at 3/2 and 5/3 after at most 500 probes.

The real count is the one the estimate stands for (`Estimate.compared`): DPOR's complete
executions under the sleep-set rule, every execution otherwise. An estimate that knows
nothing (no probe reached a final state) has no error; nor does a search that did not run
to its end (a violation stopped it, or the budget)."""

from __future__ import annotations

from typing import Any

from unpack_race.scheduler.estimate import Estimate, EstimateError, estimate
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.strategies.bfs import BreadthFirst
from unpack_race.scheduler.strategies.registry import entry

PROBES = 500

#: the estimate columns of a row without an estimate (no rule, or the search not run)
NONE = {"estimated_executions": None, "estimate_compared_to": None, "estimated_states": None, "estimate_error": None,
        "estimate_states_error": None, "estimate_probes": None, "estimate_seconds": None}


def before(program: Program, strategy: str, options: dict[str, Any], probes: int = PROBES,
           limit: int = 100_000) -> Estimate | None:
    """The estimate of searching `program` with `strategy` and `options`, from `probes`
    probes; None for a strategy with no estimate rule (or one that drives its own search),
    or a program a probe could not run (the search itself reports that)."""
    chosen = entry(strategy)
    if chosen.drive is not None:
        return None
    made = chosen.make(**chosen.resolve(options))
    if made.estimate_rule is None:
        return None
    try:
        return estimate(program, made.estimate_rule, probes, restores=made.restores,
                        bfs=isinstance(made, BreadthFirst), limit=limit)
    except EstimateError:
        return None


def relative(estimated: float | None, real: int | None) -> float | None:
    """estimated / real - 1, rounded to 4 places; None when either is unknown or real is 0."""
    if estimated is None or not real:
        return None
    return round(estimated / real - 1.0, 4)


def columns(made: Estimate | None, executions: int | None, complete: int | None, states: int | None,
            finished: bool) -> dict[str, Any]:
    """A row's estimate columns: `made` against the search's `executions` (all of them),
    `complete` ones and `states`; `finished` says the search ran to its end (else no error)."""
    if made is None:
        return dict(NONE)
    known = made.known
    real = made.compared(executions or 0, complete or 0) if finished and executions is not None else None
    return {
        "estimated_executions": round(made.executions, 1) if known else None,
        "estimate_compared_to": real,
        "estimated_states": None if made.states is None or not known else round(made.states, 1),
        "estimate_error": relative(made.executions, real) if known else None,
        "estimate_states_error": relative(made.states, states) if known and finished else None,
        "estimate_probes": made.probes,
        "estimate_seconds": round(made.probe_seconds, 3),
    }
