"""`compare` as a person reads it and as files: the variants side by side in a table, each
one's claim (what its search proved or found), why the race cannot occur where it passes
(once for the variants that share the reason), and the overall outcome; the same table
as Markdown; and the JSON document, which carries each row's coverage record as it is
(scheduler.coverage.Coverage.to_json).

The functions read a scenarios.api.Compared (its scenario, params, strategy, options and
rows; each row's variant, releases, built program, result, expectation, as_expected,
seconds and counterexample); reports imports nothing from scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.reports.claims import claim
from unpack_race.reports.documents import document
from unpack_race.reports.result_text import why_safe_text
from unpack_race.reports.table import markdown_table, text_table
from unpack_race.scheduler.verdict import Verdict

HEADER = ("variant", "verdict", "expected", "property violated",
          "executions", "states", "counterexample steps", "time")


def table_rows(compared: Any) -> list[tuple[Any, ...]]:
    rows = []
    for row in compared.rows:
        result = row.result
        prop = result.violation.property if result.violation else "-"
        length = len(result.counterexample) if result.counterexample else "-"
        states = result.states if result.states is not None else "-"
        interrupted = result.verdict is Verdict.INTERRUPTED  # neither as expected nor not
        expected = row.expected.verdict.value + ("" if row.as_expected or interrupted else "  <-- NOT AS EXPECTED")
        rows.append((row.variant, result.verdict.value, expected, prop, result.executions, states, length,
                     f"{row.seconds:.2f} s"))
    return rows


def _strategy(compared: Any) -> str:
    if compared.strategy == "auto":
        return auto_text(compared)
    if compared.strategy == "dfs":
        return "stateful DFS" if compared.options.get("state_caching", True) else "DFS without state caching"
    return compared.rows[0].result.coverage.facts.algorithm if compared.rows else compared.strategy


def auto_text(compared: Any) -> str:
    """The default search (strategies/portfolio.py) as the header says it: which of its
    searches ended first (or stopped first, without a verdict) on which variants."""
    ended: dict[str, list[str]] = {}
    for row in compared.rows:
        ended.setdefault(row.result.coverage.facts.algorithm, []).append(row.variant)
    every = len(compared.rows) > 1 and len(ended) == 1
    which = "; ".join(f"{algorithm} on {'every variant' if every else ', '.join(variants)}"
                      for algorithm, variants in ended.items())
    return ("auto (exhaustive searches side by side, step for step, the first to end answering"
            + (f"; it was {which}" if which else "") + ")")


def outcome_line(compared: Any) -> str:
    rows = compared.rows
    safe = list(compared.safe) or ["none"]
    undecided = compared.undecided
    if compared.interrupted is not None:
        return f"{interrupted_line(compared)}; no violation within these bounds: {', '.join(safe)}"
    if all(r.as_expected for r in rows):
        verdict = "every verdict is the expected one"
    elif compared.wrong:
        verdict = "SOME VERDICTS ARE NOT AS EXPECTED"
    else:
        verdict = (f"NO VERDICT (a budget ran out) for {', '.join(undecided)}"
                   + ("; the others are as expected" if len(undecided) < len(rows) else ""))
    return f"{verdict}; no violation within these bounds: {', '.join(safe)}"


def interrupted_line(compared: Any) -> str:
    """What an interrupted comparison finished, and what it did not."""
    variants = list(compared.scenario.variants)
    done = [r.variant for r in compared.finished]
    later = variants[variants.index(compared.interrupted) + 1:] if compared.interrupted in variants else []
    text = (f"INTERRUPTED while searching {compared.interrupted}: {len(done)} of {len(variants)} variants "
            f"finished")
    if later:
        text += f"; not searched: {', '.join(later)}"
    wrong = [v for v in compared.wrong if v in done]
    if wrong:
        text += f"; NOT AS EXPECTED: {', '.join(wrong)}"
    return text


def compare_text(compared: Any) -> str:
    """What `compare` prints."""
    lines = [f"{compared.scenario.name}: {compared.bounds}; strategy: {_strategy(compared)}, "
             f"stop at the first violation",
             text_table(HEADER, table_rows(compared)), ""]
    for row in compared.rows:
        origin = f" ({row.releases})" if row.releases is not None else ""
        lines.append(f"- {row.variant}{origin}:\n    {claim(row.result)}")
        if row.result.violation is not None:
            lines.append(f"    {row.result.violation.message}")
    lines.append("")
    shared: dict[str, list[str]] = {}
    for row in compared.rows:
        text = why_safe_text(row.why_safe)
        if text is not None:
            shared.setdefault(text, []).append(row.variant)
    for text, names in shared.items():  # once for the variants that share it
        lines.append(text if len(names) == len(compared.scenario.variants) else f"{', '.join(names)}:\n{text}")
        lines.append("")
    lines.append(outcome_line(compared))
    return "\n".join(lines)


def compare_markdown(compared: Any) -> str:
    """compare.md: the table (and, when interrupted, a line saying it is partial)."""
    table = markdown_table(HEADER, table_rows(compared)) + "\n"
    if compared.interrupted is not None:
        table += f"\nPartial: {interrupted_line(compared)}.\n"
    return table


def compare_document(compared: Any, schedules: Mapping[str, str] | None = None) -> dict[str, Any]:
    """compare.json, which `compare --json` prints too (format unpack-race.compare,
    reports/schemas/compare.schema.json): the scenario, its parameters, one record per
    variant (with its coverage record as it is, and the path of its counterexample's
    schedule where one was written: `schedules` by variant), and the outcome."""
    schedules = schedules or {}
    records = []
    for row in compared.rows:
        result = row.result
        violation = result.violation
        record: dict[str, Any] = {
            "variant": row.variant, "releases": row.releases if row.releases is not None else "-",
            "verdict": result.verdict.value, "expected": row.expected.verdict.value,
            "expected_property": row.expected.property, "as_expected": row.as_expected,
            "property": violation.property if violation else None,
            "executions": result.executions, "states": result.states, "steps": result.steps,
            "counterexample_steps": len(result.counterexample) or None,
            "counterexample_preemptions": result.preemptions,
            "seconds": round(row.seconds, 3), "claim": claim(result), "coverage": result.coverage.to_json(),
        }
        if result.verdict is Verdict.PASS and row.built.unreachable:
            record["not_sought"] = [{"property": u.property, "why": u.why} for u in row.built.unreachable]
        if violation is not None:
            record["message"] = violation.message
            if row.variant in schedules:
                record["schedule"] = str(schedules[row.variant])
        records.append(record)
    content = {"scenario": compared.scenario.name, "params": dict(compared.params), "bounds": compared.bounds,
               "strategy": _strategy(compared), "rows": records,
               "all_as_expected": compared.outcome.value == "as-expected", "outcome": compared.outcome.value,
               "summary": outcome_line(compared)}
    if compared.interrupted is not None:  # partial: the rows finished, then the interrupted one
        content["partial"] = interrupted_line(compared)
    return document("compare", compared.outcome.exit_code, content)


def written_line(markdown: Any, document: Any) -> str:
    return f"wrote {markdown} and {document}"


__all__ = ["HEADER", "compare_document", "compare_markdown", "compare_text", "interrupted_line", "outcome_line",
           "table_rows", "written_line"]
