"""The JSON records several documents share (reports.documents), the one rendering of
each: a step, a violation, and a search result with its coverage record as it is
(scheduler.coverage.Coverage.to_json) and its claim in words (reports.claims). Their
schemas are reports/schemas/common.schema.json's `$defs` of the same names."""

from __future__ import annotations

from typing import Any

from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import Result
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.properties import Violation


def step_data(step: Step) -> dict[str, Any]:
    """A step: its index, actor, effect (kind and arguments), narration, whether it
    succeeded, and the resources it read and wrote where recorded."""
    data: dict[str, Any] = {
        "index": step.index,
        "actor": step.actor,
        "effect": type(step.effect).__name__,
        "args": step.effect.args(),
        "narration": step.narrate(),
        "ok": step.ok,
    }
    if step.footprint is not None:
        data["reads"] = sorted(step.footprint.reads)
        data["writes"] = sorted(step.footprint.writes)
    return data


def violation_data(violation: Violation | None) -> dict[str, Any] | None:
    if violation is None:
        return None
    return {"property": violation.property, "step": violation.step_index, "message": violation.message}


def result_data(result: Result) -> dict[str, Any]:
    """A search's result: the verdict, what it proved or found (the claim and the coverage
    record), the violation, and the numbers behind them."""
    return {
        "verdict": result.verdict.value,
        "claim": claim(result),
        "violation": violation_data(result.violation),
        "found_in_execution": result.found_in,
        "executions": result.executions,
        "states": result.states,
        "steps": result.steps,
        "seconds": round(result.elapsed, 3),
        "reached": list(result.reached),
        "unreached": list(result.unreached),
        "coverage": result.coverage.to_json(),
    }


__all__ = ["result_data", "step_data", "violation_data"]
