"""A minimisation (scheduler.minimize) as `minimize` prints it: the measures before and
after, each accepted improvement, whether the result is 1-minimal, and the minimised
counterexample narrated from the run the minimiser found (nothing is run again).

`minimize_lines` reads a scenarios.api.Minimization (its counterexample, the engine's
Minimized and the budget of candidate runs); reports imports nothing from scenarios.
`minimize_document` says the same as `minimize --json`'s document (format
unpack-race.minimize, reports/schemas/minimize.schema.json).
"""

from __future__ import annotations

from typing import Any

from unpack_race.reports.documents import document
from unpack_race.reports.records import step_data, violation_data
from unpack_race.reports.trace_text import narrate_steps


def minimize_lines(m: Any) -> list[str]:
    found, cx = m.minimized, m.counterexample
    lines = [f"Minimising {cx.label} ({cx.where}): it violates {found.violation.property}",
             f"  before: {found.before.describe()}",
             f"  after:  {found.after.describe()}"]
    lines.extend(f"    {phase}" for phase in found.phases)
    notes = []
    if found.interrupted:
        notes.append("interrupted before a fixpoint, so a smaller schedule may exist")
    elif found.exhausted:
        notes.append(f"the budget of {m.max_runs} candidate runs ran out before a fixpoint, "
                     f"so a smaller schedule may exist")
    else:
        notes.append("1-minimal: no single step can be removed and no actor dropped without losing the "
                     "violation, and no step moved before an earlier step it depends on gives a smaller schedule")
    if not found.interrupted:  # (an interrupted one may not have reached the reordering)
        notes.append("fewest preemptions among the orders of these steps that keep every dependent pair in order"
                     if found.reorder_exhaustive else
                     "preemptions reduced by a greedy reordering (too many orders for an exact search)")
    lines.append(f"  ({found.runs} candidate runs; {'; '.join(notes)})")
    if not found.improved:
        lines.append(f"Interrupted before any improvement: {found.after.describe()}." if found.interrupted else
                     f"Already minimal: {found.after.describe()}; nothing to remove, move or reorder.")
    else:
        steps = found.run.steps
        lines.append(f"Smallest counterexample before the interrupt, {len(steps)} steps:" if found.interrupted else
                     f"Minimised counterexample, {len(steps)} steps:")
        lines.append(narrate_steps(steps, found.violation))
    return lines


def _measure(measure: Any) -> dict[str, int]:
    return {"steps": measure.steps, "preemptions": measure.preemptions, "actors": measure.actors,
            "context_switches": measure.switches}


def minimize_document(m: Any, written: str | None, exit_code: int) -> dict[str, Any]:
    """What `minimize --json` prints: the schedule minimised, the measures before and
    after, each accepted improvement, whether the result is 1-minimal (or why it may not
    be), its steps when it improved, and where it was written (`written`, None when not)."""
    found, cx = m.minimized, m.counterexample
    content: dict[str, Any] = {
        "schedule": cx.source, "scenario": cx.scenario.name, "variant": cx.variant, "params": dict(cx.params),
        "violation": violation_data(found.violation),
        "before": _measure(found.before), "after": _measure(found.after), "phases": list(found.phases),
        "runs": found.runs, "max_runs": m.max_runs, "improved": found.improved,
        "one_minimal": not (found.interrupted or found.exhausted), "exhausted": found.exhausted,
        "reorder_exhaustive": found.reorder_exhaustive,
        "steps": [step_data(s) for s in found.run.steps] if found.improved and found.run is not None else None,
        "written": written,
    }
    if found.interrupted:
        content["partial"] = "interrupted before a fixpoint, so a smaller schedule may exist"
    return document("minimize", exit_code, content)


__all__ = ["minimize_document", "minimize_lines"]
