"""The words of a search's cost estimate (scheduler.estimate): the line shown before the
search starts, the part of each progress line it adds (percent done, time left), and the
line after the search that says how far off it was."""

from __future__ import annotations

from typing import Any

from unpack_race.reports.progress_text import duration
from unpack_race.scheduler.estimate import SLEEP_SETS, STATE_GRAPH, Estimate


def _what(e: Estimate) -> str:
    return "complete executions" if e.rule == SLEEP_SETS else "executions"


def estimate_line(e: Estimate) -> str:
    """Before the search: what it is expected to cost, and how the estimate was made."""
    if not e.known:
        return (f"  estimate: none ({e.probes} probes, {e.method}: no probe reached a final state, so the "
                f"tree's complete leaves are too rare to count this way)")
    spread = f" (± {100 * e.spread:.0f}%)" if e.spread is not None else ""
    states = f", {e.states:,.0f} states" if e.states is not None else ""
    caveat, about = "", "about"
    if e.rule == STATE_GRAPH:  # measured 90-97% low on retry-after-cancel (docs/engine.md)
        caveat, about = "; a lower bound, likely far below: probes meet few of the distinct states", "at least about"
    return (f"  estimate: {about} {e.executions:,.0f} {_what(e)}{spread}{states}, {e.steps:,.0f} steps, "
            f"{duration(e.seconds)} CPU ({e.probes} probes in {e.probe_seconds:.2f} s, {e.method}{caveat})")


def estimate_progress(e: Estimate | None, executions: int, elapsed: float, complete: int | None = None) -> str:
    """For a progress line: ", 12% of about 44,300, about 40 s left" (of the complete
    executions under DPOR's rule, where `complete` counts them; nothing without an
    estimate; past the estimate, only that it is passed)."""
    if e is None or not e.known or e.executions <= 0 or e.rule == STATE_GRAPH:
        return ""  # (a lower bound far below the truth makes no percentage)
    done = e.compared(executions, executions if complete is None else complete) / e.executions
    if done >= 1:
        return f", past the {e.executions:,.0f} estimated"
    left = elapsed * (1 - done) / done if done > 0 else None
    eta = f", about {duration(left)} left by the estimate" if left is not None else ""
    return f", {100 * done:.0f}% of about {e.executions:,.0f}{eta}"


def estimate_outcome(e: Estimate, executions: int, complete: int, finished: bool) -> str:
    """After the search: "estimated N executions, ran M (off by x%)"."""
    ran = e.compared(executions, complete)
    if not e.known:
        return f"  no estimate was possible; ran {ran:,} {_what(e)}"
    off = e.off_by(ran)
    how = f" (off by {100 * off:+.0f}%)" if off is not None else ""
    stopped = "" if finished else "; the search stopped early, so the count is not the whole search's"
    return f"  estimated {e.executions:,.0f} {_what(e)}, ran {ran:,}{how}{stopped}"


def estimate_data(e: Estimate | None, executions: int, complete: int) -> dict[str, Any] | None:
    """The estimate in check's JSON document, with the count it is compared to and how far off."""
    if e is None:
        return None
    ran = e.compared(executions, complete)
    off = e.off_by(ran) if e.known else None
    return {**e.to_json(), "ran": ran, "off_by": None if off is None else round(off, 4)}


__all__ = ["estimate_data", "estimate_line", "estimate_outcome", "estimate_progress"]
