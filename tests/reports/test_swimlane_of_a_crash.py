"""A crash in the swimlane (scheduler/crashes.py): a grey box labelled "crashes" in the lane
of the actor it stopped, and a mark on the time line saying who crashed."""

from __future__ import annotations

import re

from unpack_race.reports.figures.saving import figure_bytes
from unpack_race.reports.figures.swimlane import CRASH_FILL, step_label, swimlane
from unpack_race.scenarios import api
from unpack_race.scenarios.regression_corpus import CORPUS
from unpack_race.scheduler.crashes import Crash

CRASHED = CORPUS / "crash-instead-of-cancel.stat-early-return.schedule.json"


def box(svg: str, index: int) -> str:
    group = re.search(rf'<g id="step-{index}">(.*?)</g>', svg, re.S)
    assert group, f"no box for step {index}"
    return group.group(1)


def test_a_crash_is_a_grey_box_in_its_actors_lane_with_a_mark_naming_who_crashed():
    run = api.replay(CRASHED).result.run
    crash = next(s for s in run.steps if type(s.effect) is Crash)
    before = next(s for s in reversed(run.steps[:crash.index]) if s.actor == "pull-1")
    assert step_label(crash) == "crashes"
    figure = swimlane(run)
    svg = figure_bytes(figure, "svg").decode()
    assert f"fill: {CRASH_FILL.lower()}" in box(svg, crash.index)
    assert "pull-1 crashes" in [t.get_text() for t in figure.axes[0].texts]

    def lane(index: int) -> float:  # the y of the box's first corner
        return float(re.search(r"M [\d.]+ ([\d.]+)", box(svg, index)).group(1))

    assert lane(crash.index) == lane(before.index)  # pull-1's lane, not a lane of its own
    assert len(figure.axes[0].get_yticks()) == len(run.actors)
