"""A networkx graph written as DOT (Graphviz's text format, written here: a few lines, no
pydot needed) and as GraphML (networkx's writer), with the same bytes for the same graph:
nodes and edges in the graph's insertion order, attributes in sorted order, every value
written as text. The pictures' graphs (happens_before.py, state_graph.py) are exported
with `save_graph`."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from unpack_race.scheduler.files import write_atomically


def _quoted(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _attributes(data: dict) -> str:
    if not data:
        return ""
    return " [" + ", ".join(f"{key}={_quoted(data[key])}" for key in sorted(data)) + "]"


def dot_text(graph: nx.DiGraph, name: str) -> str:
    """The directed graph in DOT: its graph attributes (graph.graph), then every node and
    every edge with its attributes."""
    lines = [f"digraph {_quoted(name)} {{"]
    lines += [f"  {key}={_quoted(graph.graph[key])};" for key in sorted(graph.graph)]
    lines += [f"  {_quoted(node)}{_attributes(data)};" for node, data in graph.nodes(data=True)]
    lines += [f"  {_quoted(u)} -> {_quoted(v)}{_attributes(data)};" for u, v, data in graph.edges(data=True)]
    return "\n".join(lines) + "\n}\n"


def graphml_text(graph: nx.DiGraph) -> str:
    """The graph in GraphML, its attributes declared and written in sorted order (as text,
    so that every value reads back as it was written)."""
    plain = nx.DiGraph()
    plain.graph.update({key: str(graph.graph[key]) for key in sorted(graph.graph)})
    plain.add_nodes_from((str(node), {k: str(data[k]) for k in sorted(data)}) for node, data in graph.nodes(data=True))
    plain.add_edges_from((str(u), str(v), {k: str(data[k]) for k in sorted(data)})
                         for u, v, data in graph.edges(data=True))
    return "\n".join(nx.generate_graphml(plain)) + "\n"


def save_graph(graph: nx.DiGraph, stem: str | Path, name: str) -> list[Path]:
    """Write `stem`.dot and `stem`.graphml, atomically; the paths written."""
    return [write_atomically(Path(f"{stem}.dot"), dot_text(graph, name)),
            write_atomically(Path(f"{stem}.graphml"), graphml_text(graph))]


__all__ = ["dot_text", "graphml_text", "save_graph"]
