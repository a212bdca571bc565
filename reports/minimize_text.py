"""A minimisation (scheduler.minimize) as `minimize` prints it: the measures before and
after, each accepted improvement, whether the result is 1-minimal, and the minimised
counterexample narrated from the run the minimiser found (nothing is run again).

`minimize_lines` reads a scenarios.api.Minimization (its counterexample, the engine's
Minimized and the budget of candidate runs); reports imports nothing from scenarios.
"""

from __future__ import annotations

from typing import Any

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


__all__ = ["minimize_lines"]
