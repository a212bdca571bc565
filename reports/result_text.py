"""A search result as a short statement: the verdict, what was proved or found, and the
numbers behind it."""

from __future__ import annotations

from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import Result


def summarize(result: Result) -> str:
    lines = [f"{result.verdict.value.upper()}: {claim(result)}"]
    if result.violation is not None:
        lines.append(f"  {result.violation.message}")
        lines.append(f"  counterexample: {len(result.counterexample)} steps, {result.preemptions} preemptions")
    if result.reached or result.unreached:
        reached = ", ".join(result.reached) or "none"
        lines.append(f"  sometimes-properties reached: {reached}")
        if result.unreached:
            lines.append(f"  never reached: {', '.join(result.unreached)}")
    rate = result.steps / result.elapsed if result.elapsed > 0 else 0.0
    lines.append(
        f"  {result.executions} executions, {result.steps} steps in {result.elapsed:.2f} s "
        f"({rate:,.0f} steps/s)"
    )
    return "\n".join(lines)
