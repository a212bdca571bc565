"""The data of a report page as plain JSON values, read from a scenarios.api `Reported`
(reports imports nothing from scenarios): the run's steps in the model's words, each
with the state diff it caused (the view's rows before and after) and the view's notes,
the violation, the story, the racing pair with its happens-before path, the
counterfactuals, and the schedule's verdict under every variant with where each one's
code departs from it. The page's JavaScript reads this; nothing in it depends on a dict's
insertion order or on the hash seed.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from unpack_race.reports.explain_text import explanation_lines
from unpack_race.reports.figures.swimlane import step_label
from unpack_race.reports.page.world_view import changes
from unpack_race.reports.replay_text import verdict_line
from unpack_race.scheduler.crashes import Crash


def racing_path(explanation: Any) -> list[int]:
    """The racing pair's happens-before path, from its first step to its second."""
    if explanation.racing is None:
        return []
    first, second = explanation.racing
    return list(nx.shortest_path(explanation.graph(), first, second))


def marks(reported: Any) -> dict[int, str]:
    """The steps on the time line (the view's events), by index."""
    found = {}
    for step in reported.run.steps:
        word = reported.view.mark(step)
        if word is None and type(step.effect) is Crash:
            word = f"{step.effect.actor} crashes"
        if word is not None:
            found[step.index] = word
    return found


def steps_data(reported: Any) -> list[dict[str, Any]]:
    view, worlds = reported.view, reported.worlds
    shown = [view.sections(world) for world in worlds]
    on_line = marks(reported)
    data = []
    for step in reported.run.steps:
        data.append({
            "index": step.index,
            "actor": step.actor,
            "label": step_label(step),
            "narration": step.narrate(),
            "error": str(step.error) if step.error is not None else None,
            "mark": on_line.get(step.index),
            "notes": list(view.notes(step)),
            "changes": [[c.section, c.key, c.before, c.after]
                        for c in changes(shown[step.index], shown[step.index + 1])],
        })
    return data


def variants_data(reported: Any) -> list[dict[str, Any]]:
    rows = []
    for v in reported.replayed.variants:
        departure = v.run.first_departure() if v.run is not None else None
        rows.append({
            "variant": v.variant,
            "recorded": v.recorded,
            "verdict": v.verdict["verdict"] if v.verdict else "cannot follow",
            "property": v.verdict["property"] if v.verdict else None,
            "expected": v.wanted.get("verdict") if v.wanted else None,
            "as_expected": v.as_expected,
            "departs": departure.describe() if departure is not None else None,
            "outcome": v.problem or verdict_line(v.run),
        })
    return rows


def page_data(reported: Any) -> dict[str, Any]:
    loaded, violation, explained = reported.loaded, reported.violation, reported.explained
    explanation = explained.explanation if explained is not None else None
    return {
        "scenario": loaded.scenario.name,
        "variant": loaded.variant,
        "where": loaded.where,
        "source": loaded.source,
        "actors": list(reported.run.actors),
        "initial": {section: dict(rows) for section, rows in reported.view.sections(reported.worlds[0]).items()},
        "steps": steps_data(reported),
        "violation": None if violation is None else {
            "property": violation.property, "step": violation.step_index, "message": violation.message},
        "story": list(explained.story) if explained is not None and explained.story else None,
        "racing": None if explanation is None or explanation.racing is None else {
            "pair": list(explanation.racing), "path": racing_path(explanation),
            "resources": list(explanation.resources)},
        "explanation": explanation_lines(explanation) if explanation is not None else [],
        "variants": variants_data(reported),
    }


__all__ = ["marks", "page_data", "racing_path", "steps_data", "variants_data"]
