"""`unpack-race bench` on a small selection: files, tables and the numbers they carry."""

from __future__ import annotations

import json

from toy_world import all_executions
from unpack_race.model.variants import registered
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.cli import main
from unpack_race.scheduler.strategies.registry import REGISTRY
from unpack_race.scheduler.traces import trace_key


def lastzero_by_brute_force() -> tuple[int, int]:
    """lastzero at its default N=3: its interleavings and its Mazurkiewicz traces, by
    enumerating every interleaving with the kernel alone."""
    program = next(c for c in CLASSICS if c.name == "lastzero").build("as-written", {}).program
    executions = list(all_executions(program))
    return len(executions), len({trace_key(e.steps) for e in executions})


def test_bench_writes_markdown_and_json_with_reduction_ratios(tmp_path, capsys):
    code = main(["bench", "--out", str(tmp_path), "--only", "reorder-3-bad", "lastzero",
                 "--seeds", "2", "--cap", "30", "--hypothesis-cap", "5", "--max-layers", "1",
                 "--max-gc-runs", "1", "--seconds", "30", "--quiet"])
    assert code == 0
    data = json.loads((tmp_path / "bench.json").read_text())
    rows = {(r["program"], r["strategy"]): r for r in data["exhaustive"]}
    lastzero_dpor = rows[("lastzero", "dpor")]
    # DPOR runs one complete execution per Mazurkiewicz trace on lastzero
    interleavings, traces = lastzero_by_brute_force()
    assert lastzero_dpor["executions"] == lastzero_dpor["mazurkiewicz_traces"] == traces
    assert lastzero_dpor["brute_force_executions"] == interleavings
    assert rows[("reorder-3-bad", "dfs")]["verdict"] == "violation"
    assert rows[("reorder-3-bad", "bfs")]["counterexample_steps"] <= rows[("reorder-3-bad", "dpor")]["counterexample_steps"]
    sampled = {r["strategy"] for r in data["sampling"] if r["program"] == "reorder-3-bad"}
    assert sampled == {"random", "pct-d1", "pct-d2", "pct-d3", "pos", "urw", "surw", "hypothesis"}
    assert not any(r["program"] == "lastzero" for r in data["sampling"])  # no bug to find
    exhaustive = [name for name, entry in REGISTRY.items() if not entry.sampling] + ["dfs-sleep-sets"]
    assert [(r["layers"], r["gc_runs"], r["variant"], r["strategy"]) for r in data["growth"]] == [
        (1, 1, v.name, s) for v in registered() for s in exhaustive]  # a row per variant and exhaustive strategy
    markdown = (tmp_path / "bench.md").read_text()
    assert markdown.startswith("# unpack-race bench, ")
    assert "## Exhaustive strategies" in markdown and "## Growth of retry-after-cancel" in markdown
    assert f"| lastzero | dpor | {interleavings} | {traces} | {traces} |" in markdown
    plots = ["growth-layers", "growth-gc-runs", "sampling"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".svg", ".png")) == sorted(
        f"{name}.{fmt}" for name in plots for fmt in ("svg", "png"))
    assert all(f"![{name}]({name}.svg) ([PNG]({name}.png))" in markdown for name in plots)


def test_growth_skips_the_points_beyond_one_that_ran_out_of_budget():
    """With a budget no search can finish in, every strategy runs out at the first point
    (1 layer, 1 GC run); the points beyond it are then not searched, and say so."""
    from unpack_race.scenarios import bench

    settings = bench.settings(seconds=1e-9, max_layers=2, max_gc_runs=2, only=["retry-after-cancel"])
    rows = bench.growth_rows(settings, lambda event, row: None)
    first = [r for r in rows if (r["layers"], r["gc_runs"]) == (1, 1)]
    assert first and all(r["verdict"] == "budget" and "skipped" not in r and r["executions"] is not None
                         for r in first)
    beyond = [r for r in rows if (r["layers"], r["gc_runs"]) != (1, 1)]
    assert len(beyond) == 3 * len(first)
    assert all(r["skipped"].startswith(f"not searched: at layers=1 gc-runs=1 {r['strategy']} ran out")
               and r["executions"] is None and r["states"] is None for r in beyond)
