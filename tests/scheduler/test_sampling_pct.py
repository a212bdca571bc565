"""PCT (Burckhardt et al., ASPLOS 2010): seeded and deterministic; random distinct
priorities d..d+n-1; d-1 change points over the counted steps; always the
highest-priority runnable actor; and a claim whose miss probability is the paper's bound."""

from __future__ import annotations

import re

import pytest
from toy_world import (
    Recording,
    bank_account,
    independent_program,
    no_lost_update,
    racy_counter,
)
from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import PASS, VIOLATION, explore
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.strategies.pct import PCT, miss_probability


class Observed(Recording):
    """Records, besides the runs, what PCT drew for each (the explorer hands over each
    run before the next one starts)."""

    def __init__(self, pct: PCT) -> None:
        super().__init__()
        self.pct = pct
        self.draws: list[tuple[dict[str, int], dict[int, int]]] = []

    def __call__(self, run) -> None:
        super().__call__(run)
        self.draws.append((self.pct.initial_priorities(), self.pct.change_points()))


def observe(program, **pct) -> Observed:
    strategy = PCT(**pct)
    observed = Observed(strategy)
    explore(program, strategy, on_run=observed)
    return observed


def pct_schedule(program, initial: dict[str, int], change_points: dict[int, int]) -> tuple[str, ...]:
    """The schedule the paper's algorithm gives for these draws, restated plainly."""
    execution, priority, counted, order = Execution(program), dict(initial), 0, []
    while runnable := execution.runnable():
        if len(runnable) > 1:
            counted += 1
            if counted in change_points:
                priority[max(runnable, key=priority.__getitem__)] = change_points[counted]
        choice = max(runnable, key=priority.__getitem__)
        execution.step(choice)
        order.append(choice)
    return tuple(order)


def preemptions(order: tuple[str, ...], sizes: dict[str, int]) -> int:
    """Switches away from an actor that still had steps left (every step is enabled)."""
    left, count = dict(sizes), 0
    for before, after in zip(order, order[1:]):
        left[before] -= 1
        if after != before and left[before] > 0:
            count += 1
    return count


def counted_steps(order: tuple[str, ...], sizes: dict[str, int]) -> int:
    """Steps taken while more than one actor could move (all steps always enabled)."""
    left, counted = dict(sizes), 0
    for actor in order:
        if sum(1 for n in left.values() if n > 0) > 1:
            counted += 1
        left[actor] -= 1
    return counted


SIZES = (3, 4, 2)
NAMES = {f"a{i}": n for i, n in enumerate(SIZES)}


# -- determinism ------------------------------------------------------------------------------


def test_the_same_pct_seed_gives_the_same_sequence_of_actor_choices():
    first = observe(racy_counter(3, rounds=2), runs=30, seed=42, depth=3)
    second = observe(racy_counter(3, rounds=2), runs=30, seed=42, depth=3)
    assert len(first.interleavings()) == 30
    assert first.interleavings() == second.interleavings()
    assert first.draws == second.draws


def test_different_pct_seeds_give_different_actor_choices():
    one = observe(racy_counter(3, rounds=2), runs=30, seed=1, depth=3)
    two = observe(racy_counter(3, rounds=2), runs=30, seed=2, depth=3)
    assert one.interleavings() != two.interleavings()


def test_pct_touches_no_global_random_state():
    import random

    random.seed(99)
    expected = random.random()
    random.seed(99)
    observe(racy_counter(3), runs=5, seed=3, depth=2)
    assert random.random() == expected


# -- the mechanics ------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_initial_priorities_are_a_random_order_of_d_to_d_plus_n_minus_one(depth):
    observed = observe(independent_program(SIZES), runs=40, seed=depth, depth=depth)
    orders = set()
    for initial, _ in observed.draws:
        assert list(initial) == list(NAMES)  # keyed in program order
        assert sorted(initial.values()) == list(range(depth, depth + len(SIZES)))
        orders.add(tuple(sorted(initial, key=initial.__getitem__)))
    assert len(orders) == 6  # 40 runs meet all 3! orders of three actors


def test_with_depth_one_pct_never_preempts_each_run_is_whole_actors_by_priority():
    observed = observe(independent_program(SIZES), runs=30, seed=7, depth=1)
    seen = set()
    for order, (initial, change_points) in zip(observed.interleavings(), observed.draws):
        assert change_points == {}
        by_priority = sorted(NAMES, key=initial.__getitem__, reverse=True)
        assert order == tuple(name for name in by_priority for _ in range(NAMES[name]))
        assert preemptions(order, NAMES) == 0
        seen.add(order)
    assert len(seen) > 1  # the order of the whole actors does vary


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_change_points_are_d_minus_one_distinct_counted_steps_carrying_priorities_one_to_d_minus_one(depth):
    strategy = PCT(runs=25, seed=11, depth=depth, k=6)
    observed = Observed(strategy)
    explore(independent_program(SIZES), strategy, on_run=observed)
    for _, change_points in observed.draws:
        assert sorted(change_points.values()) == list(range(1, depth))
        assert all(1 <= point <= strategy.k for point in change_points)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_each_run_follows_the_papers_algorithm_for_its_draws_and_preempts_at_most_d_minus_one_times(depth):
    program = independent_program(SIZES)
    observed = observe(program, runs=60, seed=100 + depth, depth=depth)
    most = 0
    for order, (initial, change_points) in zip(observed.interleavings(), observed.draws):
        assert order == pct_schedule(program, initial, change_points)
        count = preemptions(order, NAMES)
        assert count <= depth - 1
        most = max(most, count)
    assert most == depth - 1  # and the change points do preempt


def test_a_change_point_demotes_the_actor_that_would_move_at_that_counted_step():
    # Depth 2, k = 1 for the first run: its only change point is counted step 1, so the
    # actor with the highest initial priority drops below all others before it ever moves,
    # and runs last. (After a run, k is the most counted steps seen, so later runs differ.)
    for seed in range(10):
        observed = observe(independent_program(SIZES), runs=1, seed=seed, depth=2, k=1)
        [order], [(initial, change_points)] = observed.interleavings(), observed.draws
        assert change_points == {1: 1}
        top = max(initial, key=initial.__getitem__)
        assert order[-NAMES[top]:] == (top,) * NAMES[top]
        assert order[0] != top


def test_steps_with_a_single_runnable_actor_are_not_counted():
    strategy = PCT(runs=20, seed=3, depth=2, k=1)  # k=1: a floor, so k becomes what runs count
    observed = Observed(strategy)
    explore(independent_program(SIZES), strategy, on_run=observed)
    counted = [counted_steps(order, NAMES) for order in observed.interleavings()]
    assert strategy.k == max(counted)
    assert strategy.k < sum(SIZES)  # the last actor's lone steps are not choices


def test_without_an_estimate_pct_measures_k_with_one_calibration_walk_that_is_not_a_run():
    strategy = PCT(runs=3, seed=9, depth=3)
    observed = Observed(strategy)
    result = explore(independent_program(SIZES), strategy, on_run=observed)
    assert result.executions == 3 and len(observed.executions) == 3
    assert strategy.k >= max(counted_steps(o, NAMES) for o in observed.interleavings())
    assert strategy.k <= sum(SIZES)


def test_pct_finds_the_lost_update_and_passes_the_locked_account():
    found = explore(bank_account(locked=False), PCT(runs=50, seed=0, depth=2), [no_lost_update()])
    assert found.verdict == VIOLATION
    assert "PCT depth 2, seed 0" in claim(found)
    locked = explore(bank_account(locked=True), PCT(runs=50, seed=0, depth=2), [no_lost_update()])
    assert locked.verdict == PASS


@pytest.mark.parametrize("arguments, message", [
    (dict(runs=0, seed=1), "at least one run"),
    (dict(runs=5, seed=1, depth=0), "depth d is at least 1"),
    (dict(runs=5, seed=1, k=0), "at least 1"),
])
def test_pct_refuses_settings_that_make_no_sense(arguments, message):
    with pytest.raises(ValueError, match=message):
        PCT(**arguments)


# -- the claim ----------------------------------------------------------------------------------


def test_the_miss_probability_is_the_papers_bound():
    assert miss_probability(n=2, k=5, d=2, runs=10) == pytest.approx(0.9**10)  # 1/(2*5) per run
    assert miss_probability(n=4, k=10, d=3, runs=100) == pytest.approx((1 - 1 / 400) ** 100)
    assert miss_probability(n=4, k=39, d=4, runs=2000) == pytest.approx((1 - 1 / (4 * 39**3)) ** 2000)
    assert miss_probability(n=4, k=7, d=1, runs=3) == pytest.approx(0.75**3)  # k^0 = 1
    assert miss_probability(n=3, k=10, d=2, runs=0) == 1.0  # no run misses nothing for sure
    assert miss_probability(n=1, k=1, d=1, runs=1) == 0.0  # one actor, one schedule
    assert miss_probability(n=2, k=0, d=3, runs=2) == pytest.approx(0.25)  # k < 1 counts as 1


def test_the_pct_claim_states_runs_depth_actors_seed_bounds_and_an_honest_miss_probability():
    strategy = PCT(runs=20, seed=5, depth=3, k=1)
    observed = Observed(strategy)
    result = explore(independent_program(SIZES), strategy, bounds="toy", on_run=observed)
    assert result.verdict == PASS
    # Restated from the module docstring: run i drew its change points over the most
    # counted steps of the runs before it (at least the given k = 1); only the runs drawn
    # over at least the most counted steps of any run, K, enter the bound.
    counted = [counted_steps(order, NAMES) for order in observed.interleavings()]
    drawn_over = [max([1] + counted[:i]) for i in range(len(counted))]
    most = max(counted)
    honest = [k for k in drawn_over if k >= most]
    p = 1.0
    for k in honest:
        p *= 1 - 1 / (3 * k**2)
    text = claim(result)
    assert text.startswith("sampled, not exhaustive: 20 runs of PCT depth 3, seed 5, bounds toy: 0 violations; ")
    assert (f"miss probability for a depth-3 bug at most {p:.3g} over the {len(honest)} of 20 runs whose "
            f"change points were drawn over at least K = {most} counted steps") in text
    assert "assuming the bug's 2 priority changes can fall on counted steps" in text
    assert "with n = 3 actors" in text
    assert 0 < len(honest) < 20  # the first run, drawn over k = 1, is left out, and said so
    assert f"the {20 - len(honest)} runs drawn over fewer steps are left out of the bound" in text


def test_a_miss_probability_just_below_one_is_not_printed_as_one():
    result = explore(independent_program(SIZES), PCT(runs=1, seed=5, depth=3, k=1000))
    shown = re.search(r"at most (\S+) over", claim(result)).group(1)
    assert shown != "1" and float(shown) < 1
    assert float(shown) == pytest.approx(1 - 1 / (3 * 1000**2))
