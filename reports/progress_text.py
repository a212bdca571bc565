"""The words of a progress line shared by every command: a duration, a rate, and the
estimate of what is left.

An estimate is only given where one is possible: from a known number of items
(the runs of a sampling strategy or --max-executions, the bench's rows, the corpus's
cases) at the rate seen so far, "about 12 s left", or from a time budget (--max-seconds)
at face value, "at most 12 s left"; where both are known, the sooner. A search ends at
its first violation, so it may well end before either. Nothing here reads a clock: the
caller passes the seconds elapsed.
"""

from __future__ import annotations


def duration(seconds: float) -> str:
    """A duration as a person reads it: "7 s", "2 min 05 s", "1 h 03 min"."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def rate(count: int, elapsed: float) -> float:
    """Items per second (0 before any time has passed)."""
    return count / elapsed if elapsed > 0 else 0.0


def left_text(done: int, total: int | None, elapsed: float, max_seconds: float | None = None) -> str:
    """", about 12 s left" for `done` of `total` items after `elapsed` seconds, at the rate so
    far, or ", at most 12 s left" of the time budget `max_seconds`, whichever is sooner;
    nothing when neither is known (or the rate is not known yet)."""
    estimates = []
    if total is not None and done > 0 and elapsed > 0:
        estimates.append((max(0, total - done) * elapsed / done, "about"))
    if max_seconds is not None:
        estimates.append((max(0.0, max_seconds - elapsed), "at most"))
    if not estimates:
        return ""
    left, how = min(estimates)
    return f", {how} {duration(left)} left" if left >= 0.5 else ", less than a second left"


__all__ = ["duration", "left_text", "rate"]
