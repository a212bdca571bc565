"""The bench results as Markdown: one table per section, with the columns a reader
compares (reduction ratios, rates, time to the first violation); the progress line of each
row as the bench goes, with how far it has come; the line saying what was written; and bench.json, the same data as
a document (format unpack-race.bench, reports/schemas/bench.schema.json), which
`bench --json` prints too."""

from __future__ import annotations

from typing import Any

from unpack_race.reports.documents import document
from unpack_race.reports.progress_text import duration, left_text
from unpack_race.reports.table import markdown_table


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def mib(value: int | None) -> str | None:
    """Bytes as MiB, one decimal (None stays None)."""
    return None if value is None else f"{value / 2**20:.1f}"


def percent(value: float | None) -> str | None:
    """A relative error as a signed percentage (+0.25: "+25.0%")."""
    if value is None:
        return None
    return "0.0%" if abs(value) < 0.0005 else f"{100 * value:+.1f}%"


def measured(data: dict[str, Any]) -> tuple[str, ...]:
    """The sections a bench measured (a bench written before --sections measured three)."""
    return tuple(data["settings"].get("sections", ("exhaustive", "sampling", "growth")))


def _estimate_cells(r: dict[str, Any]) -> tuple:
    return (r.get("estimated_executions"), percent(r.get("estimate_error")), r.get("estimated_states"),
            percent(r.get("estimate_states_error")))


def _memory_cells(r: dict[str, Any]) -> tuple:
    return (mib(r.get("peak_rss")), mib(r.get("baseline_rss")))


MEMORY_WORDS = ("Peak RSS is the search's process's peak resident set (VmHWM in /proc/self/status on Linux), "
                "each search run in a process of its own; baseline is that process's peak with the package "
                "imported and the program built, before the search, so the search's own share is the difference. ")
ESTIMATE_WORDS = ("Where the strategy has an estimate rule (dfs, dpor, bfs), the search was first estimated from "
                  "{probes} random probes (scheduler/estimate.py, seed 0); the error is the estimate over the "
                  "real count, minus 1 (DPOR: complete executions), and is left out where the search did not "
                  "run to its end.")


def median_over_seeds(runs_per_seed: list[int | None], cap: int) -> str:
    """The median of every seed's runs to the bug, a seed that found none within the cap
    counting as more than the cap: "> N" where the median is not known exactly. (The
    median of only the seeds that found it would flatter a sampler that mostly fails.)"""
    if not runs_per_seed:
        return "-"
    ordered = sorted(runs_per_seed, key=lambda r: (r is None, r or 0))
    n = len(ordered)
    low, high = ordered[(n - 1) // 2], ordered[n // 2]
    if low is None:
        return f"> {cap}"
    if high is None:
        return f"> {(low + cap) / 2:g}"
    return f"{(low + high) / 2:g}"


def growth_strategy(row: dict[str, Any]) -> str:
    """The strategy of a growth row: a bench written before the growth table measured every
    strategy measured DFS with state caching only, and its rows do not name it."""
    return row.get("strategy", "dfs")


def bench_document(data: dict[str, Any], exit_code: int) -> dict[str, Any]:
    """bench.json: the bench's data (scenarios.bench.run's, with the command line) as a document."""
    return document("bench", exit_code, data)


def plots_markdown(plots: list[str]) -> list[str]:
    """The section of bench.md that shows the plots (reports/figures/bench_plots.py), by
    their paths relative to bench.md; each SVG shown, its PNG beside it."""
    if not plots:
        return []
    parts = ["", "## Plots", ""]
    for svg in (p for p in plots if p.endswith(".svg")):
        name = svg.rsplit("/", 1)[-1].removesuffix(".svg")
        parts += [f"![{name}]({svg}) ([PNG]({svg.removesuffix('.svg')}.png))", ""]
    return parts[:-1]


def bench_markdown(data: dict[str, Any], command: str, plots: list[str] = ()) -> str:
    """bench.md: the three tables, and where given the plots (paths relative to it)."""
    m = data["machine"]
    on = measured(data)
    load = ("" if m.get("load_at_start") is None else
            f" Load average (1 minute) {m['load_at_start']} at the start, {m.get('load_at_end')} at the end.")
    probes = data["settings"].get("estimate_probes", "-")
    parts = [
        f"# unpack-race bench, {data['date']}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {m['cores']} cores, Python {m['python']}, {m['platform']}; commit {m['commit']}; "
        f"the whole bench took {data['seconds']} s.{load}",
        "",
        *([f"**Partial**: {data['partial']}.", ""] if data.get("partial") else []),
        f"Sections measured: {', '.join(on)}.",
        "",
    ]
    if "exhaustive" in on:
        parts += _exhaustive(data, probes)
    if "sampling" in on:
        parts += _sampling(data)
    if "growth" in on and data["growth"]:
        parts += _growth(data, probes)
    if "parallel" in on and data.get("parallel"):
        parts += _parallel(data)
    parts += plots_markdown(list(plots))
    return "\n".join(parts) + "\n"


def _exhaustive(data: dict[str, Any], probes: Any) -> list[str]:
    parts = [
        "## Exhaustive strategies",
        "",
        "Executions are those a search runs to the end with no properties and deadlocks "
        "taken as final states (the reduction itself; sleep-set-blocked ones counted apart); brute force is the number of "
        "interleavings, counted on the state graph; traces are Mazurkiewicz traces, "
        "enumerated where brute force has at most 20,000 interleavings. The verdict and "
        "the counterexample come from a second run with the properties on, which stops "
        "at the first violation. Steps per transition: the steps the kernel applied per distinct transition "
        "(1.0: each once), where the strategy counts transitions. " + MEMORY_WORDS + ESTIMATE_WORDS.format(probes=probes),
        "",
    ]
    header = ("program", "strategy", "brute force", "traces", "executions", "sleep-blocked",
              "x brute force", "x traces", "states", "steps/s", "steps/transition", "s (no properties)",
              "CPU s", "peak RSS MiB", "baseline MiB", "est. executions", "est. error", "est. states",
              "est. states error", "verdict", "s to verdict", "cex steps", "cex preemptions")
    rows = [(r["program"], r["strategy"], r["brute_force_executions"], r["mazurkiewicz_traces"],
             r["executions"], r["sleep_blocked"], r["ratio_to_brute_force"], r["ratio_to_traces"],
             r["states"], r["steps_per_second"], r.get("steps_per_transition"), r["seconds"], r.get("cpu_seconds"),
             *_memory_cells(r), *_estimate_cells(r), r["verdict"], r["seconds_to_verdict"],
             r["counterexample_steps"], r["counterexample_preemptions"]) for r in data["exhaustive"]]
    parts.append(markdown_table(header, [[_cell(c) for c in row] for row in rows]))
    return parts


def _sampling(data: dict[str, Any]) -> list[str]:
    parts = ["", "## Sampling strategies (programs with a bug)", "",
              f"Runs to the first violation over {data['settings']['seeds']} seeds (seeds 0..n-1), "
              f"each capped at `cap` runs; `found` says how many seeds found it. The median over all seeds "
              f"counts a seed that found nothing as more than the cap; min, max and the median of the seeds "
              f"that found it are over those seeds only.", ""]
    header = ("program", "strategy", "found", "cap", "median runs (all seeds)", "median of those found", "min",
              "max", "median s", "steps/s")
    rows = [(r["program"], r["strategy"], f"{r['found']}/{r['seeds']}", r["cap"],
             median_over_seeds(r["runs_per_seed"], r["cap"]) if "runs_per_seed" in r else None, r["median_runs"],
             r["min_runs"], r["max_runs"], r["median_seconds"], r["steps_per_second"]) for r in data["sampling"]]
    parts.append(markdown_table(header, [[_cell(c) for c in row] for row in rows]))
    return parts


def _growth(data: dict[str, Any], probes: Any) -> list[str]:
    large = data["settings"].get("large_points") or ()
    also = (" Beyond the grid, " + ", ".join(f"{lg[0]} layers / {lg[1]} GC runs" for lg in large)
            + " under prepare-with-lease only." if large else "")
    parts = ["", "## Growth of retry-after-cancel", "",
             "Each exhaustive strategy under each variant, under gc-policy any (where the number of GC runs "
             "is a bound), with the properties on (a search with a bug stops at "
             "its first violation)." + also + " Brute force (interleavings on the state graph) is counted for "
             "prepare-with-lease. A point beyond one where the strategy ran out of the budget (no fewer layers "
             "and no fewer GC runs) is not searched: its verdict is `budget (skipped)`. " + MEMORY_WORDS
             + ESTIMATE_WORDS.format(probes=probes) + " Variants expected to violate are not estimated.", ""]
    header = ("layers", "GC runs", "variant", "strategy", "verdict", "executions", "states", "s", "CPU s",
              "steps/s", "steps/transition", "peak RSS MiB", "baseline MiB", "est. executions", "est. error",
              "est. states", "est. states error", "cex steps", "brute force")
    rows = [(r["layers"], r["gc_runs"], r["variant"], growth_strategy(r),
             r["verdict"] + (" (skipped)" if r.get("skipped") else ""), r["executions"], r["states"],
             r["seconds"], r.get("cpu_seconds"), r["steps_per_second"], r.get("steps_per_transition"),
             *_memory_cells(r), *_estimate_cells(r), r["counterexample_steps"], r["brute_force_executions"])
            for r in data["growth"]]
    parts.append(markdown_table(header, [[_cell(c) for c in row] for row in rows]))
    return parts


def _parallel(data: dict[str, Any]) -> list[str]:
    rows = data["parallel"]
    first = rows[0]
    parts = ["", "## Parallel breadth-first search", "",
             f"retry-after-cancel prepare-with-lease, {first['layers']} layers / {first['gc_runs']} GC runs, "
             "gc-policy any, with the properties on, searched breadth-first over states with the visited set "
             "partitioned across the workers (`--workers N`, `--dask`: a LocalCluster of 2 workers on loopback, "
             "its start-up included), against serial `--strategy bfs` (run once). Wall seconds (a parallel "
             "search's coordinator's CPU says nothing of its workers'), median of the runs, configurations "
             "alternated, each search in a process of its own; the 1-minute load average before each run says "
             "how busy the shared machine was (a speed-up needs idle cores). Identical: the same states, verdict "
             "and counterexample as the first run with 1 worker.", ""]
    header = ("search", "wall s (runs)", "median wall s", "x 1 worker", "coordinator CPU s", "load before",
              "verdict", "states", "cex steps", "identical")
    table = [(r["config"], ", ".join(f"{w:g}" for w in r["wall_seconds"]), r["median_wall_seconds"],
              r["speedup_over_1_worker"], r["coordinator_cpu_seconds"],
              ", ".join(_cell(x) for x in r["load_before"]), r["verdict"], r["states"],
              r["counterexample_steps"], "yes" if r["identical_to_1_worker"] else "NO") for r in rows]
    parts.append(markdown_table(header, [[_cell(c) for c in row] for row in table]))
    return parts


def progress_line(event: str, row: dict[str, Any]) -> str:
    """One progress line of the bench (scenarios.bench.run's log events)."""
    if event == "programs":
        return f"bench: {row['count']} programs, {row['rows']} rows to measure"
    if event == "exhaustive":
        return (f"  {row['program']:<42} {row['strategy']:<10} {row['executions']} executions, "
                f"verdict {row['verdict']}, {row['seconds']} s")
    if event == "sampling":
        return (f"  {row['program']:<42} {row['strategy']:<10} found by {row['found']}/{row['seeds']} seeds, "
                f"median {row['median_runs']} runs")
    if event == "parallel":
        return (f"  parallel {row['config']:<10} median {row['median_wall_seconds']} s wall "
                f"({row['speedup_over_1_worker']}x 1 worker), {row['states']} states, verdict {row['verdict']}, "
                f"identical {row['identical_to_1_worker']}, load {row['load_before']}")
    point = f"  layers={row['layers']} gc-runs={row['gc_runs']} {row['variant']:<28} {growth_strategy(row):<5}"
    if row.get("skipped"):
        return f"{point} {row['skipped']}"
    return f"{point} {row['verdict']:<9} {row['executions']} executions, {row['states']} states, {row['seconds']} s"


def rows_text(done: int, planned: int, elapsed: float) -> str:
    """How far the bench has come, after a row's line: rows measured, elapsed, and about how
    long is left at the mean time of a row so far (rows differ widely: a rough guide)."""
    return f" [{done} of {planned} rows, {duration(elapsed)} elapsed{left_text(done, planned, elapsed)}]"


def written_line(directory: Any, seconds: float) -> str:
    return f"wrote {directory / 'bench.md'} and {directory / 'bench.json'} ({seconds} s)"


def partial_line(data: dict[str, Any]) -> str:
    """What an interrupted bench wrote (data["partial"] says what was under way)."""
    return f"partial: {data['partial']}; bench.md and bench.json say so"
