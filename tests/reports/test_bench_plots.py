"""The bench's plots: a line per variant and value of the other parameter on each growth
panel, the sampling curve through the points a row fixes (worked out by hand), the same
bytes twice, and the committed bench's plots under docs/ are what its JSON draws today."""

from __future__ import annotations

import json
from pathlib import Path

from unpack_race.reports.figures.bench_plots import found_points, growth_figure, save_bench_plots

ROOT = Path(__file__).resolve().parents[2]
PLOTS = ROOT / "docs" / "bench-2026-12-01"
BENCH = PLOTS / "bench.json"


def test_a_sampling_row_fixes_three_points_of_its_curve():
    # 20 seeds, 17 found it: one by 30 runs, half of the 17 (9) by the median 48, all 17 by 99
    row = {"seeds": 20, "found": 17, "min_runs": 30, "median_runs": 48, "max_runs": 99}
    assert found_points(row) == [(30, 0.05), (48, 0.45), (99, 0.85)]
    assert found_points({**row, "found": 0, "min_runs": None, "median_runs": None, "max_runs": None}) == []
    assert found_points({**row, "found": 1, "min_runs": 7, "median_runs": 7, "max_runs": 7}) == [(7, 0.05)]


def test_with_each_seeds_runs_the_curve_is_the_exact_cumulative_share():
    """Five seeds: two find the bug in 3 runs, one in 10, one in 40, one never. By hand:
    2/5 by 3 runs, 3/5 by 10, 4/5 by 40, and it never reaches 1."""
    row = {"found": 4, "seeds": 5, "min_runs": 3, "median_runs": 6.5, "max_runs": 40,
           "runs_per_seed": [10, 3, None, 40, 3]}
    assert found_points(row) == [(3, 0.4), (10, 0.6), (40, 0.8)]


def test_the_bench_records_each_seeds_runs_to_the_bug(tmp_path):
    from unpack_race.scenarios import bench
    from unpack_race.scenarios.classics import CLASSICS
    from unpack_race.scheduler.strategies.registry import search

    settings = bench.settings(seconds=5, seeds=3, cap=50, hypothesis_cap=5, max_layers=0, max_gc_runs=0,
                              only=["account-bad"])
    (subject,) = [s for s in bench.subjects(settings) if s.name == "account-bad"]
    rows = bench.sampling_rows(subject, settings, lambda event, row: None)
    random_row = next(r for r in rows if r["strategy"] == "random")
    account = next(c for c in CLASSICS if c.name == "account-bad")
    built = account.build("as-written", account.resolve({}))
    independent = []
    for seed in range(3):  # the same searches, run here: each seed's runs to its first violation
        result = search("random", built.program, built.properties, bounds=built.bounds, runs=50, seed=seed)
        independent.append(result.executions if result.violation is not None else None)
    assert random_row["runs_per_seed"] == independent
    assert random_row["found"] == sum(r is not None for r in independent)


def test_each_growth_panel_has_a_line_per_variant_and_gc_runs_on_a_log_scale():
    data = json.loads(BENCH.read_text())
    variants = {r["variant"] for r in data["growth"]}
    strategies = list(dict.fromkeys(r["strategy"] for r in data["growth"]))
    fig = growth_figure(data["growth"], "layers", "gc_runs")
    assert len(fig.axes) == 3 * len(strategies) == 9  # executions, states, seconds for dfs, dpor and bfs
    for k, ax in enumerate(fig.axes):
        assert ax.get_yscale() == "log"
        strategy = strategies[k // 3]
        drawn = {line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")}
        measured = {(r["variant"], r["gc_runs"]) for r in data["growth"]
                    if r["strategy"] == strategy and r["verdict"] != "budget" and r["executions"] is not None}
        assert drawn == {f"{v}, gc runs {g}" for v, g in measured}
    dfs_lines = {line.get_label() for line in fig.axes[0].get_lines()}
    assert len(dfs_lines) == len(variants) * len(data["settings"]["gc_runs"]) == 12  # dfs finished every point
    one = next(line for line in fig.axes[0].get_lines() if line.get_label() == "prepare-with-lease, gc runs 1")
    expected = sorted((r["layers"], r["executions"]) for r in data["growth"]
                      if r["variant"] == "prepare-with-lease" and r["gc_runs"] == 1 and r["strategy"] == "dfs")
    assert list(zip(one.get_xdata(), one.get_ydata())) == expected


def test_a_search_the_budget_cut_is_a_hollow_marker_off_the_line_and_a_skipped_point_is_not_drawn():
    rows = [{"layers": 1, "gc_runs": 1, "variant": "v", "strategy": "dpor", "verdict": "pass", "executions": 10,
             "states": 5, "seconds": 1.0},
            {"layers": 2, "gc_runs": 1, "variant": "v", "strategy": "dpor", "verdict": "budget", "executions": 99,
             "states": 7, "seconds": 120.0},
            {"layers": 3, "gc_runs": 1, "variant": "v", "strategy": "dpor", "verdict": "budget", "executions": None,
             "states": None, "seconds": None, "skipped": "not searched"}]
    ax = growth_figure(rows, "layers", "gc_runs").axes[0]
    line, cut = ax.get_lines()
    assert list(zip(line.get_xdata(), line.get_ydata())) == [(1, 10)]
    assert list(zip(cut.get_xdata(), cut.get_ydata())) == [(2, 99)] and cut.get_markerfacecolor() == "none"


def test_the_committed_plots_are_what_the_committed_bench_draws_with_the_same_bytes(tmp_path):
    written = save_bench_plots(json.loads(BENCH.read_text()), tmp_path)
    assert [p.name for p in written] == [f"{n}.{f}" for n in ("growth-layers", "growth-gc-runs", "sampling")
                                         for f in ("svg", "png")]
    for path in written:
        assert path.read_bytes() == (PLOTS / path.name).read_bytes(), path.name
    markdown = (PLOTS / "bench.md").read_text()
    assert all(f"({p.name})" in markdown for p in written)
