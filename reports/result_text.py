"""A search result as a short statement: the verdict, what was proved or found, and the
numbers behind it; why the race cannot occur where a scenario leaves a `sometimes`
property out; the progress line of a running search; and `check`'s JSON document, which
says the same (format unpack-race.check, reports/schemas/check.schema.json)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any, Protocol

from unpack_race.reports.claims import claim
from unpack_race.reports.documents import document
from unpack_race.reports.estimate_text import estimate_data
from unpack_race.reports.progress_text import duration, left_text, rate
from unpack_race.reports.records import result_data, step_data
from unpack_race.reports.trace_text import replay_command
from unpack_race.scheduler.explore import Progress, Result


class Unreachable(Protocol):
    """A `sometimes` property a scenario leaves out, and why (scenarios.base.Unreachable)."""

    property: str
    why: str


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
    restored = ""
    if result.coverage.restored:  # scheduler.restore: the mode that ran, in the line timings are in
        restored = f"; {result.coverage.restored} more restored from saved states, not replayed"
        if result.coverage.steps_per_transition is not None:
            restored += f": {result.coverage.steps_per_transition:.2f} steps per distinct transition"
    lines.append(
        f"  {result.executions} executions, {result.steps} steps in {result.elapsed:.2f} s "
        f"({rate(result.steps, result.elapsed):,.0f} steps/s{restored})"
    )
    return "\n".join(lines)


def why_safe_text(unreachable: Sequence[Unreachable], width: int = 100) -> str | None:
    """For a pass: why the race cannot occur within these bounds, one item per `sometimes`
    property left out (None when none was left out)."""
    if not unreachable:
        return None
    lines = ["The race window cannot be entered here; not sought, as no run within these bounds can reach it:"]
    for u in unreachable:
        lines.append(textwrap.fill(f"{u.property}: {u.why}", width, initial_indent="  - ",
                                   subsequent_indent="    ", break_on_hyphens=False))
    return "\n".join(lines)


def progress_line(label: str, p: Progress, executions: int | None = None, max_seconds: float | None = None) -> str:
    """One line of a running search's progress: executions (of the most it will run, where
    `executions` says so), states, elapsed, how long is left where the most executions or
    `max_seconds`, its time budget, bound it (reports.progress_text), and the rates; the
    most telling first, as a terminal cuts the line to its width."""
    of = f" of {executions:,}" if executions is not None else ""
    states = f", {p.states:,} states" if p.states is not None else ""
    left = left_text(p.executions, executions, p.elapsed, max_seconds)
    return (f"  [{label}] {p.executions:,} executions{of}{states}, {duration(p.elapsed)} elapsed{left}, "
            f"{rate(p.executions, p.elapsed):,.0f} executions/s, {rate(p.steps, p.elapsed):,.0f} steps/s")


def settings_line(strategy: str, options: dict[str, Any], max_executions: int | None,
                  max_seconds: float | None) -> str:
    """What a search runs with, for -v: the strategy, its options, the budget."""
    given = ", ".join(f"{name.replace('_', '-')} {_setting(value)}" for name, value in sorted(options.items()))
    budget = []
    if max_executions is not None:
        budget.append(f"{max_executions:,} executions")
    if max_seconds is not None:
        budget.append(f"{max_seconds:g} s")
    return (f"  search: {strategy}{f' ({given})' if given else ''}; budget: "
            f"{', '.join(budget) if budget else 'none (to the end of the search)'}")


def _setting(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return "none" if value is None else str(value)


def check_document(checked: Any, strategy: str, schedule: str | None = None,
                   partial: str | None = None, report: str | None = None) -> dict[str, Any]:
    """What `check --json` prints, from a scenarios.api.Checked: the scenario, variant,
    parameters and bounds, the result (verdict, claim, coverage record), the verdict
    expected from the scenario, the counterexample (its steps, preemptions and the path
    of the schedule written, `schedule`, and of its HTML report, `report`, when one was
    written), and why the race cannot occur on a pass;
    `partial` says what was cut short (Ctrl-C)."""
    cx = checked.counterexample
    content: dict[str, Any] = {
        "scenario": checked.scenario.name,
        "variant": checked.variant,
        "params": dict(checked.params),
        "bounds": checked.built.bounds,
        "strategy": strategy,
        "result": result_data(checked.result),
        "expected": {"verdict": checked.expected.verdict.value, "property": checked.expected.property},
        "as_expected": checked.as_expected,
        "counterexample": None if cx is None else {
            "steps": [step_data(step) for step in cx.steps],
            "preemptions": cx.preemptions,
            "schedule": schedule,
            "replay": replay_command(schedule, cx.schedule.source) if schedule is not None else None,
        },
        "not_sought": [{"property": u.property, "why": u.why} for u in checked.why_safe],
        "estimate": estimate_data(checked.result.estimate, checked.result.executions,
                                  checked.result.coverage.complete),
    }
    if report is not None:
        content["counterexample"]["report"] = report
    if partial is not None:
        content["partial"] = partial
    return document("check", checked.verdict.exit_code, content)

