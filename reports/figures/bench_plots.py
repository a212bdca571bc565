"""Plots of a bench document (scenarios.bench, the bench.json `unpack-race bench` writes):

- growth-layers and growth-gc-runs: executions, distinct states and seconds of
  retry-after-cancel against layers and against GC runs (log scale), a row of panels per
  exhaustive strategy, one colour per variant, one line style per value of the other
  parameter (a bench written before the growth table measured every strategy has DFS
  with state caching only);
- sampling: for each program with a bug, the share of seeds whose sampling strategy had
  found the bug within r runs, against r (log scale): the exact cumulative curve from
  each seed's runs (`runs_per_seed`). A bench document written before those were
  recorded has, per strategy, how many seeds found it and the fewest, median and most
  runs they took, so its curve is drawn through the points these fix: 1 seed by the
  fewest, half of the finders by the median, all finders by the most.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter
from unpack_race.reports.bench_tables import growth_strategy
from unpack_race.reports.figures.saving import save_figure

GROWTH_MEASURES = (("executions", "executions"), ("states", "distinct states"), ("seconds", "seconds"))
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v")
PLOTS = ("growth-layers", "growth-gc-runs", "sampling")


def growth_figure(rows: Sequence[Mapping[str, Any]], along: str, by: str) -> plt.Figure:
    """Executions, states and seconds (the columns) against `along` ("layers" or
    "gc_runs"), a row of panels per exhaustive strategy, a line per variant and value of
    `by` (the other one), log scale; points a strategy skipped hold no measurement and
    are left out, so its lines stop where its budget ran out, and a point the budget cut
    is a hollow marker off the line (what the search had done by then: a lower bound)."""
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    strategies = list(dict.fromkeys(growth_strategy(r) for r in rows))
    others = sorted({r[by] for r in rows})
    colours = plt.get_cmap("tab10")
    fig, grid = plt.subplots(len(strategies), len(GROWTH_MEASURES), figsize=(16, 0.6 + 3.4 * len(strategies)),
                             squeeze=False)
    for axes, strategy in zip(grid, strategies):
        for ax, (measure, label) in zip(axes, GROWTH_MEASURES):
            for v, variant in enumerate(variants):
                for o, other in enumerate(others):
                    mine = [r for r in rows if r["variant"] == variant and r[by] == other
                            and growth_strategy(r) == strategy and r[measure]]
                    line = sorted((r[along], r[measure]) for r in mine if r["verdict"] != "budget")
                    cut = sorted((r[along], r[measure]) for r in mine if r["verdict"] == "budget")
                    style = dict(color=colours(v), marker=MARKERS[o % len(MARKERS)], markersize=4)
                    if line:
                        ax.plot([x for x, _ in line], [y for _, y in line], linestyle=LINE_STYLES[o % len(LINE_STYLES)],
                                linewidth=1.2, label=f"{variant}, {by.replace('_', ' ')} {other}", **style)
                    if cut:  # a search cut by the budget: what it had done by then, a lower bound
                        ax.plot([x for x, _ in cut], [y for _, y in cut], linestyle="none", markerfacecolor="none",
                                **style)
            ax.set_yscale("log")
            ax.set_xlabel(along.replace("_", " "))
            ax.set_ylabel(f"{label} ({strategy})")
            ax.set_xticks(sorted({r[along] for r in rows}))
            ax.grid(True, which="major", linewidth=0.3)
    handles, labels = grid[0][0].get_legend_handles_labels()
    for axes in grid:  # every line, once, whichever panel has it
        for ax in axes:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
    fig.legend(handles, labels, fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(0.8, 0.5))
    fig.suptitle(f"retry-after-cancel: growth with {along.replace('_', ' ')}, a row per exhaustive strategy "
                 f"({', '.join(strategies)}); a hollow marker is a search cut by the time budget (a lower bound)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    return fig


def found_points(row: Mapping[str, Any]) -> list[tuple[float, float]]:
    """The points of a sampling row's curve: (runs, share of seeds that had found the bug
    by then). With each seed's runs recorded (`runs_per_seed`), the exact cumulative curve,
    a point per distinct run count; in an older document, the points its fewest, median
    and most runs fix."""
    found, seeds = row["found"], row["seeds"]
    if not found:
        return []
    per_seed = row.get("runs_per_seed")
    if per_seed is not None:
        runs = sorted(r for r in per_seed if r is not None)
        return [(r, sum(1 for x in runs if x <= r) / seeds) for r in sorted(set(runs))]
    points = [(row["min_runs"], 1 / seeds), (row["median_runs"], math.ceil(found / 2) / seeds),
              (row["max_runs"], found / seeds)]
    return sorted(set(points))


def sampling_figure(rows: Sequence[Mapping[str, Any]]) -> plt.Figure:
    """A panel per program: the share of seeds that had found the bug against runs, a line per strategy."""
    programs = list(dict.fromkeys(r["program"] for r in rows))
    strategies = list(dict.fromkeys(r["strategy"] for r in rows))
    colours = plt.get_cmap("tab10")
    columns = min(4, len(programs)) or 1
    lines = math.ceil(len(programs) / columns) or 1
    fig, axes = plt.subplots(lines, columns, figsize=(3.3 * columns, 2.6 * lines), squeeze=False)
    for ax, program in zip(axes.flat, programs):
        for s, strategy in enumerate(strategies):
            for row in rows:
                if row["program"] == program and row["strategy"] == strategy:
                    points = found_points(row)
                    label = f"{strategy} ({row['found']}/{row['seeds']})"
                    if points:
                        ax.step([x for x, _ in points], [y for _, y in points], where="post", color=colours(s),
                                marker="o", markersize=3, linewidth=1.1, label=label)
                    else:
                        ax.plot([], [], color=colours(s), label=label)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0, 1.05)
        ax.set_title(program, fontsize=8)
        ax.tick_params(labelsize=6)
        ax.grid(True, linewidth=0.3)
        ax.legend(fontsize=5, frameon=False, loc="lower right")
    for ax in list(axes.flat)[len(programs):]:
        ax.axis("off")
    fig.supxlabel("runs (log scale)", fontsize=8)
    fig.supylabel("share of seeds that had found the bug", fontsize=8)
    if all(r.get("runs_per_seed") is not None for r in rows):
        title = "sampling strategies: the share of seeds that had found the bug within r runs (exact, from each seed's runs)"
    else:
        title = ("sampling strategies: the points each row fixes (1 seed at the fewest runs, half of the finders "
                 "at the median, all at the most)")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def save_bench_plots(data: Mapping[str, Any], directory: str | Path) -> list[Path]:
    """Write the plots of a bench's data (or document) into `directory` (each as SVG and
    PNG, those of an empty table left out); the paths written."""
    directory = Path(directory)
    written: list[Path] = []
    if data.get("growth"):
        written += save_figure(growth_figure(data["growth"], "layers", "gc_runs"), directory / PLOTS[0])
        written += save_figure(growth_figure(data["growth"], "gc_runs", "layers"), directory / PLOTS[1])
    if data.get("sampling"):
        written += save_figure(sampling_figure(data["sampling"]), directory / PLOTS[2])
    return written


__all__ = ["PLOTS", "found_points", "growth_figure", "sampling_figure", "save_bench_plots"]
