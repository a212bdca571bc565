"""The state-graph picture: for a hand-derived program its exact states and steps; for a
classic its node count equals the distinct states of a DFS with state caching (the
search's own count, in its result); a schedule's path ends in its violating state; the
same bytes in another process under another PYTHONHASHSEED; and past the size limit the
command refuses in one line naming the bounds to lower."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from unpack_race.reports.figures.limits import MAX_STATES
from unpack_race.reports.figures.state_graph import save_state_graph, state_graph_network
from unpack_race.scenarios.api.drawing import state_graph_of
from unpack_race.scenarios.base import ParamError
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.shared_memory import Read, Write, pthread_program
from unpack_race.scheduler.state_graph import TooManyStates, state_graph
from unpack_race.scheduler.strategies import DepthFirst

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "scenarios" / "corpus"
ACCOUNT = CORPUS / "account-bad.as-written.schedule.json"


def t1():
    yield Write("x", 1)


def t2():
    yield Read("x")
    yield Write("x", 2)


CHAIN = pthread_program("chain", {"x": 0}, [], [("t1", t1), ("t2", t2)])


def test_a_hand_derived_program_has_nine_states_and_eight_steps():
    # (t1's steps, t2's steps, what t2 read, x): (0,0,-,0) (1,0,-,1) (0,1,0,0) (1,1,1,1) (1,1,0,1)
    # (0,2,0,2) (1,2,1,2) (1,2,0,2) (1,2,0,1): t2 reads 0 or 1, and t1's write may come last
    network = state_graph_network(state_graph(CHAIN), path=("t1", "t2", "t2"), violating=True)
    assert len(network) == 9 and network.number_of_edges() == 8
    assert sorted(n for n, d in network.nodes(data=True) if d["final"] == "yes") == ["s6", "s7", "s8"]
    assert [n for n, d in network.nodes(data=True) if d["role"] != "state"] == ["s0", "s1", "s3", "s6"]
    assert network.nodes["s6"]["role"] == "violating" and network.nodes["s6"]["depth"] == 3
    assert {d["actor"] for _, _, d in network.out_edges("s0", data=True)} == {"t1", "t2"}


def test_the_classic_s_node_count_is_the_dfs_search_s_distinct_states(tmp_path):
    drawn = state_graph_of(ACCOUNT, max_states=2_000)
    searched = explore(drawn.loaded.built.program.all_daemons(), DepthFirst(state_caching=True))
    written = save_state_graph(drawn.graph, tmp_path / "account", drawn.path, drawn.violating)
    read = nx.read_graphml(tmp_path / "account.graphml")
    assert len(read) == searched.states == 32  # the committed bench's states for dfs+cache on account_bad
    path = [n for n, d in read.nodes(data=True) if d["role"] != "state"]
    assert len(path) == len(drawn.path) + 1 and read.nodes[path[-1]]["role"] == "violating"
    assert [p.suffix for p in written] == [".svg", ".png", ".dot", ".graphml"]
    dot = (tmp_path / "account.dot").read_text()
    assert dot.count(" -> ") == read.number_of_edges() and dot.count(' [blocked="') == len(read)


DRAW = """
import sys
from pathlib import Path
from unpack_race.reports.figures.state_graph import save_state_graph
from unpack_race.scenarios.api.drawing import state_graph_of
drawn = state_graph_of(sys.argv[1], max_states=2000)
save_state_graph(drawn.graph, Path(sys.argv[2]) / "g", drawn.path, drawn.violating)
"""


def test_the_files_have_the_same_bytes_in_another_process(tmp_path):
    for seed in ("0", "1"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", DRAW, str(ACCOUNT), str(tmp_path / seed)], check=True, env=env)
    for suffix in ("svg", "png", "dot", "graphml"):
        assert (tmp_path / "0" / f"g.{suffix}").read_bytes() == (tmp_path / "1" / f"g.{suffix}").read_bytes(), suffix


def test_past_the_limit_the_search_stops_and_says_which_bounds_to_lower():
    with pytest.raises(TooManyStates):
        state_graph(CHAIN, max_states=8)
    assert len(state_graph_network(state_graph(CHAIN, max_states=9))) == 9
    with pytest.raises(ParamError) as refused:
        state_graph_of(CORPUS / "retry-after-cancel.stat-early-return.no-kmutex.schedule.json", max_states=2_000)
    message = str(refused.value)
    assert "\n" not in message and "more than 2,000 states, too many to draw" in message
    assert "(e.g. --kmutex)" in message and "raise --max-states" in message  # the parameter it changed, restored
    with pytest.raises(ParamError) as refused:
        state_graph_of(CORPUS / "retry-after-cancel.stat-early-return.schedule.json", max_states=100)
    assert "--layers 1 (now 2) or --gc-runs 0 (now 1)" in str(refused.value)


def crossings(network: nx.DiGraph, place: dict[str, float]) -> int:
    """The pairs of steps that cross between two rows, for states placed at `place` (x):
    two edges u1->v1, u2->v2 between the same rows cross when their ends swap order."""
    by_rows: dict[int, list[tuple[float, float]]] = {}
    for u, v in network.edges():
        by_rows.setdefault(network.nodes[u]["depth"], []).append((place[u], place[v]))
    return sum((a[0] - b[0]) * (a[1] - b[1]) < 0
               for lines in by_rows.values() for i, a in enumerate(lines) for b in lines[i + 1:])


def test_the_rows_are_ordered_to_cross_fewer_steps_than_the_state_numbers_would():
    """The canonical 3787 graph (1,575 states under gc-policy any, 2,449 under the GC
    scheduler) drew as a mesh with its states in number order; the barycentre ordering
    must cross markedly fewer steps, counted here directly."""
    from unpack_race.reports.figures.state_graph import positions

    drawn = state_graph_of(CORPUS / "retry-after-cancel.stat-early-return-no-lease.schedule.json", max_states=MAX_STATES)
    network = state_graph_network(drawn.graph, drawn.path, drawn.violating)
    rows: dict[int, list[str]] = {}
    for node, data in network.nodes(data=True):  # the state numbers' order, spread as positions() spreads
        rows.setdefault(data["depth"], []).append(node)
    widest = max(len(row) for row in rows.values())
    numbered = {n: (k + 0.5) * widest / len(row) for row in rows.values() for k, n in enumerate(row)}
    ordered = {n: x for n, (x, _) in positions(network).items()}
    assert crossings(network, ordered) < 0.7 * crossings(network, numbered)
