"""What `unpack-race report` prints and its --json document: where the page was written,
how large it is, and what it shows (the verdict, each variant's verdict, whether the
swimlane could be drawn). Reads a scenarios.api `Reported`."""

from __future__ import annotations

from typing import Any

from unpack_race.reports.documents import document
from unpack_race.reports.figures.limits import MAX_STEPS
from unpack_race.reports.records import violation_data


def report_lines(reported: Any, written: str, size: int) -> list[str]:
    violation = reported.violation
    verdict = f"VIOLATION of {violation.property} at step {violation.step_index}" if violation else "no violation"
    lines = [f"report written: {written} ({size} bytes, one file that needs no network)",
             f"  {reported.loaded.scenario.name}, variant {reported.loaded.variant}: {len(reported.run.steps)} steps, "
             f"{verdict}"]
    if len(reported.run.steps) > MAX_STEPS:
        lines.append(f"  the swimlane is not drawn: more than {MAX_STEPS} steps (the step-through shows them all)")
    return lines


def report_document(reported: Any, written: str, size: int) -> dict[str, Any]:
    """What `report --json` prints."""
    loaded = reported.loaded
    return document("report", 0, {
        "schedule": loaded.source, "scenario": loaded.scenario.name, "variant": loaded.variant,
        "params": dict(loaded.params), "steps": len(reported.run.steps),
        "violation": violation_data(reported.violation),
        "swimlane": len(reported.run.steps) <= MAX_STEPS,
        "variants": [{"variant": v.variant, "verdict": v.verdict["verdict"] if v.verdict else None,
                      "property": v.verdict["property"] if v.verdict else None}
                     for v in reported.replayed.variants],
        "written": written, "bytes": size,
    })


__all__ = ["report_document", "report_lines"]
