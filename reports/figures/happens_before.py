"""The happens-before graph of a run, drawn: its transitive reduction (the fewest edges that
keep the same order; scheduler.happens_before builds it), one lane per actor, the steps
going down in the order they were taken, the racing pair and the violating step
highlighted when given; and the same graph exported as DOT and GraphML (graph_files.py).

The layout is fixed by the run, not computed: a step's lane is its actor's (in the order
the actors first move) and its height its index, so the same run is drawn the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.patches import FancyArrowPatch
from unpack_race.reports.figures.graph_files import save_graph
from unpack_race.reports.figures.saving import save_figure
from unpack_race.scheduler.happens_before import CONFLICT, happens_before
from unpack_race.scheduler.kernel import Step

LABEL_CHARS = 44
#: a step's role in the picture, and its colour
PLAIN, RACING, VIOLATING = "step", "racing", "violating"
COLOURS = {PLAIN: "#f2f2f2", RACING: "#ffcc66", VIOLATING: "#ff6666"}
EDGE_COLOURS = {"program-order": "#999999", CONFLICT: "#3366cc", RACING: "#cc0000"}


def shortened(text: str, limit: int = LABEL_CHARS) -> str:
    """`text`, cut to `limit` characters with an ellipsis where it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def step_label(step: Step) -> str:
    """'i actor: narration', shortened (the narration's own leading actor name said once)."""
    narration = step.narrate().removeprefix(f"{step.actor}:").removeprefix(f"{step.actor} ").strip()
    return shortened(f"{step.index} {step.actor}: {narration}")


def happens_before_graph(steps: Sequence[Step], racing: tuple[int, int] | None = None,
                         violating: int | None = None) -> nx.DiGraph:
    """The transitive reduction of the steps' happens-before graph, ready to draw and export:
    each node (a step index) has `label`, `actor`, `lane`, `effect` and `role` (step,
    racing, violating); each edge `kind` (program-order, conflict, or racing for the
    racing pair's edge when the reduction keeps it) and `resources` (comma-separated)."""
    reduced = happens_before(steps, reduce=True)
    lanes: dict[str, int] = {}
    for step in steps:
        lanes.setdefault(step.actor, len(lanes))
    graph = nx.DiGraph(name="happens-before", rankdir="TB")
    for step in steps:
        role = VIOLATING if step.index == violating else RACING if racing and step.index in racing else PLAIN
        graph.add_node(step.index, label=step_label(step), actor=step.actor, lane=lanes[step.actor],
                       effect=type(step.effect).__name__, role=role)
    for u, v in sorted(reduced.edges):
        data = reduced.edges[u, v]
        kind = RACING if racing == (u, v) else data["kind"]
        graph.add_edge(u, v, kind=kind, resources=",".join(data["resources"]))
    return graph


def draw_happens_before(graph: nx.DiGraph, title: str = "") -> plt.Figure:
    """The graph of `happens_before_graph`, drawn: a lane per actor, steps downwards."""
    lanes = sorted({data["lane"]: data["actor"] for _, data in graph.nodes(data=True)}.items())
    rows = len(graph) or 1
    fig, ax = plt.subplots(figsize=(max(4.0, 3.4 * len(lanes)), max(2.5, 0.42 * rows + 1.2)))
    position = {node: (data["lane"], -node) for node, data in graph.nodes(data=True)}
    for u, v, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = position[u], position[v]
        curve = 0.0 if x1 == x2 else (0.15 if x2 > x1 else -0.15)
        ax.add_patch(FancyArrowPatch((x1, y1 - 0.25), (x2, y2 + 0.25), arrowstyle="-|>", mutation_scale=9,
                                     connectionstyle=f"arc3,rad={curve}", color=EDGE_COLOURS[data["kind"]],
                                     linewidth=2.2 if data["kind"] == RACING else 0.9, zorder=1))
    for node, data in graph.nodes(data=True):
        x, y = position[node]
        ax.text(x, y, data["label"], ha="center", va="center", fontsize=7, zorder=2,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": COLOURS[data["role"]], "edgecolor": "#555555",
                      "linewidth": 0.6})
    for lane, actor in lanes:
        ax.text(lane, 1.0, actor, ha="center", va="bottom", fontsize=9, fontweight="bold")
    ax.set_xlim(-0.6, len(lanes) - 0.4)
    ax.set_ylim(-rows - 0.2, 1.8)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def save_happens_before(steps: Sequence[Step], stem: str | Path, racing: tuple[int, int] | None = None,
                        violating: int | None = None, title: str = "") -> list[Path]:
    """Write `stem`.svg, .png, .dot and .graphml of the steps' happens-before graph; the paths written."""
    graph = happens_before_graph(steps, racing, violating)
    return save_figure(draw_happens_before(graph, title), stem) + save_graph(graph, stem, "happens-before")


__all__ = ["happens_before_graph", "draw_happens_before", "save_happens_before", "shortened", "step_label"]
