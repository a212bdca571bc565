"""Exhaustive DFS without state caching enumerates exactly the interleavings: as many as
the multinomial coefficient says, and the very set of topological orders of the actors'
chains of steps (computed independently by networkx)."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toy_world import Recording, independent_program, merges, multinomial
from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import PASS, explore
from unpack_race.scheduler.strategies import DepthFirst


def chains(sizes: tuple[int, ...]) -> list[list[str]]:
    return [[f"a{i}"] * n for i, n in enumerate(sizes)]


def topological_interleavings(sizes: tuple[int, ...]) -> set[tuple[str, ...]]:
    """Every order of the steps that keeps each actor's own steps in order, as networkx
    computes the topological sorts of the actors' chains."""
    graph = nx.DiGraph()
    for i, n in enumerate(sizes):
        chain = [(f"a{i}", k) for k in range(n)]
        graph.add_nodes_from(chain)
        graph.add_edges_from(zip(chain, chain[1:]))
    return {tuple(actor for actor, _ in order) for order in nx.all_topological_sorts(graph)}


def run_plain_dfs(sizes: tuple[int, ...]) -> tuple[Recording, object]:
    recording = Recording()
    result = explore(independent_program(sizes), DepthFirst(state_caching=False), on_run=recording)
    return recording, result


def assert_dfs_enumerates_exactly_the_interleavings(sizes: tuple[int, ...]) -> None:
    recording, result = run_plain_dfs(sizes)
    interleavings = recording.interleavings()
    assert result.verdict == PASS
    assert result.executions == multinomial(sizes)
    assert len(interleavings) == multinomial(sizes)
    assert len(set(interleavings)) == len(interleavings), "an interleaving was explored twice"
    assert interleavings == [tuple(m) for m in merges(chains(sizes))]  # the same, in the same order
    assert result.steps == multinomial(sizes) * sum(sizes)


@pytest.mark.parametrize(
    "sizes, expected",
    [
        ((1, 1), 2),
        ((2, 2), 6),
        ((3, 2), 10),
        ((1, 1, 1, 1), 24),
        ((2, 2, 2), 90),
        ((4, 3, 1), 280),
        ((5,), 1),
    ],
)
def test_dfs_without_caching_explores_the_multinomial_number_of_executions(sizes, expected):
    assert multinomial(sizes) == expected  # the formula itself, on numbers worked by hand
    assert_dfs_enumerates_exactly_the_interleavings(sizes)


def test_the_two_references_agree_with_a_hand_enumeration_and_with_each_other():
    by_hand = [("a0", "a0", "a1"), ("a0", "a1", "a0"), ("a1", "a0", "a0")]
    assert topological_interleavings((2, 1)) == set(by_hand)
    assert [tuple(m) for m in merges(chains((2, 1)))] == by_hand
    for sizes in [(1, 1), (2, 2), (3, 1, 2), (0, 2), (4,)]:
        merged = [tuple(m) for m in merges(chains(sizes))]
        assert len(merged) == len(set(merged)) == multinomial(sizes)
        assert set(merged) == topological_interleavings(sizes)


def test_dfs_without_caching_explores_interleavings_in_lexicographic_program_order():
    recording, _ = run_plain_dfs((2, 1))
    assert recording.interleavings() == [
        ("a0", "a0", "a1"),
        ("a0", "a1", "a0"),
        ("a1", "a0", "a0"),
    ]


def test_every_execution_of_independent_actors_ends_in_the_same_world():
    recording, _ = run_plain_dfs((2, 3, 1))
    assert len(recording.final_vars) == multinomial((2, 3, 1))
    assert all(final == {"x0": 2, "x1": 3, "x2": 1} for final in recording.final_vars)


def test_dfs_without_caching_claims_an_exhaustive_search_with_its_execution_count():
    _, result = run_plain_dfs((2, 2))
    assert claim(result) == (
        "exhaustive within bounds (none), DFS without reduction: 6 executions, 0 violations"
    )
    assert result.states is None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=3).map(tuple))
def test_dfs_without_caching_matches_the_topological_sorts_for_any_small_sizes(sizes):
    assert_dfs_enumerates_exactly_the_interleavings(sizes)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=3).map(tuple))
def test_dfs_with_caching_visits_every_combination_of_progress_exactly_once(sizes):
    # A state of independent actors is "how far each actor got": prod(n_i + 1) of them,
    # the final one included.
    result = explore(independent_program(sizes), DepthFirst(state_caching=True))
    assert result.verdict == PASS
    assert result.states == math.prod(n + 1 for n in sizes)
    assert result.executions <= multinomial(sizes)
