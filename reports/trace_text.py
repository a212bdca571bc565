"""A trace as numbered sentences, each in the words of the model that produced it
(every effect narrates itself), with the violating step marked; how each actor ends; and
a counterexample told with both, as `check` prints it."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from unpack_race.reports.documents import document
from unpack_race.reports.records import step_data
from unpack_race.scheduler.explore import ModelFailure
from unpack_race.scheduler.kernel import Status, Step
from unpack_race.scheduler.properties import Violation
from unpack_race.scheduler.run import Run


def narrate_steps(steps: Sequence[Step], violation: Violation | None = None) -> str:
    width = len(str(max(len(steps) - 1, 0)))
    marked = violation.step_index if violation else None
    lines = []
    for step in steps:
        mark = ">>" if step.index == marked else "  "
        lines.append(f"{mark} {step.index:>{width}}  {step.narrate()}")
    return "\n".join(lines)


def actor_outcomes(run: Run) -> str:
    """How each actor ended: returned, failed (with the model's error), crashed, never
    started (a restart), or still waiting."""
    lines = []
    for actor in run.ends:
        if actor.status is Status.DONE:
            value = f" ({actor.returned})" if actor.returned is not None else ""
            lines.append(f"   {actor.name}: returned{value}")
        elif actor.status is Status.FAILED:
            lines.append(f"   {actor.name}: failed: {actor.error}")
        elif actor.status is Status.CRASHED:
            lines.append(f"   {actor.name}: crashed (it never moved again; none of its deferred code ran)")
        elif actor.status is Status.NOT_STARTED:
            lines.append(f"   {actor.name}: never started (the actor it restarts did not crash)")
        else:
            waiting = actor.pending.describe() if actor.pending else "?"
            kind = "daemon, stopped" if actor.daemon else "unfinished"
            lines.append(f"   {actor.name}: {kind}, next would be {waiting}")
    return "\n".join(lines)


def counterexample_text(steps: Sequence[Step], violation: Violation | None, continuation: Run) -> str:
    """A counterexample narrated, then how each actor ends if the run goes on
    (`continuation`: the run carried on past the violation)."""
    return (
        f"Counterexample, {len(steps)} steps:\n{narrate_steps(steps, violation)}\n"
        f"How each actor ends if the run goes on (first runnable actor first; not part of the counterexample):\n"
        f"{actor_outcomes(continuation)}"
    )


def schedule_written(path: str | os.PathLike[str], source: str | None = None) -> str:
    """Where a schedule was written, and how to replay it (naming its scenario's
    `source`, for one defined outside unpack-race)."""
    return f"Schedule written to {path}\n  replay it: {replay_command(path, source)}"


def replay_command(path: str | os.PathLike[str], source: str | None = None) -> str:
    """The command line that replays a schedule file: `--scenario` loads a scenario
    defined outside unpack-race from its file or module (`source`), as a schedule never
    imports code by itself."""
    scenario = f" --scenario {shlex.quote(source)}" if source is not None else ""
    return f"unpack-race replay {shlex.quote(str(path))}{scenario}"


def model_failure_text(failure: ModelFailure) -> str:
    """A model that raised: the run up to the failing step, narrated, then the step whose
    code raised and the exception, as a finding about the model."""
    steps = failure.run.steps if failure.run is not None else ()
    lines = [f"The model raised an exception in execution {failure.execution}: a bug in the model, "
             f"not a finding about the system it models.",
             f"The run up to it, {len(steps)} steps:" if steps else "It raised before any step was taken."]
    if steps:
        lines.append(narrate_steps(steps))
    if failure.failing is not None:
        index = len(steps)
        lines.append(f">> {index:>{len(str(max(index, 1)))}}  {failure.failing.actor}: {failure.failing.describe()} "
                     f"raised {type(failure.error.cause).__name__}: {failure.error.cause}"
                     if hasattr(failure.error, "cause") else f">> {index}  {failure.failing.actor}: {failure}")
    else:
        lines.append(f">> {failure}")
    return "\n".join(lines)


def model_error_document(failure: ModelFailure, exit_code: int, command: str, scenario: str, variant: str,
                         params: Mapping[str, Any], schedule: str) -> dict[str, Any]:
    """What `--json` prints when the model raised (exit 3): the command, the scenario,
    variant and parameters, the error, the execution and the steps up to the failing one,
    and the schedule written that replays it (format unpack-race.model-error)."""
    steps = failure.run.steps if failure.run is not None else ()
    return document("model-error", exit_code, {
        "command": command, "scenario": scenario, "variant": variant, "params": dict(params),
        "error": str(failure), "execution": failure.execution, "steps": [step_data(s) for s in steps],
        "failing": None if failure.failing is None else {
            "actor": failure.failing.actor, "effect": type(failure.failing.effect).__name__},
        "schedule": schedule,
    })
