"""Counting brute-force executions on the state graph agrees with enumerating them."""

from __future__ import annotations

import math

import pytest

from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.state_graph import count_interleavings
from unpack_race.scheduler.strategies import DepthFirst
from shared_memory import bank_account, independent_program, locked_counter, racy_counter


@pytest.mark.parametrize("sizes", [(1, 1), (2, 2, 2), (4, 3, 1), (3, 3)])
def test_the_path_count_of_independent_actors_is_the_multinomial(sizes):
    expected = math.factorial(sum(sizes)) // math.prod(math.factorial(n) for n in sizes)
    assert count_interleavings(independent_program(sizes)).interleavings == expected


@pytest.mark.parametrize(
    "make",
    [racy_counter, locked_counter, lambda: bank_account(locked=False), lambda: bank_account(locked=True)],
    ids=["racy-counter", "locked-counter", "bank", "bank-locked"],
)
def test_the_path_count_equals_the_executions_of_plain_dfs(make):
    program = make()
    plain = explore(program, DepthFirst(state_caching=False))
    count = count_interleavings(program)
    assert count.interleavings == plain.executions
    cached = explore(program, DepthFirst(state_caching=True))
    assert count.states == cached.states
