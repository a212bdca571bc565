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
                 "--max-gc-runs", "1", "--large-point", "2/1", "--sections", "exhaustive", "sampling", "growth",
                 "--seconds", "30", "--quiet"])
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
        (1, 1, v.name, s) for v in registered() for s in exhaustive] + [
        (2, 1, "prepare-with-lease", s) for s in exhaustive]  # a row per variant and strategy, the large point after
    assert data["parallel"] == [] and "## Parallel" not in (tmp_path / "bench.md").read_text()  # not asked for
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
    # the grid's three other points under every variant, and the large point (8/5) under prepare-with-lease
    assert len(beyond) == 3 * len(first) + len(bench.EXHAUSTIVE)
    assert [r["variant"] for r in beyond if (r["layers"], r["gc_runs"]) == (8, 5)] == ["prepare-with-lease"] * len(
        bench.EXHAUSTIVE)
    assert all(r["skipped"].startswith(f"not searched: at layers=1 gc-runs=1 {r['strategy']} ran out")
               and r["executions"] is None and r["states"] is None for r in beyond)


def _estimated_rows(rows):
    """The rows whose strategy has an estimate rule (dfs, dpor, bfs) and which ran to their end."""
    return [r for r in rows if r["strategy"] in ("dfs", "dpor", "bfs") and r["verdict"] != "budget"]


def test_the_bench_s_memory_and_estimate_columns(tmp_path):
    """Every search measured in its own process has a peak RSS at least its baseline; the
    estimate's error is taken against the row's own count (DPOR: its complete executions,
    the row's `executions`), and the strategies without an estimate rule have none."""
    from unpack_race.scenarios import bench
    from unpack_race.scheduler.estimate import estimate

    settings = bench.settings(seconds=30, max_layers=1, max_gc_runs=1, large_points=(), only=["lastzero"],
                              sections=["exhaustive", "growth"])
    data = bench.run(settings)
    rows = data["exhaustive"] + data["growth"]
    assert rows and all(r["peak_rss"] >= r["baseline_rss"] > 10 * 2**20 for r in rows)  # an interpreter: > 10 MiB
    ran = _estimated_rows(data["exhaustive"]) + [r for r in _estimated_rows(data["growth"])
                                                  if r["variant"] == "prepare-with-lease"]
    assert len(ran) == 6
    for r in ran:
        # the count estimated: DPOR's complete executions, every execution otherwise (none blocked there);
        # the exhaustive table's executions are the complete ones, the growth table's all of them
        real = r["executions"] - (r["sleep_blocked"] if "layers" in r else 0)
        assert r["estimate_compared_to"] == real
        # the row's estimates are rounded to 0.1, its errors to 1e-4
        assert abs(r["estimate_error"] - (r["estimated_executions"] / real - 1)) <= 0.05 / real + 1e-4
        assert 1 <= r["estimate_probes"] <= 500  # fewer where the estimate settled early
        if r["strategy"] != "dpor":  # the state-graph rule estimates the states too
            assert abs(r["estimate_states_error"] - (r["estimated_states"] / r["states"] - 1)) <= 0.05 / r["states"] + 1e-4
    lastzero = next(c for c in CLASSICS if c.name == "lastzero").build("as-written", {}).program.all_daemons()
    dpor = next(r for r in data["exhaustive"] if r["strategy"] == "dpor")
    assert dpor["estimated_executions"] == round(estimate(lastzero, "sleep-sets", 500).executions, 1)
    assert all(r["estimated_executions"] is None and r["estimate_error"] is None
               for r in rows if r["strategy"] in ("auto", "dfs-sleep-sets"))
    # a variant expected to violate is not estimated: its search stops at the violation
    assert all(r["estimate_error"] is None for r in data["growth"] if r["verdict"] == "violation")


def test_a_child_search_counts_as_the_search_in_process_and_its_peak_exceeds_its_baseline():
    from unpack_race.scenarios.bench_child import measure
    from unpack_race.scenarios.registry import scenario
    from unpack_race.scheduler.strategies.registry import search

    params = {"layers": 2, "gc-runs": 1, "gc-policy": "any"}
    found = measure({"scenario": "retry-after-cancel", "variant": "prepare-with-lease", "params": params,
                     "strategy": "dfs", "options": {}, "seconds": 60, "properties": True}, timeout=300)
    built = scenario("retry-after-cancel").build("prepare-with-lease", params)
    here = search("dfs", built.program, built.properties, bounds=built.bounds)
    assert (found["verdict"], found["executions"], found["states"]) == (here.verdict.value, here.executions,
                                                                         here.states)
    assert found["peak_rss"] > found["baseline_rss"] > 0  # 1,506 states held: the search's own share shows
    assert found["rss_source"].startswith("VmHWM")  # this suite runs on Linux


def test_the_parallel_section_finds_serial_bfs_s_states_verdict_and_counterexample():
    """Two rows per configuration's runs would cost minutes; one run each on a small point
    (2 layers / 1 GC run, under a second serially) shows the section's shape and its check."""
    from unpack_race.scenarios.bench_parallel import CONFIGS, SERIAL, parallel_rows
    from unpack_race.scenarios.registry import scenario
    from unpack_race.scheduler.strategies.registry import search

    logged = []
    rows = parallel_rows(2, 1, 1, 120, lambda event, row: logged.append((event, row)))
    assert [r["config"] for r in rows] == [*CONFIGS, SERIAL] and logged == [("parallel", r) for r in rows]
    params = {"layers": 2, "gc-runs": 1, "gc-policy": "any"}
    built = scenario("retry-after-cancel").build("prepare-with-lease", params)
    serial = search("bfs", built.program, built.properties, bounds=built.bounds)
    assert all(r["identical_to_1_worker"] and r["states"] == serial.states and r["verdict"] == serial.verdict.value
               for r in rows)
    assert all(r["runs"] == 1 and len(r["wall_seconds"]) == len(r["load_before"]) == 1 for r in rows)
    assert rows[0]["speedup_over_1_worker"] == 1.0


def test_the_parallel_section_says_when_a_configuration_differs(monkeypatch):
    """`identical_to_1_worker` is computed, not assumed: a configuration whose answer has
    one state more is marked as differing, the others not."""
    from unpack_race.scenarios import bench_parallel

    def fake(job, timeout=None):
        states = 101 if job.get("dask") else 100
        return {"verdict": "pass", "states": states, "counterexample": [], "wall_seconds": 1.0, "cpu_seconds": 0.5}

    monkeypatch.setattr(bench_parallel, "measure", fake)
    rows = bench_parallel.parallel_rows(1, 1, 2, 10, lambda event, row: None)
    assert {r["config"]: r["identical_to_1_worker"] for r in rows} == {
        "workers=1": True, "workers=2": True, "dask=2": False, "serial bfs": True}
    assert [r["runs"] for r in rows] == [2, 2, 2, 1]  # serial bfs once
