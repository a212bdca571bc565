"""What a search proved, in one honest sentence: the one rendering of a result's coverage
record (scheduler.coverage) into words.

- exhaustive: "exhaustive within bounds B, DFS with state caching: N executions, M
  distinct states, 0 violations";
- up to traces: "... up to Mazurkiewicz equivalence, source-DPOR ...: N executions (+ K
  sleep-set-blocked), ...";
- bounded: the same, saying that nothing beyond the search's own bound was covered;
- sampled: "sampled, not exhaustive: N runs of PCT depth 3, seed 0, bounds B: 0
  violations; " and the strategy's guarantee;
- a single run: "one run (replay of one schedule ...), bounds B: 0 violations".
A violation says where it was found; a budget, an interrupt or a vacuous search say
what they covered so far. Every claim ends with the coverage record's notes, such as the
default search's (strategies/portfolio.py): which of its searches ran to the end and how
far the other got.
"""

from __future__ import annotations

from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED, Coverage, Kind
from unpack_race.scheduler.explore import Result
from unpack_race.scheduler.verdict import Verdict


def claim(result: Result) -> str:
    coverage = result.coverage
    if result.verdict is Verdict.VIOLATION:
        v = result.violation
        if coverage.kind is Kind.SAMPLED:
            text = f"{_sampled_head(coverage, result.found_in)}: violation of {v.property} at step {v.step_index}"
        else:
            text = (f"violation of {v.property} found by {_algorithm(coverage)} in execution {result.found_in}, "
                    f"at step {v.step_index} (bounds {coverage.bounds})")
        return _with_notes(text, coverage)
    covered = covered_text(coverage)
    if result.verdict is Verdict.BUDGET:
        return f"budget ran out before a verdict; covered so far: {covered}"
    if result.verdict is Verdict.INTERRUPTED:
        return f"interrupted before a verdict; covered so far: {covered}"
    if result.verdict is Verdict.VACUOUS:
        return f"vacuous: never reached {', '.join(result.unreached)}; {covered}"
    return covered


def covered_text(coverage: Coverage) -> str:
    """What the executions so far covered, without a verdict (0 violations)."""
    kind, facts = coverage.kind, coverage.facts
    states = f", {facts.states} distinct states" if facts.states is not None else ""
    if kind is Kind.SAMPLED:
        return _with_notes(f"{_sampled_head(coverage, coverage.executions)}: 0 violations; {facts.guarantee}", coverage)
    if kind is Kind.SINGLE_RUN:
        return f"one run ({facts.algorithm}), bounds {coverage.bounds}: 0 violations"
    if kind is Kind.UP_TO_TRACES:
        blocked = coverage.cut_by(SLEEP_SET_BLOCKED)
        shown = f" (+ {blocked} sleep-set-blocked)" if facts.settings.get("sleep_sets") else ""
        return _with_notes(f"exhaustive within bounds {coverage.bounds} up to Mazurkiewicz equivalence, "
                           f"{facts.algorithm}: {coverage.executions - blocked} executions{shown}{states}, "
                           f"0 violations", coverage)
    where = f"within bounds {coverage.bounds}"
    head = f"exhaustive {where}" if kind is Kind.EXHAUSTIVE else f"bounded, not exhaustive: {where}"
    return _with_notes(f"{head}, {facts.algorithm}: {coverage.executions} executions{states}, 0 violations", coverage)


def _algorithm(coverage: Coverage) -> str:
    facts = coverage.facts
    seed = facts.settings.get("seed")
    return facts.algorithm + (f", seed {seed}" if seed is not None and coverage.kind is Kind.SAMPLED else "")


def _sampled_head(coverage: Coverage, runs: int | None) -> str:
    return f"sampled, not exhaustive: {runs} runs of {_algorithm(coverage)}, bounds {coverage.bounds}"


def _with_notes(text: str, coverage: Coverage) -> str:
    return "; ".join((text, *coverage.facts.notes))
