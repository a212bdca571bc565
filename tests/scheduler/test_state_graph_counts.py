"""Counting brute-force executions and states on the state graph (which DFS with state
caching records) agrees with enumerating them with the kernel alone, and with the
multinomial where every interleaving is possible."""

from __future__ import annotations

import pytest
from toy_world import (
    bank_account,
    count_executions,
    distinct_states,
    independent_program,
    locked_counter,
    multinomial,
    opposite_locks,
    racy_counter,
    spender_and_depositor,
)
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.state_graph import count_interleavings
from unpack_race.scheduler.strategies import DepthFirst


@pytest.mark.parametrize("sizes", [(1, 1), (2, 2, 2), (4, 3, 1), (3, 3)])
def test_the_path_count_of_independent_actors_is_the_multinomial(sizes):
    assert count_interleavings(independent_program(sizes)).interleavings == multinomial(sizes)


@pytest.mark.parametrize(
    "make",
    [racy_counter, locked_counter, lambda: bank_account(locked=False), lambda: bank_account(locked=True),
     opposite_locks, spender_and_depositor, lambda: independent_program((2, 2, 1))],
    ids=["racy-counter", "locked-counter", "bank", "bank-locked", "opposite-locks", "spender", "independent"],
)
def test_the_path_and_state_counts_equal_a_kernel_only_enumeration(make):
    program = make()
    count = count_interleavings(program)
    assert count.interleavings == count_executions(program)
    assert count.states == distinct_states(program)
    assert explore(program.all_daemons(), DepthFirst(state_caching=True)).states == count.states
