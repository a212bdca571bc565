"""The exit codes of every command, in one table: `unpack-race --help` shows it as text,
the README as Markdown (tests/scenarios/test_exit_code_table.py checks that the README
holds exactly `markdown()`). The codes are those model checkers' users know (the
verdicts' codes: scheduler.verdict); each command's --help says what they mean for it."""

from __future__ import annotations

import textwrap

from unpack_race.reports.table import markdown_table

HEADER = ("exit", "meaning")

#: (code, meaning), in order
CODES: tuple[tuple[int, str], ...] = (
    (0, "pass: no property violated (compare, replay --all-variants with `expect`: every verdict as "
        "expected; lint: clean; corpus --check: up to date)"),
    (1, "a property violated (compare, replay --all-variants with `expect`: a verdict not as expected; "
        "lint: a finding; corpus --check: a regression)"),
    (2, "bad usage or input: one line on stderr naming the input and what was expected, no traceback, "
        "refused before any search starts"),
    (3, "the model raised (its run narrated up to the failing step, a schedule that replays it written) "
        "or an internal error"),
    (4, "a budget ran out before a verdict, or interrupted (Ctrl-C, SIGTERM): what was finished is "
        "printed and written, marked partial (compare, corpus: and no verdict was unexpected)"),
    (5, "vacuous: a `sometimes` property never reached (the search never entered the window it exists "
        "to explore)"),
)


def text(width: int = 88) -> str:
    """The table as `unpack-race --help` shows it: each meaning wrapped to `width` columns."""
    lines = ["exit codes:"]
    for code, meaning in CODES:
        lines.append(textwrap.fill(meaning, width, initial_indent=f"  {code}  ", subsequent_indent="     ",
                                   break_on_hyphens=False))
    return "\n".join(lines)


def markdown() -> str:
    """The table as the README shows it."""
    return markdown_table(HEADER, CODES)


__all__ = ["CODES", "markdown", "text"]
