"""The bench's plots: a line per variant and value of the other parameter on each growth
panel, the sampling curve through the points a row fixes (worked out by hand), the same
bytes twice, and the committed bench's plots under docs/ are what its JSON draws today."""

from __future__ import annotations

import json
from pathlib import Path

from unpack_race.reports.figures.bench_plots import found_points, growth_figure, save_bench_plots

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "docs" / "bench-2026-11-28.json"
PLOTS = ROOT / "docs" / "bench-2026-11-28"


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
    fig = growth_figure(data["growth"], "layers", "gc_runs")
    for ax in fig.axes:
        assert ax.get_yscale() == "log"
        assert len(ax.get_lines()) == len(variants) * len(data["settings"]["gc_runs"]) == 12
    one = next(line for line in fig.axes[0].get_lines() if line.get_label() == "prepare-with-lease, gc runs 1")
    expected = sorted((r["layers"], r["executions"]) for r in data["growth"]
                      if r["variant"] == "prepare-with-lease" and r["gc_runs"] == 1)
    assert list(zip(one.get_xdata(), one.get_ydata())) == expected


def test_the_committed_plots_are_what_the_committed_bench_draws_with_the_same_bytes(tmp_path):
    written = save_bench_plots(json.loads(BENCH.read_text()), tmp_path)
    assert [p.name for p in written] == [f"{n}.{f}" for n in ("growth-layers", "growth-gc-runs", "sampling")
                                         for f in ("svg", "png")]
    for path in written:
        assert path.read_bytes() == (PLOTS / path.name).read_bytes(), path.name
    markdown = (ROOT / "docs" / "bench-2026-11-28.md").read_text()
    assert all(f"(bench-2026-11-28/{p.name})" in markdown for p in written)
