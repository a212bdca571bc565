"""`compare()`: every variant of a scenario searched alike, side by side, each verdict
held against the one the scenario expects (from containerd's history), and the overall
outcome: every verdict as expected, some not (a finding), or no verdict for some
(a budget ran out, and none contradicts its expectation). Ctrl-C ends the whole
comparison, not just the search under way: `compare()` raises Interrupted with the
comparison so far (outcome INTERRUPTED). Nothing is printed or written.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from unpack_race.scenarios.api.checking import matches, run_search
from unpack_race.scenarios.api.counterexample import Counterexample, counterexample
from unpack_race.scenarios.api.model_errors import raised_in
from unpack_race.scenarios.base import Built, Expectation, Scenario, Unreachable
from unpack_race.scenarios.registry import CANONICAL, scenario_of
from unpack_race.scheduler.explore import Budget, Progress, Result
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.strategies.registry import DEFAULT_STRATEGY
from unpack_race.scheduler.verdict import Verdict


class Outcome(enum.Enum):
    """A comparison's outcome over all its rows, with the command line's exit code."""

    AS_EXPECTED = "as-expected"  # every verdict is the expected one
    NOT_AS_EXPECTED = "not-as-expected"  # a decided verdict contradicts its expectation
    NO_VERDICT = "no-verdict"  # some search ended before a verdict, and none contradicts
    INTERRUPTED = "interrupted"  # Ctrl-C ended the comparison: the rows so far

    @property
    def exit_code(self) -> int:
        return {Outcome.AS_EXPECTED: 0, Outcome.NOT_AS_EXPECTED: 1, Outcome.NO_VERDICT: 4,
                Outcome.INTERRUPTED: 4}[self]


@attrs.frozen
class Row:
    """One variant of a comparison: its search's result beside its expected verdict."""

    variant: str
    releases: str | None  # the containerd releases the variant stands for (None: not a containerd variant)
    built: Built
    result: Result
    expected: Expectation
    as_expected: bool
    seconds: float  # building and searching
    counterexample: Counterexample | None  # without a continuation (nothing narrates it)

    @property
    def why_safe(self) -> tuple[Unreachable, ...]:
        """On a pass: the `sometimes` properties left out, with why."""
        return self.built.unreachable if self.result.verdict is Verdict.PASS else ()


@attrs.frozen
class Compared:
    """What `compare()` returns: one `Row` per variant, under the same strategy and
    parameters, and the `outcome` over them all."""

    scenario: Scenario
    params: Mapping[str, Any]
    strategy: str
    options: Mapping[str, Any]  # the strategy options given
    rows: tuple[Row, ...]  # in the scenario's order of variants
    #: Ctrl-C ended the comparison while this variant was being built or searched: the rows
    #: are those finished, then this variant's own with what its search covered (verdict
    #: INTERRUPTED), if it had started (None: not interrupted)
    interrupted: str | None = None

    @property
    def finished(self) -> tuple[Row, ...]:
        """The rows whose search ended by itself (not the interrupted one)."""
        return tuple(r for r in self.rows if r.variant != self.interrupted)

    @property
    def bounds(self) -> str:
        return self.rows[0].built.bounds if self.rows else ""

    @property
    def wrong(self) -> tuple[str, ...]:
        """Variants whose decided verdict is not the expected one."""
        return tuple(r.variant for r in self.rows if not r.as_expected and r.result.verdict.decided)

    @property
    def undecided(self) -> tuple[str, ...]:
        """Variants whose search ended before a verdict."""
        return tuple(r.variant for r in self.rows if not r.result.verdict.decided)

    @property
    def safe(self) -> tuple[str, ...]:
        """Variants with no violation within these bounds (they passed)."""
        return tuple(r.variant for r in self.rows if r.result.verdict is Verdict.PASS)

    @property
    def outcome(self) -> Outcome:
        if self.interrupted is not None:
            return Outcome.INTERRUPTED
        if all(r.as_expected for r in self.rows):
            return Outcome.AS_EXPECTED
        return Outcome.NOT_AS_EXPECTED if self.wrong else Outcome.NO_VERDICT


def compare(
    scenario: str | Scenario = CANONICAL,
    *,
    params: Mapping[str, Any] | None = None,
    strategy: str = DEFAULT_STRATEGY,
    budget: Budget = Budget(),
    progress: Callable[[str, Progress], None] | None = None,
    **strategy_options: Any,
) -> Compared:
    """Search every variant of `scenario` with the same strategy, options, parameters and
    budget; `progress(variant, p)` is called as each search goes. Raises ParamError,
    OptionError or PropertyScopeError as `check()` does. On Ctrl-C raises Interrupted (a
    KeyboardInterrupt) whose `partial` is the Compared so far: the rows finished, the
    interrupted variant's row with what its search covered (if it had started), and
    `interrupted` naming that variant; no further variant is searched."""
    sc = scenario_of(scenario)
    values = sc.resolve(params or {})
    rows = []
    variant = sc.variants[0] if sc.variants else None
    try:
        for variant in sc.variants:
            started = time.monotonic()
            built = sc.build(variant, values)
            shown = (lambda p, v=variant: progress(v, p)) if progress is not None else None
            try:
                with raised_in(sc, variant, values):
                    result = run_search(built, strategy, budget, shown, strategy_options)
            except Interrupted as stop:  # what its search covered, as its row
                rows.append(_row(sc, variant, values, built, stop.partial, time.monotonic() - started, None))
                raise
            found = None
            try:
                if result.violation is not None and result.run is not None:
                    found = counterexample(sc, variant, values, built, result.run, result.violation)
            finally:  # (on Ctrl-C here: the row without its counterexample)
                rows.append(_row(sc, variant, values, built, result, time.monotonic() - started, found))
    except KeyboardInterrupt as stop:
        raise Interrupted(Compared(sc, values, strategy, dict(strategy_options), tuple(rows), variant)) from stop
    return Compared(sc, values, strategy, dict(strategy_options), tuple(rows))


def _row(sc: Scenario, variant: str, values: Mapping[str, Any], built: Built, result: Result, seconds: float,
         found: Counterexample | None) -> Row:
    expected = sc.expected(variant, values)
    known = sc.variant_definition(variant)
    return Row(variant, known.releases if known else None, built, result, expected, matches(result, expected),
               seconds, found)


__all__ = ["Compared", "Outcome", "Row", "compare"]
