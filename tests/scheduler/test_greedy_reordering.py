"""When the exact search over happens-before orders would be too large, the minimiser
falls back to a greedy order: it must still keep every dependent pair in order and
replay to the same final world."""

from __future__ import annotations

from toy_world import racy_counter
from unpack_race.scheduler.choices import Choice, replay
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.happens_before import (
    fewest_preemptions_order,
    happens_before,
    respects,
)
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.strategies import RandomWalk


def test_the_greedy_fallback_keeps_dependencies_and_the_final_world():
    program = racy_counter(3, rounds=2)
    runs = []
    explore(program, RandomWalk(runs=20, seed=4), on_run=runs.append)
    for run in runs:
        steps = run.steps
        order, exhaustive = fewest_preemptions_order(program, steps, max_states=0)
        assert not exhaustive
        assert respects(happens_before(steps), order)
        reordered = replay(Execution(program), [Choice(steps[i].actor, steps[i].effect) for i in order])
        assert reordered.world.fingerprint() == run.world.fingerprint()
