"""The calibration of URW and SURW (scheduler/strategies/calibration.py) measures every actor
whole, even one that another actor can cut short, and survives a rotation that never ends.

The expected lengths are counted from the programs below by hand: a worker of four rounds,
each a read of the stop flag and a write, takes 8 steps when nobody stops it; the canceller
takes 1.
"""

from __future__ import annotations

import random
from collections import Counter

from unpack_race.scheduler.explore import Budget, dry_run, explore
from unpack_race.scheduler.shared_memory import Read, Write, pthread_program
from unpack_race.scheduler.strategies.calibration import calibration_runs, most_steps
from unpack_race.scheduler.strategies.surw import SURW
from unpack_race.scheduler.strategies.urw import URW

ROUNDS = 4


def worker():
    for k in range(ROUNDS):
        if (yield Read("stop")):
            return
        yield Write("w", k + 1)


def canceller():
    yield Write("stop", 1)


#: the canceller comes first in program order, so a run that starts with it stops the worker at once
CANCELLABLE = pthread_program("cancellable", {"stop": 0, "w": 0}, (), [("canceller", canceller), ("worker", worker)])


def test_each_actor_is_measured_whole_even_one_another_cuts_short():
    for seed in range(10):
        strategy = URW(runs=1, seed=seed)
        explore(CANCELLABLE, strategy, ())
        assert strategy.estimates == {"canceller": 1, "worker": 2 * ROUNDS}


def test_one_random_walk_would_not_measure_it():
    # the control, and the reason for the calibration: a random walk cancels the worker
    # within its first rounds in most seeds (the canceller moves half the time)
    short = 0
    for seed in range(20):
        rng = random.Random(seed)
        walk = dry_run(CANCELLABLE, lambda point: point.runnable[rng.randrange(len(point.runnable))])
        short += Counter(step.actor for step in walk.steps)["worker"] < 2 * ROUNDS
    assert short >= 15


def test_surw_weighs_each_actor_by_the_most_interesting_steps_it_took():
    strategy = SURW(runs=1, seed=3)
    explore(CANCELLABLE, strategy, ())
    assert strategy.selected == {"var/stop"}  # the only variable both touch
    assert strategy.weights == {"canceller": 1, "worker": ROUNDS}  # its reads of stop


def waiter():
    while not (yield Read("go")):
        pass
    yield Write("done", 1)


def starter():
    yield Write("go", 1)


SPINNING = pthread_program("spinning", {"go": 0, "done": 0}, (), [("waiter", waiter), ("starter", starter)])


def test_a_rotation_that_never_ends_is_left_out():
    # with the waiter first, it spins forever: the step limit ends that run, and the
    # calibration keeps the random walk and the run with the starter first
    runs = calibration_runs(("waiter", "starter"), lambda chooser: dry_run(SPINNING, chooser, 200), random.Random(1))
    assert len(runs) == 2
    assert most_steps(runs[1:], ("waiter", "starter")) == {"waiter": 2, "starter": 1}
    strategy = URW(runs=5, seed=1)
    result = explore(SPINNING, strategy, (), budget=Budget(max_steps_per_execution=200))
    assert result.executions == 5
    assert strategy.estimates["starter"] == 1 and strategy.estimates["waiter"] >= 2
