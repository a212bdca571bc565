"""The default exhaustive search: two searches run side by side, and the first to end
gives the result (a portfolio, as SAT and model-checking competitions run several
engines and take the first answer).

No single reduction wins on every program. On retry-after-cancel many interleavings of
dependent steps reach the same few thousand states, so DFS with state caching (and sleep
sets, strategies/sleep_dfs.py) is fast and DPOR, which must run one execution per
Mazurkiewicz trace, is 55 times slower; on the classics (lastzero, filesystem, indexer)
the traces are few and the states explode, and optimal DPOR wins by orders of magnitude.
Which one wins is a property of the program, not known before the search, so both run,
one execution at a time, the one that has applied fewer steps so far going next. The
result is the one that ended first, at most about twice the steps of the faster one
alone; both are exhaustive, so their verdicts are the same (the tests check it), and
since the alternation counts steps, not time, which one ends first is deterministic.

The DPOR is the optimal one (wakeup trees), or source-DPOR on a program with crashes
(which optimal DPOR refuses); it does not run when a property reads the state between
steps without declaring what it reads (DPOR cannot preserve it): then DFS runs alone.
The result's facts are those of the search that ended, with a note saying that the
portfolio chose it and how far the other got.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs
from unpack_race.scheduler.explore import Budget, Progress, Result, exploring
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.strategies.base import Strategy
from unpack_race.scheduler.strategies.optimal_dpor import make_dpor
from unpack_race.scheduler.strategies.sleep_dfs import SleepSetDepthFirst
from unpack_race.scheduler.verdict import Verdict


def candidates(program: Program, properties: list[Property], restore: bool) -> list[Strategy]:
    """The searches the portfolio runs on `program`, in the order that breaks ties."""
    chosen: list[Strategy] = [SleepSetDepthFirst(restore=restore)]
    dpor = make_dpor("source" if program.crashable() else "optimal", restore=restore)
    if dpor.refuse(properties) is None:
        chosen.append(dpor)
    return chosen


@attrs.define
class _Entrant:
    strategy: Strategy
    search: object  # the generator of `exploring`
    steps: int = 0
    executions: int = 0
    progress: Progress | None = None


def portfolio_search(
    program: Program,
    properties: Iterable[Property] = (),
    *,
    bounds: str = "(none)",
    budget: Budget = Budget(),
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
    restore: bool = True,
) -> Result:
    """Run the candidates side by side (see the module docstring) and return the Result
    of the first to end, with a note naming it. Ctrl-C raises `Interrupted` with the
    partial result of the search that was running."""
    properties = list(properties)
    entrants: list[_Entrant] = []

    def reporter(entrant: _Entrant) -> Callable[[Progress], None] | None:
        if progress is None:
            return None

        def report(seen: Progress) -> None:
            entrant.progress = seen
            shown = [e.progress for e in entrants if e.progress is not None]
            states = [p.states for p in shown if p.states is not None]
            progress(Progress(sum(p.executions for p in shown), sum(p.steps for p in shown),
                              max(states) if states else None, max(p.elapsed for p in shown)))
        return report

    for strategy in candidates(program, properties, restore):
        entrant = _Entrant(strategy, None)
        entrant.search = exploring(program, strategy, properties, bounds=bounds, budget=budget,
                                   progress=reporter(entrant), progress_every=progress_every)
        entrants.append(entrant)
    running = entrants[0]
    try:
        while True:
            running = min(entrants, key=lambda e: e.steps)  # the first of the fewest steps
            try:
                running.steps = next(running.search)
                running.executions += 1
            except StopIteration as done:
                return _chosen(done.value, running, entrants)
    except Interrupted as stopped:  # the running search's partial result, with the note
        _note_partial(stopped, running, entrants)
        raise
    except KeyboardInterrupt:
        try:
            running.search.throw(KeyboardInterrupt)  # the search running says how far it got
        except StopIteration as done:  # it had just ended
            return _chosen(done.value, running, entrants)
        except Interrupted as stopped:
            _note_partial(stopped, running, entrants)
            raise
        raise
    finally:
        for entrant in entrants:
            entrant.search.close()


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def _note_partial(stopped: Interrupted, running: _Entrant, entrants: list[_Entrant]) -> None:
    if isinstance(stopped.partial, Result):
        stopped.partial = _chosen(stopped.partial, running, entrants)


def _chosen(result: Result, winner: _Entrant, entrants: list[_Entrant]) -> Result:
    """`result`, of `winner`'s search, with the note saying which search it is and how far
    the others got: the one that ended first, or, without a verdict, the one whose budget
    ran out first (each search has the whole budget) or that was running at Ctrl-C."""
    others = [e for e in entrants if e is not winner]
    facts = result.coverage.facts
    if others:
        stopped = "; ".join(f"{e.strategy.facts().algorithm} was stopped after {_count(e.executions, 'execution')} "
                            f"and {_count(e.steps, 'step')}" for e in others)
        ended = {Verdict.BUDGET: "ran out of its budget first (each search has the whole budget)",
                 Verdict.INTERRUPTED: "was running when the search was interrupted"}.get(result.verdict, "ended first")
        note = (f"the default search ran {len(entrants)} exhaustive searches side by side, step for step, and "
                f"{facts.algorithm} {ended}; {stopped}")
    else:
        note = f"the default search ran {facts.algorithm} alone (no partial-order reduction preserves every property)"
    settings = {**facts.settings, "portfolio": [e.strategy.facts().algorithm for e in entrants]}
    facts = attrs.evolve(facts, notes=facts.notes + (note,), settings=settings)
    return attrs.evolve(result, coverage=attrs.evolve(result.coverage, facts=facts))
