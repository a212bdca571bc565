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
   exhaustive strategy (the points beyond one that ran out of budget are skipped), and
   at the large points (8 layers / 5 GC runs) under prepare-with-lease;
4. the parallel breadth-first search with 1 and 2 workers and through Dask, against
   serial BFS (scenarios/bench_parallel.py).
Each exhaustive search of tables 1 and 3 runs in a process of its own
(scenarios/bench_child.py), which reports its peak memory (peak RSS) beside the baseline
(the interpreter with the program built), and each with an estimate rule is estimated
first, its row saying how far off the estimate was (scenarios/bench_estimate.py).
Each search has a time budget; a cell that runs out says so rather than guessing.
`sections` chooses the tables to measure (all four by default).
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
from unpack_race.scenarios import bench_estimate
from unpack_race.scenarios.base import Scenario
from unpack_race.scenarios.bench_child import measure
from unpack_race.scenarios.bench_parallel import CONFIGS as PARALLEL_CONFIGS
from unpack_race.scenarios.bench_parallel import load, parallel_rows
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.registry import scenario as get_scenario
from unpack_race.scheduler.echo import echo_text
from unpack_race.scheduler.explore import BUDGET, VIOLATION, Budget
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.state_graph import count_interleavings
from unpack_race.scheduler.strategies.registry import REGISTRY, OptionError, search
from unpack_race.scheduler.traces import count_traces

TRACE_LIMIT = 20_000  # enumerate Mazurkiewicz traces only below this many interleavings
SECTIONS = ("exhaustive", "sampling", "growth", "parallel")

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
    sections: tuple[str, ...] = SECTIONS  # the tables to measure
    estimate_probes: int = bench_estimate.PROBES
    large_points: tuple[tuple[int, int], ...] = ((8, 5),)  # growth: (layers, GC runs), prepare-with-lease only
    parallel_point: tuple[int, int] = (6, 3)  # the parallel section's (layers, GC runs)
    parallel_repeat: int = 3
    parallel_seconds: float = 600.0  # budget of each parallel section's search: it is asked to take >= 30 s


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
        made = bench_estimate.before(whole, strategy, options, settings.estimate_probes,
                                     budget.max_steps_per_execution)
        reduction = _in_child(subject.scenario.name, subject.variant, subject.params, strategy, options,
                              settings.seconds, properties=False)
        finished = reduction["verdict"] != BUDGET.value
        blocked = reduction["sleep_blocked"]
        complete = reduction["executions"] - blocked
        checked = search(strategy, built.program, built.properties, bounds=built.bounds, budget=budget, **options)
        row = {
            "program": subject.name, "strategy": name,
            "brute_force_executions": brute, "mazurkiewicz_traces": traces,
            "executions": complete if finished else None,
            "sleep_blocked": blocked, "states": reduction["states"],
            "steps_per_second": _child_rate(reduction),
            "steps_per_transition": reduction["steps_per_transition"],
            "seconds": round(reduction["elapsed"], 3),
            "cpu_seconds": round(reduction["cpu_seconds"], 3),
            **_memory(reduction),
            **bench_estimate.columns(made, reduction["executions"], reduction["complete"], reduction["states"],
                                     finished),
            "ratio_to_brute_force": _ratio(complete, brute) if finished else None,
            "ratio_to_traces": _ratio(complete, traces) if finished else None,
            "verdict": checked.verdict.value,
            "seconds_to_verdict": round(checked.elapsed, 3),
            "counterexample_steps": len(checked.counterexample) or None,
            "counterexample_preemptions": checked.preemptions,
            "exhausted_budget": not finished or checked.verdict == BUDGET,
        }
        rows.append(row)
        log("exhaustive", row)
    return rows


def _in_child(scenario: str, variant: str, params: dict[str, Any], strategy: str, options: dict[str, Any],
              seconds: float, properties: bool) -> dict[str, Any]:
    """One search in a process of its own (scenarios/bench_child.py): with `properties`
    the scenario's program and properties, else its program with every actor a daemon and
    no properties (the reduction itself)."""
    job = {"scenario": scenario, "variant": variant, "params": params, "strategy": strategy, "options": options,
           "seconds": seconds, "properties": properties, "whole": not properties}
    return measure(job, timeout=seconds * 2 + 120)


def _child_rate(found: dict[str, Any]) -> int:
    return round(found["steps"] / found["elapsed"]) if found["elapsed"] > 0 else 0


def _memory(found: dict[str, Any]) -> dict[str, Any]:
    """A row's memory columns from a child's answer: peak RSS and baseline in bytes."""
    return {"peak_rss": found["peak_rss"], "baseline_rss": found["baseline_rss"]}


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
    any (the GC runs bound nothing under the scheduler), with the properties on; the
    large points (`growth_points`) under prepare-with-lease only. Each search runs in a
    child (its peak RSS), and one of a variant expected to pass is estimated first (a
    search stopped by a violation has no count to compare). Search cost grows with both parameters, so once a strategy runs out of
    the budget under a variant, the points beyond it (no fewer layers and no fewer GC runs)
    are not searched: their rows say `skipped` and hold no measurement."""
    race = get_scenario("retry-after-cancel")
    rows = []
    budget = Budget(max_seconds=settings.seconds)
    exhausted: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (variant, strategy) -> points out of budget
    for layers, gc_runs, variants in growth_points(settings):
        # gc-runs bounds the collections only under gc-policy any (and dirty): the
        # growth in GC runs is measured there
        params = {"layers": layers, "gc-runs": gc_runs, "gc-policy": "any"}
        brute = None
        for variant in variants:
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
                                "peak_rss": None, "baseline_rss": None, **bench_estimate.NONE,
                                "skipped": f"not searched: at layers={beyond[0][0]} gc-runs={beyond[0][1]} "
                                           f"{name} ran out of the {settings.seconds:g} s budget"})
                else:
                    # a search stopped by its first violation has no full count to compare
                    passes = race.expected(variant, params).verdict != VIOLATION
                    made = bench_estimate.before(built.program, strategy, options, settings.estimate_probes,
                                                 budget.max_steps_per_execution) if passes else None
                    found = _in_child(race.name, variant, params, strategy, options, settings.seconds,
                                      properties=True)
                    if found["verdict"] == BUDGET.value:
                        exhausted.setdefault((variant, name), []).append((layers, gc_runs))
                    finished = found["verdict"] not in (BUDGET.value, VIOLATION.value)
                    row.update({"verdict": found["verdict"], "executions": found["executions"],
                            "sleep_blocked": found["sleep_blocked"],
                                "states": found["states"], "seconds": round(found["elapsed"], 3),
                                "cpu_seconds": round(found["cpu_seconds"], 3),
                                "steps_per_second": _child_rate(found),
                                "steps_per_transition": found["steps_per_transition"],
                                "counterexample_steps": len(found["counterexample"]) or None,
                                **_memory(found),
                                **bench_estimate.columns(made, found["executions"], found["complete"],
                                                         found["states"], finished)})
                rows.append(row)
                log("growth", row)
    return rows


def growth_points(settings: Settings) -> list[tuple[int, int, tuple[str, ...]]]:
    """The growth table's points, (layers, GC runs, variants): the grid under every
    variant, then the large points not in it under prepare-with-lease only; none when
    the grid is empty (--max-layers 0 or --max-gc-runs 0 skips the table, large points too)."""
    if not settings.layers or not settings.gc_runs:
        return []
    variants = tuple(get_scenario("retry-after-cancel").variants)
    grid = [(layers, gc_runs, variants) for layers in settings.layers for gc_runs in settings.gc_runs]
    seen = {(layers, gc_runs) for layers, gc_runs, _ in grid}
    return grid + [(layers, gc_runs, ("prepare-with-lease",)) for layers, gc_runs in settings.large_points
                   if (layers, gc_runs) not in seen]


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
    on = settings.sections
    growth = sum(len(variants) for _, _, variants in growth_points(settings)) * len(EXHAUSTIVE)
    return ((len(chosen) * len(EXHAUSTIVE) if "exhaustive" in on else 0)
            + (sum(s.buggy for s in chosen) * len(SAMPLERS) if "sampling" in on else 0)
            + (growth if "growth" in on else 0)
            + (len(PARALLEL_CONFIGS) + 1 if "parallel" in on else 0))


def run(settings: Settings, log: Log = lambda event, row: None, keep: Keep = lambda document: None) -> dict[str, Any]:
    """Every table's rows as one JSON-ready document. `log(event, row)` is called as the
    bench goes: ("programs", {"count": n, "rows": rows planned}) first, then ("exhaustive"
    | "sampling" | "growth", row) for each row (reports.bench_tables.progress_line renders
    them); after each row, `keep(document)` receives the document so far, with a
    "partial" entry saying how far the bench had come.

    On Ctrl-C raises Interrupted (a KeyboardInterrupt) whose `partial` is the document
    with the rows finished so far and a "partial" entry saying what was under way."""
    started, host = time.monotonic(), {**machine(), "load_at_start": load()}
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in SECTIONS}  # as they finish
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
            "date": time.strftime("%Y-%m-%d"), "machine": {**host, "load_at_end": load()},
            "settings": attrs.asdict(settings), "seconds": round(time.monotonic() - started, 1),
            **{table: list(finished) for table, finished in rows.items()},  # the rows as they are now
        }

    try:
        chosen = subjects(settings)
        planned = planned_rows(chosen, settings)
        log("programs", {"count": len(chosen), "rows": planned})
        on = settings.sections
        for subject in chosen if "exhaustive" in on else ():
            doing = f"the exhaustive strategies on {subject.name}"
            exhaustive_rows(subject, settings, logged)
        for subject in chosen if "sampling" in on else ():
            if subject.buggy:
                doing = f"the sampling strategies on {subject.name}"
                sampling_rows(subject, settings, logged)
        doing = "the growth table"
        if "growth" in on and growth_points(settings):
            growth_rows(settings, logged)
        doing = "the parallel section"
        if "parallel" in on:
            parallel_rows(*settings.parallel_point, settings.parallel_repeat, settings.parallel_seconds, logged)
    except KeyboardInterrupt as stop:
        partial = document()
        count = sum(len(table) for table in rows.values())
        partial["partial"] = f"interrupted during {doing}; the tables hold the {count} rows finished before"
        raise Interrupted(partial) from stop
    return document()


def settings(seconds: float = 120.0, seeds: int = 20, cap: int = 1000, hypothesis_cap: int = 100,
             max_layers: int = 5, max_gc_runs: int = 3, only: Sequence[str] = (),
             sections: Sequence[str] = SECTIONS, estimate_probes: int = bench_estimate.PROBES,
             large_points: Sequence[tuple[int, int]] = ((8, 5),), parallel_point: tuple[int, int] = (6, 3),
             parallel_repeat: int = 3, parallel_seconds: float = 600.0) -> Settings:
    """Checked settings (OptionError names the option and what it allows): the growth
    table runs layers 1..max_layers and GC runs 1..max_gc_runs (0 skips the grid) and the
    `large_points` (layers, GC runs) under prepare-with-lease; `only` names programs or
    scenarios; `sections` the tables to measure (of SECTIONS)."""
    for name, value in (("seeds", seeds), ("cap", cap), ("hypothesis_cap", hypothesis_cap),
                        ("estimate_probes", estimate_probes), ("parallel_repeat", parallel_repeat)):
        if value < 1:
            raise OptionError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if max_layers < 0 or max_gc_runs < 0:
        raise OptionError("--max-layers and --max-gc-runs must be 0 or more (0 skips the growth table)")
    known = {s.name for s in subjects(Settings())} | {s.scenario.name for s in subjects(Settings())}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise OptionError(f"unknown program {echo_text(', '.join(unknown))}; the programs are: {', '.join(sorted(known))}")
    strange = [name for name in sections if name not in SECTIONS]
    if strange or not sections:
        raise OptionError(f"--sections takes one or more of {', '.join(SECTIONS)}; got "
                          f"{echo_text(', '.join(strange)) if strange else 'none'}")
    for layers, gc_runs in (*large_points, parallel_point):
        if layers < 1 or gc_runs < 1:
            raise OptionError(f"a point is LAYERS/GC-RUNS, each at least 1, got {layers}/{gc_runs} "
                              f"(--large-point, --parallel-point)")
    return Settings(seconds=seconds, seeds=seeds, cap=cap, hypothesis_cap=hypothesis_cap,
                    layers=tuple(range(1, max_layers + 1)), gc_runs=tuple(range(1, max_gc_runs + 1)),
                    only=tuple(only), sections=tuple(n for n in SECTIONS if n in sections),
                    estimate_probes=estimate_probes, large_points=tuple(tuple(p) for p in large_points),
                    parallel_point=tuple(parallel_point), parallel_repeat=parallel_repeat,
                    parallel_seconds=parallel_seconds)
