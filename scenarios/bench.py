"""`unpack-race bench`: how the strategies compare, measured on this machine.

Three tables, written as Markdown and JSON into a directory the user names:
1. exhaustive strategies on every program (the classic bugs and retry-after-cancel under
   each variant): the brute-force number of interleavings (counted on the state graph,
   see scheduler/state_graph.py), the Mazurkiewicz traces (enumerated, where brute force
   is small enough), and for DFS with state caching, DPOR and BFS: executions explored
   without properties (the reduction itself) and their ratio to brute force and to the
   traces, distinct states, scheduled steps per second, steps per distinct transition
   (where the strategy counts transitions: DFS with state caching), and the time to the first
   violation with the properties on;
2. sampling strategies on every program with a bug: runs and seconds to the first
   violation, median and spread over N seeds, and how many seeds found it at all;
3. growth of retry-after-cancel with layers and GC runs, for all four variants and every
   exhaustive strategy (the points beyond one that ran out of budget are skipped).
Each search has a time budget; a cell that runs out says so rather than guessing.
After each row, `run` hands the document so far, marked partial, to `keep` (the command
writes it), so that a bench killed outright keeps every row it measured. Ctrl-C ends the
bench: `run` raises Interrupted with the rows finished so far, marked partial (the
command writes them, bench.md saying so, and exits 4).
The tables are rendered by reports/bench_tables.py; the command is
scenarios/commands/bench_command.py.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from unpack_race.scenarios.base import Scenario
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.registry import scenario as get_scenario
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED
from unpack_race.scheduler.echo import echo_text
from unpack_race.scheduler.explore import BUDGET, VIOLATION, Budget, Result
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.state_graph import count_interleavings
from unpack_race.scheduler.strategies.registry import REGISTRY, OptionError, search
from unpack_race.scheduler.traces import count_traces

TRACE_LIMIT = 20_000  # enumerate Mazurkiewicz traces only below this many interleavings

#: a progress callback: log(event, row)
Log = Callable[[str, dict[str, Any]], None]
#: what receives the document so far after each row: keep(document)
Keep = Callable[[dict[str, Any]], None]


@attrs.frozen
class Subject:
    scenario: Scenario
    variant: str
    params: dict[str, Any] = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        name = self.scenario.name
        if len(self.scenario.variants) > 1:
            name += f"[{self.variant}]"
        if self.params:
            name += " " + ",".join(f"{k.replace('_', '-')}={v}" for k, v in sorted(self.params.items()))
        return name

    def build(self):
        return self.scenario.build(self.variant, self.params)

    @property
    def buggy(self) -> bool:
        return self.scenario.expected(self.variant, self.params).verdict == VIOLATION


@attrs.frozen
class Settings:
    seconds: float = 120.0  # budget of each exhaustive search
    seeds: int = 20
    cap: int = 1000  # runs per seed for sampling strategies
    hypothesis_cap: int = 100
    layers: tuple[int, ...] = (1, 2, 3, 4, 5)
    gc_runs: tuple[int, ...] = (1, 2, 3)
    only: tuple[str, ...] = ()  # subject names to keep (all when empty)


def subjects(settings: Settings) -> list[Subject]:
    found = [Subject(c, c.variants[0]) for c in CLASSICS]
    race = get_scenario("retry-after-cancel")
    found += [Subject(race, v) for v in race.variants]
    # the default GC policy is containerd's scheduler; beside it, its over-approximation
    # (a GC at any step) and the earlier abstraction (only while the database is dirty)
    found.append(Subject(race, "stat-early-return", {"gc-policy": "any"}))
    found.append(Subject(race, "stat-early-return", {"gc-policy": "dirty"}))
    if settings.only:
        found = [s for s in found if s.name in settings.only or s.scenario.name in settings.only]
    return found


def _rate(result: Result) -> float:
    return result.steps / result.elapsed if result.elapsed > 0 else 0.0


#: the registry's exhaustive strategies, each with its default options, and DFS with sleep
#: sets: label -> (strategy, options)
EXHAUSTIVE: dict[str, tuple[str, dict[str, Any]]] = {
    name: (name, {}) for name, entry in REGISTRY.items() if not entry.sampling
}
EXHAUSTIVE["dfs-sleep-sets"] = ("dfs", {"sleep_sets": True})

#: the registry's sampling strategies, PCT at three depths: label -> (strategy, options)
SAMPLERS: dict[str, tuple[str, dict[str, Any]]] = {}
for _name, _entry in REGISTRY.items():
    if _entry.sampling:
        if any(o.name == "depth" for o in _entry.options):
            SAMPLERS.update({f"{_name}-d{d}": (_name, {"depth": d}) for d in (1, 2, 3)})
        else:
            SAMPLERS[_name] = (_name, {})


def exhaustive_rows(subject: Subject, settings: Settings, log) -> list[dict[str, Any]]:
    built = subject.build()
    budget = Budget(max_seconds=settings.seconds)
    whole = built.program.all_daemons()  # the reduction runs on to every end, deadlocks included
    count = count_interleavings(built.program, budget)
    brute = count.interleavings if count else None
    traces = None
    if brute is not None and brute <= TRACE_LIMIT:
        traces = count_traces(built.program).traces
    rows = []
    for name, (strategy, options) in EXHAUSTIVE.items():
        reduction = search(strategy, whole, (), bounds=built.bounds, budget=budget, **options)
        blocked = reduction.coverage.cut_by(SLEEP_SET_BLOCKED)
        complete = reduction.executions - blocked
        checked = search(strategy, built.program, built.properties, bounds=built.bounds, budget=budget, **options)
        row = {
            "program": subject.name, "strategy": name,
            "brute_force_executions": brute, "mazurkiewicz_traces": traces,
            "executions": complete if reduction.verdict != BUDGET else None,
            "sleep_blocked": blocked, "states": reduction.states,
            "steps_per_second": round(_rate(reduction)),
            "steps_per_transition": _per_transition(reduction),
            "seconds": round(reduction.elapsed, 3),
            "ratio_to_brute_force": _ratio(complete, brute) if reduction.verdict != BUDGET else None,
            "ratio_to_traces": _ratio(complete, traces) if reduction.verdict != BUDGET else None,
            "verdict": checked.verdict.value,
            "seconds_to_verdict": round(checked.elapsed, 3),
            "counterexample_steps": len(checked.counterexample) or None,
            "counterexample_preemptions": checked.preemptions,
            "exhausted_budget": reduction.verdict == BUDGET or checked.verdict == BUDGET,
        }
        rows.append(row)
        log("exhaustive", row)
    return rows


def _per_transition(result: Result) -> float | None:
    """Steps the kernel applied per distinct transition the search took (1.0: each
    executed once), where the strategy counts transitions (DFS with state caching)."""
    ratio = result.coverage.steps_per_transition
    return None if ratio is None else round(ratio, 3)


def _ratio(a: int | None, b: int | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 6)


def sampling_rows(subject: Subject, settings: Settings, log) -> list[dict[str, Any]]:
    built = subject.build()
    rows = []
    for name, (strategy, options) in SAMPLERS.items():
        runs_to_find, seconds_to_find, steps, elapsed = [], [], 0, 0.0
        runs_per_seed: list[int | None] = []  # each seed's runs to the bug, None where it found none
        cap = settings.hypothesis_cap if strategy == "hypothesis" else settings.cap
        for seed in range(settings.seeds):
            result = search(strategy, built.program, built.properties, bounds=built.bounds,
                            runs=cap, seed=seed, **options)
            steps += result.steps
            elapsed += result.elapsed
            if result.verdict == VIOLATION:
                runs_to_find.append(result.executions)
                seconds_to_find.append(result.elapsed)
            runs_per_seed.append(result.executions if result.verdict == VIOLATION else None)
        row = {
            "program": subject.name, "strategy": name, "seeds": settings.seeds, "cap": cap,
            "found": len(runs_to_find),
            "median_runs": statistics.median(runs_to_find) if runs_to_find else None,
            "min_runs": min(runs_to_find) if runs_to_find else None,
            "max_runs": max(runs_to_find) if runs_to_find else None,
            "median_seconds": round(statistics.median(seconds_to_find), 4) if seconds_to_find else None,
            "steps_per_second": round(steps / elapsed) if elapsed else 0,
            "runs_per_seed": runs_per_seed,
        }
        rows.append(row)
        log("sampling", row)
    return rows


def growth_rows(settings: Settings, log) -> list[dict[str, Any]]:
    """A row per point (layers, GC runs), variant and exhaustive strategy, under gc-policy
    any (the GC runs bound nothing under the scheduler), with the properties on. Search cost grows with both parameters, so once a strategy runs out of
    the budget under a variant, the points beyond it (no fewer layers and no fewer GC runs)
    are not searched: their rows say `skipped` and hold no measurement."""
    race = get_scenario("retry-after-cancel")
    rows = []
    budget = Budget(max_seconds=settings.seconds)
    exhausted: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (variant, strategy) -> points out of budget
    for layers in settings.layers:
        for gc_runs in settings.gc_runs:
            # gc-runs bounds the collections only under gc-policy any (and dirty): the
            # growth in GC runs is measured there
            params = {"layers": layers, "gc-runs": gc_runs, "gc-policy": "any"}
            brute = None
            for variant in race.variants:
                built = race.build(variant, params)
                if variant == "prepare-with-lease":
                    count = count_interleavings(built.program, budget)
                    brute = count.interleavings if count else None
                for name, (strategy, options) in EXHAUSTIVE.items():
                    row = {"layers": layers, "gc_runs": gc_runs, "variant": variant, "strategy": name,
                           "brute_force_executions": brute if variant == "prepare-with-lease" else None}
                    beyond = [p for p in exhausted.get((variant, name), ()) if p[0] <= layers and p[1] <= gc_runs]
                    if beyond:
                        row.update({"verdict": BUDGET.value, "executions": None, "states": None, "seconds": None,
                                    "steps_per_second": None, "counterexample_steps": None,
                                    "skipped": f"not searched: at layers={beyond[0][0]} gc-runs={beyond[0][1]} "
                                               f"{name} ran out of the {settings.seconds:g} s budget"})
                    else:
                        result = search(strategy, built.program, built.properties, bounds=built.bounds,
                                        budget=budget, **options)
                        if result.verdict == BUDGET:
                            exhausted.setdefault((variant, name), []).append((layers, gc_runs))
                        row.update({"verdict": result.verdict.value, "executions": result.executions,
                                    "states": result.states, "seconds": round(result.elapsed, 3),
                                    "steps_per_second": round(_rate(result)),
                                    "steps_per_transition": _per_transition(result),
                                    "counterexample_steps": len(result.counterexample) or None})
                    rows.append(row)
                    log("growth", row)
    return rows


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parent, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"python": platform.python_version(), "cores": os.cpu_count(), "platform": platform.platform(),
            "commit": commit}


def planned_rows(chosen: Sequence[Subject], settings: Settings) -> int:
    """How many rows the bench of `chosen` measures: each exhaustive strategy on every
    program, each sampler on every program with a bug, the growth table's points under
    every variant and exhaustive strategy (skipped points included)."""
    growth = (len(settings.layers) * len(settings.gc_runs) * len(get_scenario("retry-after-cancel").variants)
              * len(EXHAUSTIVE))
    return len(chosen) * len(EXHAUSTIVE) + sum(s.buggy for s in chosen) * len(SAMPLERS) + growth


def run(settings: Settings, log: Log = lambda event, row: None, keep: Keep = lambda document: None) -> dict[str, Any]:
    """Every table's rows as one JSON-ready document. `log(event, row)` is called as the
    bench goes: ("programs", {"count": n, "rows": rows planned}) first, then ("exhaustive"
    | "sampling" | "growth", row) for each row (reports.bench_tables.progress_line renders
    them); after each row, `keep(document)` receives the document so far, with a
    "partial" entry saying how far the bench had come.

    On Ctrl-C raises Interrupted (a KeyboardInterrupt) whose `partial` is the document
    with the rows finished so far and a "partial" entry saying what was under way."""
    started, host = time.monotonic(), machine()
    rows: dict[str, list[dict[str, Any]]] = {"exhaustive": [], "sampling": [], "growth": []}  # as they finish
    doing = "choosing the programs"
    planned = 0

    def logged(event: str, row: dict[str, Any]) -> None:
        rows[event].append(row)
        log(event, row)
        count = sum(len(table) for table in rows.values())
        keep({**document(), "partial": f"still running when written, during {doing}: {count} of {planned} rows "
                                       f"measured; a bench whose files end here was stopped before it finished"})

    def document() -> dict[str, Any]:  # format and version: the envelope's (reports.bench_tables)
        return {
            "date": time.strftime("%Y-%m-%d"), "machine": host,
            "settings": attrs.asdict(settings), "seconds": round(time.monotonic() - started, 1),
            **{table: list(finished) for table, finished in rows.items()},  # the rows as they are now
        }

    try:
        chosen = subjects(settings)
        planned = planned_rows(chosen, settings)
        log("programs", {"count": len(chosen), "rows": planned})
        for subject in chosen:
            doing = f"the exhaustive strategies on {subject.name}"
            exhaustive_rows(subject, settings, logged)
        for subject in chosen:
            if subject.buggy:
                doing = f"the sampling strategies on {subject.name}"
                sampling_rows(subject, settings, logged)
        doing = "the growth table"
        if settings.layers and settings.gc_runs:
            growth_rows(settings, logged)
    except KeyboardInterrupt as stop:
        partial = document()
        count = sum(len(table) for table in rows.values())
        partial["partial"] = f"interrupted during {doing}; the tables hold the {count} rows finished before"
        raise Interrupted(partial) from stop
    return document()


def settings(seconds: float = 120.0, seeds: int = 20, cap: int = 1000, hypothesis_cap: int = 100,
             max_layers: int = 5, max_gc_runs: int = 3, only: Sequence[str] = ()) -> Settings:
    """Checked settings (OptionError names the option and what it allows): the growth
    table runs layers 1..max_layers and GC runs 1..max_gc_runs (0 skips it); `only`
    names programs or scenarios."""
    for name, value in (("seeds", seeds), ("cap", cap), ("hypothesis_cap", hypothesis_cap)):
        if value < 1:
            raise OptionError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if max_layers < 0 or max_gc_runs < 0:
        raise OptionError("--max-layers and --max-gc-runs must be 0 or more (0 skips the growth table)")
    known = {s.name for s in subjects(Settings())} | {s.scenario.name for s in subjects(Settings())}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise OptionError(f"unknown program {echo_text(', '.join(unknown))}; the programs are: {', '.join(sorted(known))}")
    return Settings(seconds=seconds, seeds=seeds, cap=cap, hypothesis_cap=hypothesis_cap,
                    layers=tuple(range(1, max_layers + 1)), gc_runs=tuple(range(1, max_gc_runs + 1)),
                    only=tuple(only))
