"""The state graph of a program for small bounds, drawn: every distinct state (as state
caching keys it, recorded by scheduler.state_graph) and the steps between them, the path
of a schedule through it highlighted, ending in its violating state; and the same graph
exported as DOT and GraphML (graph_files.py).

States are numbered s0, s1, ... breadth-first from the initial state, the actors of a
state's steps in sorted order, so the numbering and the layout are fixed by the graph: a
state's row is its depth (the steps taken to reach it, the same along every path, since
a state's key holds every actor's history), and its place in the row is chosen to cross
few edges (the barycentre heuristic, `rows_ordered`). Each actor's steps have their own
colour, so that who moved where reads off the picture even when it is dense.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.collections import LineCollection
from unpack_race.reports.figures.graph_files import save_graph
from unpack_race.reports.figures.happens_before import shortened
from unpack_race.reports.figures.limits import MAX_STATES
from unpack_race.reports.figures.saving import save_figure
from unpack_race.scheduler.state_graph import StateGraph

#: up to this many states each is labelled with its name, each step with its actor
LABELLED = 60
STATE, PATH, VIOLATING = "state", "path", "violating"
COLOURS = {STATE: "#9db4d6", PATH: "#ff9933", VIOLATING: "#dd0000"}
#: the actors' step colours: tab10 without its orange and red, which mark the path
ACTOR_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def numbered(graph: StateGraph) -> dict[Hashable, int]:
    """Each state's number: breadth-first from the initial state, actors in sorted order."""
    number = {graph.root: 0}
    queue = [graph.root]
    for state in queue:
        out = graph.edges.get(state, {})
        for actor in sorted(out):
            child = out[actor][0]
            if child not in number:
                number[child] = len(number)
                queue.append(child)
    return number


def state_graph_network(graph: StateGraph, path: Sequence[str] = (), violating: bool = False) -> nx.DiGraph:
    """The state graph as a networkx DiGraph on "s0", "s1", ...: each node has `depth`,
    `final` (yes/no), `blocked` (the actors a final state leaves blocked) and `role`
    (state, path, violating); each edge `actor`, `step` (its narration, shortened) and
    `on_path` (yes/no). `path` is a schedule's actors in order, followed from the initial
    state; with `violating`, the state it ends in is the violating one."""
    number = numbered(graph)
    on_path, state = [graph.root], graph.root
    for actor in path:
        if actor not in graph.edges.get(state, {}):
            raise ValueError(f"the path leaves the state graph at step {len(on_path) - 1}: {actor} cannot move there")
        state = graph.edges[state][actor][0]
        on_path.append(state)
    path_edges = set(zip(on_path, on_path[1:]))
    depth = {graph.root: 0}
    for state in number:  # breadth-first: a state's parents come first
        for child, _ in graph.edges.get(state, {}).values():
            depth.setdefault(child, depth[state] + 1)
    network = nx.DiGraph(name="state-graph", rankdir="TB")
    for state in sorted(number, key=number.get):
        role = VIOLATING if violating and state == on_path[-1] else PATH if state in on_path else STATE
        network.add_node(f"s{number[state]}", depth=depth[state], final="yes" if state in graph.finals else "no",
                         blocked=",".join(graph.finals.get(state, ())), role=role)
    for state in sorted(number, key=number.get):
        out = graph.edges.get(state, {})
        for actor in sorted(out):
            child, step = out[actor]
            network.add_edge(f"s{number[state]}", f"s{number[child]}", actor=actor, step=shortened(step.narrate()),
                             on_path="yes" if (state, child) in path_edges else "no")
    return network


def rows_ordered(network: nx.DiGraph, sweeps: int = 4) -> dict[int, list[str]]:
    """The states of each row (depth), ordered to cross few edges: the barycentre
    heuristic of Sugiyama, Tagawa and Toda (1981), as Graphviz's dot uses it. Rows start
    in state-number order; then, sweep after sweep, alternately downwards and upwards,
    each state moves to the mean place of its neighbours in the row before (ties and
    states with no such neighbour keep their order). Deterministic: it depends only on
    the graph."""
    rows: dict[int, list[str]] = {}
    for node, data in network.nodes(data=True):
        rows.setdefault(data["depth"], []).append(node)
    depths = sorted(rows)
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        order = depths[1:] if down else depths[-2::-1]
        for depth in order:
            before = rows.get(depth - 1 if down else depth + 1, [])
            place = {node: k for k, node in enumerate(before)}
            current = rows[depth]

            def centre(item: tuple[int, str]) -> tuple[float, int]:
                k, node = item
                near = network.predecessors(node) if down else network.successors(node)
                seen = [place[n] for n in near if n in place]
                return (sum(seen) / len(seen) * len(current) / max(len(before), 1) if seen else k, k)

            rows[depth] = [node for _, node in sorted(enumerate(current), key=centre)]
    return rows


def positions(network: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """Each state's place: its row its depth (downwards), spread evenly across the row in
    the order `rows_ordered` gives."""
    rows = rows_ordered(network)
    widest = max((len(row) for row in rows.values()), default=1)
    placed = {}
    for depth, row in rows.items():
        for k, node in enumerate(row):
            placed[node] = ((k + 0.5) * widest / len(row), -depth)
    return placed


def draw_state_graph(network: nx.DiGraph, title: str = "") -> plt.Figure:
    """The network of `state_graph_network`, drawn row by row, the path in front."""
    placed = positions(network)
    depth = max((data["depth"] for _, data in network.nodes(data=True)), default=0)
    widest = max((x for x, _ in placed.values()), default=1.0) + 0.5
    labelled = len(network) <= LABELLED
    fig, ax = plt.subplots(figsize=(min(16.0, max(5.0, 0.5 * widest + 2)), min(22.0, max(4.0, 0.45 * depth + 1.5))))
    actors = sorted({data["actor"] for _, _, data in network.edges(data=True)})
    for a, actor in enumerate(actors):  # each actor's steps in its own colour, faint where there are many
        lines = [(placed[u], placed[v]) for u, v, data in network.edges(data=True)
                 if data["on_path"] == "no" and data["actor"] == actor]
        ax.add_collection(LineCollection(lines, colors=ACTOR_COLOURS[a % len(ACTOR_COLOURS)], alpha=0.6 if labelled else 0.4,
                                         linewidths=0.6 if labelled else 0.4, zorder=1))
        ax.plot([], [], color=ACTOR_COLOURS[a % len(ACTOR_COLOURS)], linewidth=1.2, label=f"a step of {actor}")
    lines = [(placed[u], placed[v]) for u, v, data in network.edges(data=True) if data["on_path"] == "yes"]
    ax.add_collection(LineCollection(lines, colors=COLOURS[PATH], linewidths=2.4, zorder=2))
    size = 60 if labelled else max(4.0, 600 / max(len(network), 1) ** 0.5)
    for role in (STATE, PATH, VIOLATING):
        nodes = [node for node, data in network.nodes(data=True) if data["role"] == role]
        if nodes:
            ax.scatter([placed[n][0] for n in nodes], [placed[n][1] for n in nodes], s=size * (3 if role == VIOLATING
                       else 1), c=COLOURS[role], edgecolors="#333333", linewidths=0.3, zorder=3, label=role)
    if labelled:
        for node, (x, y) in placed.items():
            ax.annotate(node, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=6, zorder=4)
        for u, v, data in network.edges(data=True):
            (x1, y1), (x2, y2) = placed[u], placed[v]
            ax.text((x1 + x2) / 2, (y1 + y2) / 2, data["actor"], fontsize=5, color="#555555", ha="center")
    ax.set_xlim(-0.2, widest)
    ax.set_ylim(-depth - 0.7, 0.7)
    ax.set_ylabel("steps taken")
    ax.set_xticks([])
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    ax.set_title(title or f"{len(network):,} states, {network.number_of_edges():,} steps", fontsize=9)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def save_state_graph(graph: StateGraph, stem: str | Path, path: Sequence[str] = (), violating: bool = False,
                     title: str = "") -> list[Path]:
    """Write `stem`.svg, .png, .dot and .graphml of the state graph; the paths written."""
    network = state_graph_network(graph, path, violating)
    return save_figure(draw_state_graph(network, title), stem) + save_graph(network, stem, "state-graph")


__all__ = ["MAX_STATES", "draw_state_graph", "numbered", "positions", "rows_ordered", "save_state_graph", "state_graph_network"]
