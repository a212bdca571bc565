"""The bench results as Markdown: one table per section, with the columns a reader
compares (reduction ratios, rates, time to the first violation)."""

from __future__ import annotations

from typing import Any

from unpack_race.reports.table import markdown_table


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def bench_markdown(data: dict[str, Any], command: str) -> str:
    m = data["machine"]
    parts = [
        f"# unpack-race bench, {data['date']}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {m['cores']} cores, Python {m['python']}, {m['platform']}; commit {m['commit']}; "
        f"the whole bench took {data['seconds']} s.",
        "",
        "## Exhaustive strategies",
        "",
        "Executions are those a search runs to the end with no properties and deadlocks "
        "taken as final states (the reduction itself; sleep-set-blocked ones counted apart); brute force is the number of "
        "interleavings, counted on the state graph; traces are Mazurkiewicz traces, "
        "enumerated where brute force has at most 20,000 interleavings. The verdict and "
        "the counterexample come from a second run with the properties on, which stops "
        "at the first violation.",
        "",
    ]
    header = ("program", "strategy", "brute force", "traces", "executions", "sleep-blocked",
              "x brute force", "x traces", "states", "steps/s", "s (no properties)", "verdict",
              "s to verdict", "cex steps", "cex preemptions")
    rows = [(r["program"], r["strategy"], r["brute_force_executions"], r["mazurkiewicz_traces"],
             r["executions"], r["sleep_blocked"], r["ratio_to_brute_force"], r["ratio_to_traces"],
             r["states"], r["steps_per_second"], r["seconds"], r["verdict"], r["seconds_to_verdict"],
             r["counterexample_steps"], r["counterexample_preemptions"]) for r in data["exhaustive"]]
    parts.append(markdown_table(header, [[_cell(c) for c in row] for row in rows]))
    parts += ["", "## Sampling strategies (programs with a bug)", "",
              f"Runs to the first violation over {data['settings']['seeds']} seeds (seeds 0..n-1), "
              f"each capped at `cap` runs; `found` says how many seeds found it.", ""]
    header = ("program", "strategy", "found", "cap", "median runs", "min", "max", "median s", "steps/s")
    rows = [(r["program"], r["strategy"], f"{r['found']}/{r['seeds']}", r["cap"], r["median_runs"],
             r["min_runs"], r["max_runs"], r["median_seconds"], r["steps_per_second"]) for r in data["sampling"]]
    parts.append(markdown_table(header, [[_cell(c) for c in row] for row in rows]))
    if data["growth"]:
        parts += ["", "## Growth of retry-after-cancel (DFS with state caching)", "",
                  "Brute force (interleavings on the state graph) is counted for prepare-with-lease.", ""]
        header = ("layers", "GC runs", "variant", "verdict", "executions", "states", "s", "steps/s",
                  "cex steps", "brute force")
        rows = [(r["layers"], r["gc_runs"], r["variant"], r["verdict"], r["executions"], r["states"],
                 r["seconds"], r["steps_per_second"], r["counterexample_steps"], r["brute_force_executions"])
                for r in data["growth"]]
        parts.append(markdown_table(header, [[_cell(c) for c in row] for row in rows]))
    return "\n".join(parts) + "\n"
