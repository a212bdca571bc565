"""The hand-run script behind docs/sampling.md (tests/quality/sampling_measurements.py),
run small: its fixed PCT draw must really be the draw it is given (it once overrode a
method PCT no longer called, and ran random draws unnoticed), and its every-draw count at
depth 2 under the GC scheduler must find no violation, as docs/sampling.md argues from
the race's orderings (one change point cannot both let the kubelet cancel pull-1 between
its layers and stop pull-2 between its Stat and its Prepare)."""

from __future__ import annotations

from sampling_measurements import FixedDraw, every_draw
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.explore import explore


def test_a_fixed_draw_runs_with_the_priorities_and_change_points_it_was_given():
    built = scenario("retry-after-cancel").build("stat-early-return", {})
    names = tuple(actor.name for actor in built.program.actors)
    strategy = FixedDraw(3, (4, 5, 3, 6), (17, 9))
    explore(built.program, strategy, built.properties)
    assert strategy.initial_priorities() == dict(zip(names, (4, 5, 3, 6)))
    assert strategy.change_points() == {17: 1, 9: 2}


def test_no_depth_2_draw_finds_the_race_under_the_gc_scheduler():
    violating, total, most = every_draw(2, 40, "scheduler")
    assert (violating, total) == (0, 24 * 40) and most < 40  # the change points covered every counted step
