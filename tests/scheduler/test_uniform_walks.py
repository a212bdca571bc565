"""URW and SURW sample what the paper says they sample (Zhao, Wolff, Mathur, Roychoudhury,
ASPLOS 2025), measured against distributions worked out by hand, with a chi-square test
that a plain random walk, as a control, fails on the same programs.

- URW: two threads that never block, of 2 and 3 steps, have C(5, 2) = 10 interleavings;
  URW must draw each with probability 1/10. A random walk draws t1, t1, t2, t2, t2 with
  probability 1/2 * 1/2 = 1/4.
- SURW: t1 writes x once then writes its own p three times, t2 writes x twice, t3 writes
  its own q three times. Only x is shared, so the interesting steps are t1's one write of
  x and t2's two: t1's write falls before, between or after t2's with probability 1/3
  each. A random walk gives 1/2, 1/4, 1/4 (t1 and t2 race for x with equal odds at every
  step either takes).
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.shared_memory import Write, pthread_program
from unpack_race.scheduler.strategies.random_walk import RandomWalk
from unpack_race.scheduler.strategies.surw import SURW
from unpack_race.scheduler.strategies.urw import URW

#: chi-square critical values at p = 0.001, by degrees of freedom (standard tables)
CHI2_999 = {2: 13.816, 9: 27.877}


def writes(var: str, count: int):
    def body():
        for k in range(count):
            yield Write(var, k + 1)
    return body


def recording(cls):
    """`cls` with every run's chosen actors kept, in order (a wrapper cannot change a choice)."""
    class Recording(cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.runs_seen: list[tuple[str, ...]] = []

        def begin_run(self):
            super().begin_run()
            self.runs_seen.append(())

        def choose(self, point):
            chosen = super().choose(point)
            self.runs_seen[-1] += (chosen,)
            return chosen
    return Recording


def chi_square(counts: Counter, expected: dict) -> float:
    total = sum(counts.values())
    return sum((counts.get(k, 0) - p * total) ** 2 / (p * total) for k, p in expected.items())


TWO_THREADS = pthread_program("two-threads", {"a": 0, "b": 0}, (), [("t1", writes("a", 2)), ("t2", writes("b", 3))])
INTERLEAVINGS = {tuple("t1" if k in ones else "t2" for k in range(5)): 1 / 10 for ones in combinations(range(5), 2)}


def test_urw_draws_every_interleaving_of_threads_that_never_block_with_the_same_probability():
    strategy = recording(URW)(runs=4000, seed=7)
    explore(TWO_THREADS, strategy, ())
    assert strategy.estimates == {"t1": 2, "t2": 3}  # the calibration run counts each thread's steps
    drawn = Counter(strategy.runs_seen)
    assert set(drawn) == set(INTERLEAVINGS)
    assert chi_square(drawn, INTERLEAVINGS) < CHI2_999[9]


def test_a_random_walk_fails_the_same_test():
    strategy = recording(RandomWalk)(runs=4000, seed=7)
    explore(TWO_THREADS, strategy, ())
    drawn = Counter(strategy.runs_seen)
    assert chi_square(drawn, INTERLEAVINGS) > CHI2_999[9]
    assert abs(drawn[("t1", "t1", "t2", "t2", "t2")] / 4000 - 1 / 4) < 0.03


def shared_then_own():
    yield Write("x", 1)
    yield from writes("p", 3)()


THREE_THREADS = pthread_program("three-threads", {"x": 0, "p": 0, "q": 0}, (), [
    ("t1", shared_then_own),
    ("t2", writes("x", 2)),
    ("t3", writes("q", 3)),
])
THIRDS = {0: 1 / 3, 1: 1 / 3, 2: 1 / 3}


def place_of_t1s_write(run: tuple[str, ...]) -> int:
    """How many of t2's writes of x come before t1's (t1's first step is its write of x)."""
    return run[:run.index("t1")].count("t2")


def test_surw_is_uniform_over_the_interleavings_of_the_steps_on_the_shared_resource():
    strategy = recording(SURW)(runs=3000, seed=11)
    explore(THREE_THREADS, strategy, ())
    assert strategy.selected == {"var/x"}  # the only resource two threads touch
    assert strategy.weights == {"t1": 1, "t2": 2, "t3": 0}
    drawn = Counter(place_of_t1s_write(run) for run in strategy.runs_seen)
    assert chi_square(drawn, THIRDS) < CHI2_999[2]


def test_a_random_walk_is_not():
    strategy = recording(RandomWalk)(runs=3000, seed=11)
    explore(THREE_THREADS, strategy, ())
    drawn = Counter(place_of_t1s_write(run) for run in strategy.runs_seen)
    assert chi_square(drawn, THIRDS) > CHI2_999[2]
    assert abs(drawn[0] / 3000 - 1 / 2) < 0.03


def test_the_same_seed_gives_the_same_runs():
    for cls in (URW, SURW):
        first, second = recording(cls)(runs=50, seed=3), recording(cls)(runs=50, seed=3)
        explore(THREE_THREADS, first, ())
        explore(THREE_THREADS, second, ())
        assert first.runs_seen == second.runs_seen
