"""An explanation (scheduler.explain) as text a person reads and as JSON data: the racing
pair, the counterfactual moves and what they showed, and the happens-before graph.
Every step is told in its own model's words (effects narrate themselves).

`explain_text` and `explain_document` read a scenarios.api.Explained (its counterexample,
explanation and story) and give what `explain` and `explain --json` print; reports
imports nothing from scenarios.
"""

from __future__ import annotations

from typing import Any

from unpack_race.reports.documents import document
from unpack_race.reports.records import step_data, violation_data
from unpack_race.scheduler.explain import (
    AFTER,
    HOLDS,
    OTHER,
    UNDECIDED,
    VIOLATED,
    Explanation,
    Move,
)
from unpack_race.scheduler.kernel import Step


def _kind(step: Step) -> str:
    return type(step.effect).__name__


def _who(step: Step) -> str:
    return f"step {step.index} ({step.actor} {_kind(step)})"


def _verdict(move: Move, prop: str) -> str:
    if move.verdict == HOLDS:
        runs = "continuation" if move.executions == 1 else "continuations"
        return f"{prop} holds in every continuation ({move.executions} {runs} explored)"
    if move.verdict == VIOLATED:
        return f"still violated (in the reordered run: {move.message})"
    if move.verdict == OTHER:
        return f"another property fails (in the reordered run: {move.message})"
    if move.verdict == UNDECIDED:
        return f"undecided: {move.message}"
    return f"not possible: {move.message}"


def moved_steps(x: Explanation, move: Move) -> list[Step]:
    """The steps of a reordered run that show what the move changed: the moved step and
    the racing actor's steps around it whose outcome may differ."""
    if not move.run or move.moved_to is None:
        return []
    w = x.racing[0]
    victim = x.steps[x.racing[1]].actor
    if move.where == AFTER:
        start = next((i for i, s in enumerate(move.run) if i >= w and s.actor == victim), move.moved_to)
        return [s for s in move.run[start: move.moved_to + 1] if s.actor in (victim, x.steps[w].actor)]
    after = next((s for s in move.run[move.moved_to + 1:] if s.actor == victim), None)
    return [move.run[move.moved_to]] + ([after] if after is not None else [])


def explanation_lines(x: Explanation) -> list[str]:
    """The generic part of an explanation, as lines of text."""
    prop = x.violation.property
    lines = []
    if x.racing is None:
        actor = x.steps[x.violation.step_index].actor
        lines.append(
            f"No race: no step of another actor conflicts with any step of {actor} up to the violating step "
            f"{x.violation.step_index}; {actor} alone decides it."
        )
        return lines
    w, v = x.racing
    lines.append(
        f"Racing pair: {_who(x.steps[w])} and {_who(x.steps[v])}, dependent through "
        f"{', '.join(x.resources)}:"
    )
    for index in (w, v):
        lines.append(f"  {index:>3}  {x.steps[index].narrate()}")
    if x.passed_over:
        others = ", ".join(str(i) for i in x.passed_over)
        which = f"steps {others}, which also conflict" if len(x.passed_over) > 1 else f"step {others}, which also conflicts"
        them = "them" if len(x.passed_over) > 1 else "it"
        lines.append(f"  (tried first: {which} with {x.steps[v].actor}'s steps; delaying {them} past step "
                     f"{x.violation.step_index} cannot be done or does not make {prop} hold)")
    lines.append("Counterfactuals (each reordered run is followed, then every continuation of it explored):")
    pending_violated: list[Move] = []

    def flush() -> None:
        if not pending_violated:
            return
        anchors = ", ".join(str(m.anchor) for m in pending_violated)
        first = pending_violated[0]
        lines.append(f"  - step {first.step} moved before step {anchors}: {_verdict(first, prop)}")
        pending_violated.clear()

    for move in x.moves:
        if move.where != AFTER and move.verdict == VIOLATED:
            pending_violated.append(move)
            continue
        flush()
        lines.append(f"  - {move.describe()}: {_verdict(move, prop)}")
        if move.verdict == HOLDS:
            for step in moved_steps(x, move):
                lines.append(f"        {step.narrate()}")
    flush()
    smallest = x.smallest
    if x.opens is not None and x.closes is not None:
        end = x.closes[0]
        more = f" and {x.closes[1]} more of its steps" if x.closes[1] else ""
        lines.append(
            f"Window: with step {w} moved just before step {x.opens} or just after step {end}{more}, "
            f"{prop} holds; at every place in between, it is violated."
        )
    if smallest is not None:
        lines.append(f"Smallest change that makes {prop} hold: {smallest.describe()}.")
    else:
        lines.append(f"No single move of step {w} tried makes {prop} hold.")
    return lines


def move_data(x: Explanation, move: Move) -> dict[str, Any]:
    return {
        "move": move.describe(),
        "step": move.step,
        "where": move.where,
        "anchor": move.anchor,
        "extra_steps": move.extra,
        "distance": move.distance,
        "verdict": move.verdict,
        "message": move.message or None,
        "continuations_explored": move.executions,
        "changed_steps": [s.narrate() for s in moved_steps(x, move)],
    }


def explanation_data(x: Explanation) -> dict[str, Any]:
    """The same explanation as JSON-ready data."""
    smallest = x.smallest
    data: dict[str, Any] = {
        "violation": violation_data(x.violation),
        "steps": [step_data(s) for s in x.steps],
        "graph": {
            "nodes": [s.index for s in x.steps],
            "edges": [
                {"from": u, "to": v, "kind": kind, "resources": list(resources)}
                for u, v, kind, resources in x.edges
            ],
            "note": "the transitive reduction of the happens-before relation: program order "
                    "and footprint conflicts",
        },
        "racing_pair": None,
        "passed_over": list(x.passed_over),
        "counterfactuals": [move_data(x, m) for m in x.moves],
        "window": None,
        "counterfactual": move_data(x, smallest) if smallest is not None else None,
    }
    if x.racing is not None:
        w, v = x.racing
        data["racing_pair"] = {
            "first": step_data(x.steps[w]),
            "second": step_data(x.steps[v]),
            "resources": list(x.resources),
        }
    if x.opens is not None or x.closes is not None:
        data["window"] = {
            "opens_after_step": x.opens,
            "closes_at_step": x.closes[0] if x.closes else None,
            "closes_after_more_steps": x.closes[1] if x.closes else None,
        }
    return data


def explain_text(explained: Any) -> str:
    """What `explain` prints: the violation, the story (when the run has one), the
    explanation and the size of the happens-before graph."""
    cx, x = explained.counterexample, explained.explanation
    lines = [f"Explaining {cx.label} ({cx.where}): "
             f"{x.violation.property} is violated at step {x.violation.step_index}."]
    if explained.story:
        lines.append("")
        lines.extend(explained.story)
    lines.append("")
    lines.extend(explanation_lines(x))
    graph = x.graph()
    lines.append(f"Happens-before graph: {graph.number_of_nodes()} steps, {graph.number_of_edges()} edges "
                 f"after transitive reduction (program order and footprint conflicts); `--json` lists them.")
    return "\n".join(lines)


def explain_document(explained: Any) -> dict[str, Any]:
    """What `explain --json` prints (format unpack-race.explain, reports/schemas/explain.schema.json):
    where the run comes from, the story, and the explanation's data."""
    cx = explained.counterexample
    return document("explain", 0, {
        "schedule": cx.source,
        "scenario": cx.scenario.name,
        "variant": cx.variant,
        "params": dict(cx.params),
        "story": list(explained.story) if explained.story is not None else None,
        **explanation_data(explained.explanation),
    })


__all__ = ["explain_document", "explain_text", "explanation_data", "explanation_lines", "moved_steps"]
