"""What a search concluded, and the exit code each conclusion maps to (the codes model
checkers' users know: 0 pass, 1 violation, 4 no verdict, 5 vacuous; 2 and 3 are for bad
input and internal errors, which are not verdicts)."""

from __future__ import annotations

import enum

EXIT_USAGE = 2  # bad usage or input
EXIT_INTERNAL = 3  # a bug in unpack-race, or a model that raised


class Verdict(enum.Enum):
    """What a search found: pass, violation, vacuous (a `sometimes` property never
    reached), budget (ran out first) or interrupted; `exit_code` is the command line's."""

    PASS = "pass"  # no property violated, every `sometimes` reached
    VIOLATION = "violation"  # a property violated (the result has the run)
    VACUOUS = "vacuous"  # nothing violated, but a `sometimes` property never held
    BUDGET = "budget"  # a budget ran out before a verdict
    INTERRUPTED = "interrupted"  # Ctrl-C before a verdict

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]

    @property
    def decided(self) -> bool:
        """The search reached a verdict (it was not cut short)."""
        return self not in (Verdict.BUDGET, Verdict.INTERRUPTED)


_EXIT_CODES = {
    Verdict.PASS: 0,
    Verdict.VIOLATION: 1,
    Verdict.BUDGET: 4,
    Verdict.INTERRUPTED: 4,
    Verdict.VACUOUS: 5,
}
