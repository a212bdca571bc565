"""A lint report as text: what was checked, then each finding with the run that reaches
its state, narrated step by step in the model's words; the progress line of the variant
being linted; and the reports of a lint as `lint --json`'s document (format unpack-race.lint, reports/schemas/lint.schema.json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from unpack_race.reports.documents import document
from unpack_race.reports.progress_text import duration, left_text
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.lint import Finding, LintReport


def coverage_line(report: LintReport) -> str:
    c = report.coverage
    scope = ("every reachable state" if c.complete
             else f"NOT every reachable state: the budget of {c.max_states:,} states ran out")
    return (f"checked {c.states:,} states ({scope}), {c.transitions:,} steps, {c.worlds:,} distinct worlds: "
            f"{c.footprints:,} footprints recorded, {c.pairs:,} independent pairs tried both ways, "
            f"{c.fingerprint_groups:,} fingerprint groups and {c.key_groups:,} state-key groups compared "
            f"({c.seconds:.1f} s)")


def incomplete_text(max_states: int) -> str:
    """Said after reports that found nothing but did not check every reachable state."""
    return (f"\nno finding, but not every reachable state was checked: raise --max-states (now "
            f"{max_states:,}) or lower the scenario's bounds")


def interrupted_text(scenario: str, variant: str, done: int, total: int) -> str:
    """Said after the reports of the variants an interrupted lint finished."""
    return (f"interrupted while linting {scenario} [{variant}]: {done} of {total} variants linted; "
            f"nothing is known of the others")


def linting_line(variant: str, done: int, count: int, elapsed: float) -> str:
    """The variant being linted, after how far the lint has come (variants done of all,
    elapsed, and about how long is left at the mean time of a variant so far)."""
    return f"  [{done} of {count} variants, {duration(elapsed)} elapsed{left_text(done, count, elapsed)}] {variant} ..."


def render(report: LintReport, label: str | None = None) -> str:
    """The whole report; `label` names what was linted (default: the program)."""
    name = label or report.program
    count = len(report.findings)
    if count:
        verdict = f"{count} finding{'s' if count != 1 else ''}"
    elif report.coverage.complete:
        verdict = "clean"
    else:
        verdict = "no finding so far, but not checked to the end"
    lines = [f"{name}: {verdict}", f"  {coverage_line(report)}"]
    lines += [f"  note: {note}" for note in report.coverage.notes]
    for number, finding in enumerate(report.findings, 1):
        lines.append("")
        lines += render_finding(finding, number)
    return "\n".join(lines)


def render_finding(finding: Finding, number: int = 1) -> list[str]:
    lines = [f"[{number}] {finding.kind}: {finding.summary}"]
    if len(finding.steps) > 1:
        lines += [f"    step: {step}" for step in finding.steps]
    for detail in finding.details:
        lines.append(f"    {detail}")
    lines.append(f"    fix: {finding.advice}")
    if finding.other_path is not None:
        lines += _path("one state is reached by", finding.path)
        lines += _path("the other by", finding.other_path)
    else:
        lines += _path("the state is reached by", finding.path)
    if finding.also:
        lines.append(f"    (the same problem shows {finding.also} more time{'s' if finding.also != 1 else ''})")
    return lines


def _path(title: str, steps: Sequence[Step]) -> list[str]:
    if not steps:
        return [f"    {title} no step: it is the initial state"]
    return [f"    {title} {len(steps)} step{'s' if len(steps) != 1 else ''}:"] + [
        f"      {i:>3}. {step.narrate()}" for i, step in enumerate(steps)]


def finding_data(finding: Finding) -> dict[str, Any]:
    """A finding: its kind, summary, advice, steps and details, and the runs reaching its state (narrated)."""
    return {
        "kind": finding.kind, "summary": finding.summary, "advice": finding.advice,
        "steps": list(finding.steps), "details": list(finding.details),
        "path": [step.narrate() for step in finding.path],
        "other_path": [step.narrate() for step in finding.other_path] if finding.other_path is not None else None,
        "also": finding.also,
    }


def lint_document(scenario: str, linted: Sequence[Any], variants: Sequence[str], exit_code: int,
                  interrupted: str | None = None) -> dict[str, Any]:
    """What `lint --json` prints: one record per variant linted (scenarios.api.Linted:
    clean or its findings, and the lint's coverage), the variants asked for, and, after
    Ctrl-C, the variant under way (`interrupted`; the document is then marked partial)."""
    records = [{"variant": x.variant, "bounds": x.built.bounds, "clean": x.report.clean,
                "complete": x.report.coverage.complete,
                "coverage": {**attrs.asdict(x.report.coverage), "seconds": round(x.report.coverage.seconds, 3)},
                "findings": [finding_data(f) for f in x.report.findings]} for x in linted]
    content: dict[str, Any] = {"scenario": scenario, "variants": list(variants), "linted": records}
    if interrupted is not None:
        content["partial"] = interrupted_text(scenario, interrupted, len(linted), len(variants))
    return document("lint", exit_code, content)

