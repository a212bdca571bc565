"""The happens-before picture of a run: its DOT and GraphML hold exactly the edges of the
transitive reduction, computed here from the run's footprints (a hand-derived small run,
and the corpus's issue-3787 counterexample), the racing pair and the violating step are
marked, and the same run gives the same bytes twice."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import networkx as nx
from unpack_race.reports.figures.graph_files import dot_text, graphml_text
from unpack_race.reports.figures.happens_before import (
    draw_happens_before,
    happens_before_graph,
    save_happens_before,
    step_label,
)
from unpack_race.reports.figures.saving import figure_bytes
from unpack_race.scenarios import api
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.shared_memory import Read, Write, pthread_program

ROOT = Path(__file__).resolve().parents[2]
SCHEDULE = ROOT / "scenarios" / "corpus" / "retry-after-cancel.stat-early-return-no-lease.schedule.json"


def chain_run():
    """t1 writes x; t2 reads x, then writes it. Every pair is dependent (x, and t2's program
    order), so the reduction is the chain 0 -> 1 -> 2, without 0 -> 2."""
    def t1():
        yield Write("x", 1)

    def t2():
        yield Read("x")
        yield Write("x", 2)

    execution = Execution(pthread_program("chain", {"x": 0}, [], [("t1", t1), ("t2", t2)]), footprints=True)
    return tuple(execution.step(actor) for actor in ("t1", "t2", "t2"))


def reduction_from_footprints(steps) -> set[tuple[int, int]]:
    """The transitive reduction of the dependence order, computed here: i before j when the
    same actor took both or one writes what the other reads or writes ("*" standing for
    every resource, on either side)."""
    def meet(writes, touched):
        return bool(writes and touched and ("*" in writes or "*" in touched or writes & touched))

    order = nx.DiGraph()
    order.add_nodes_from(s.index for s in steps)
    for a, b in itertools.combinations(steps, 2):
        fa, fb = a.footprint, b.footprint
        if a.actor == b.actor or meet(fa.writes, fb.reads | fb.writes) or meet(fb.writes, fa.reads | fa.writes):
            order.add_edge(a.index, b.index)
    return set(nx.transitive_reduction(order).edges)


def dot_edges(text: str) -> set[tuple[int, int]]:
    return {(int(u), int(v)) for u, v in re.findall(r'^  "(\d+)" -> "(\d+)"', text, flags=re.M)}


def dot_nodes(text: str) -> set[int]:
    return {int(n) for n in re.findall(r'^  "(\d+)" \[', text, flags=re.M)}


def graphml_graph(text: str, tmp_path: Path) -> nx.DiGraph:
    path = tmp_path / "read.graphml"
    path.write_text(text)
    return nx.read_graphml(path)


def test_a_hand_derived_chain_keeps_only_its_two_covering_edges(tmp_path):
    graph = happens_before_graph(chain_run())
    text = dot_text(graph, "happens-before")
    assert dot_edges(text) == {(0, 1), (1, 2)} and dot_nodes(text) == {0, 1, 2}
    read = graphml_graph(graphml_text(graph), tmp_path)
    assert set(read.edges) == {("0", "1"), ("1", "2")}
    assert read.nodes["0"]["label"] == "0 t1: writes x = 1" and read.edges["0", "1"]["resources"] == "var/x"


def test_the_issue_3787_run_exports_exactly_the_reduction_of_its_footprints(tmp_path):
    explained = api.explain(str(SCHEDULE))
    steps, racing = explained.explanation.steps, explained.explanation.racing
    violating = explained.explanation.violation.step_index
    expected = reduction_from_footprints(steps)
    written = save_happens_before(steps, tmp_path / "race", racing, violating)
    assert [p.name for p in written] == ["race.svg", "race.png", "race.dot", "race.graphml"]
    text = (tmp_path / "race.dot").read_text()
    assert dot_edges(text) == expected and dot_nodes(text) == {s.index for s in steps}
    read = graphml_graph((tmp_path / "race.graphml").read_text(), tmp_path)
    assert {(int(u), int(v)) for u, v in read.edges} == expected
    roles = {int(n): d["role"] for n, d in read.nodes(data=True)}
    assert roles[violating] == "violating" and roles[racing[0]] == "racing"
    assert sum(role != "step" for role in roles.values()) == len({*racing, violating})
    assert read.nodes[str(violating)]["label"].startswith(f"{violating} {steps[violating].actor}: ")


def test_labels_are_shortened_and_the_same_run_draws_the_same_bytes_twice(tmp_path):
    explained = api.explain(str(SCHEDULE))
    steps = explained.explanation.steps
    assert all(len(step_label(s)) <= 44 for s in steps) and any(step_label(s).endswith("\u2026") for s in steps)
    first = save_happens_before(steps, tmp_path / "a", explained.explanation.racing)
    second = save_happens_before(steps, tmp_path / "b", explained.explanation.racing)
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.suffix
    graph = happens_before_graph(steps)
    assert figure_bytes(draw_happens_before(graph), "svg") == figure_bytes(draw_happens_before(graph), "svg")
