"""A replayed schedule as text: strictly (`replay_text`: the narrated steps and the
verdict), or followed under another program (scheduler.follow, RESYNC policy): the
verdict, the first place the run leaves the schedule, the first step where each actor
takes another path and what it does instead, and the steps whose outcome differs from
the recording; and every variant of a scenario so (`replay_all_text`).

`replay_text` and `replay_all_text` read a scenarios.api.Replayed / ReplayedAll (their
loaded schedule, result, recorded steps and per-variant runs); reports imports nothing
from scenarios. `replay_document` says the same as `replay --json`'s document (format
unpack-race.replay, reports/schemas/replay.schema.json).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from unpack_race.reports.documents import document
from unpack_race.reports.records import result_data, step_data, violation_data
from unpack_race.reports.trace_text import narrate_steps
from unpack_race.scheduler.follow import REPLACED, UNKNOWN_ACTOR, Followed
from unpack_race.scheduler.kernel import Step


def verdict_line(run: Followed) -> str:
    """The verdict, with the violating step numbered as in the schedule."""
    violation = run.violation
    if violation is not None:
        message = violation.message
        index = violation.step_index
        if index is not None and index < len(run.origins):
            message = message.replace(f"violated by step {index}:", f"violated by step {run.origins[index]}:")
        return f"VIOLATION of {violation.property}: {message}"
    if run.unfinished:
        ending = f"with {', '.join(run.unfinished)} unfinished"
    else:
        ending = "with every actor finished"
    return f"no violation in the {len(run.steps)} steps followed (the run ends {ending})"


def cannot_follow(run: Followed) -> str | None:
    """One line saying why the schedule cannot be followed at all, or None."""
    unknown = run.first_departure([UNKNOWN_ACTOR])
    if unknown is not None:
        return f"cannot be followed: {unknown.describe()}"
    if run.scheduled and not run.steps:
        first = run.first_departure()
        return f"cannot be followed: not one scheduled step can be taken ({first.describe()})"
    return None


def differing_steps(run: Followed, recorded: Sequence[Step]) -> list[tuple[int, Step]]:
    """From the first changed path on, the steps whose narration differs from the
    recorded step in the same turn, each with its turn (the schedule's step index)."""
    first = run.first_departure([REPLACED])
    if first is None:
        return []
    found = []
    for step, origin in zip(run.steps, run.origins):
        if origin < first.index:
            continue
        if origin >= len(recorded) or recorded[origin].narrate() != step.narrate():
            found.append((origin, step))
    return found


def followed_lines(run: Followed, recorded: Sequence[Step], limit: int = 12) -> list[str]:
    """The lines under a variant's verdict (indented by the caller)."""
    problem = cannot_follow(run)
    if problem is not None:
        return [problem]
    if run.exact:
        return ["the run follows the schedule exactly"]
    lines = [f"first departs at {run.departures[0].describe()}"]
    seen: set[str] = set()
    for departure in run.departures:
        if departure.kind == REPLACED and departure.expected.actor not in seen:
            seen.add(departure.expected.actor)
            taken = run.steps[departure.taken] if departure.taken is not None and departure.taken < len(run.steps) else None
            what = taken.narrate() if taken is not None else departure.pending
            lines.append(
                f"{departure.expected.actor} takes another path at step {departure.index}: instead of "
                f"{departure.expected.describe()}: {what}"
            )
    differing = differing_steps(run, recorded)
    if differing:
        lines.append("from there on, the turns that differ from the recording (numbered as in the schedule):")
        shown = differing if len(differing) <= limit else differing[: limit - 1]
        lines.extend(f"  {turn:>3}  {s.narrate()}" for turn, s in shown)
        if len(shown) < len(differing):
            lines.append(f"  ... and {len(differing) - len(shown)} more")
    return lines


def replay_text(replayed: Any) -> str:
    """A strict replay: where, the narrated steps, and the verdict."""
    loaded, result = replayed.loaded, replayed.result
    steps = result.run.steps
    lines = [f"Replaying {loaded.source} ({len(loaded.schedule.steps)} steps) under variant {loaded.variant}, "
             f"{loaded.built.bounds}",
             narrate_steps(steps, result.violation)]
    if result.violation is not None:
        lines.append(f"VIOLATION: {result.violation.message}")
    else:
        lines.append(f"no violation in the {len(steps)} replayed steps")
    return "\n".join(lines)


def replay_all_text(replayed: Any) -> str:
    """The schedule followed under every variant: each one's verdict (held against the
    file's `expect`), where it departs and what it does instead."""
    loaded = replayed.loaded
    lines = [
        f"Replaying {loaded.source} ({len(loaded.schedule.steps)} steps, recorded under {loaded.variant}) "
        f"under every variant of {loaded.scenario.name} ({loaded.built.bounds}).",
        "Where a variant's code takes another path, the schedule is still followed: an actor whose "
        "next effect comes later in the schedule skips the steps before it; one whose code does "
        "something else keeps its turns and does that.",
    ]
    for v in replayed.variants:
        mark = " (recorded)" if v.recorded else ""
        if v.problem is not None or v.run is None:
            lines.append(f"- {v.variant}{mark}: {v.problem}")
            continue
        line = f"- {v.variant}{mark}: {verdict_line(v.run)}"
        if v.as_expected is not None:
            line += "  [as expected]" if v.as_expected else f"  [NOT AS EXPECTED: expected {v.wanted}]"
        lines.append(line)
        lines.extend(f"    {text}" for text in followed_lines(v.run, replayed.recorded))
    if replayed.expect is not None:
        lines.append("every verdict is the expected one" if replayed.all_as_expected
                     else "SOME VERDICTS ARE NOT AS EXPECTED")
    return "\n".join(lines)


def _source(loaded: Any) -> dict[str, Any]:
    return {"schedule": loaded.source, "scenario": loaded.scenario.name, "params": dict(loaded.params),
            "bounds": loaded.built.bounds, "scheduled_steps": len(loaded.schedule.steps)}


def _followed(v: Any, recorded: Sequence[Step]) -> dict[str, Any]:
    """One variant's run along the schedule: its verdict (None when it cannot follow it,
    `problem` says why), the file's expectation and whether it is met, and the departures."""
    run = v.run if v.problem is None else None
    return {
        "variant": v.variant,
        "recorded": v.recorded,
        "verdict": v.verdict,
        "violation": violation_data(run.violation) if run is not None else None,
        "problem": v.problem,
        "expected": dict(v.wanted) if v.wanted is not None else None,
        "as_expected": v.as_expected,
        "exact": run.exact if run is not None else None,
        "departures": [d.describe() for d in run.departures] if run is not None else [],
        "details": followed_lines(v.run, recorded) if v.run is not None else [],
    }


def replay_document(replayed: Any, exit_code: int) -> dict[str, Any]:
    """What `replay --json` prints: for a strict replay (mode "strict") the variant, the
    result (a single run's coverage) and the steps; for `--all-variants` (mode
    "all-variants") each variant's run along the schedule and, for a file with an `expect`
    object, whether every verdict is the expected one."""
    loaded = replayed.loaded
    if not hasattr(replayed, "variants"):  # a strict replay (scenarios.api.Replayed)
        return document("replay", exit_code, {
            "mode": "strict", **_source(loaded), "variant": loaded.variant,
            "result": result_data(replayed.result), "steps": [step_data(s) for s in replayed.result.run.steps]})
    return document("replay", exit_code, {
        "mode": "all-variants", **_source(loaded), "variant": loaded.variant,
        "variants": [_followed(v, replayed.recorded) for v in replayed.variants],
        "expect": dict(replayed.expect) if replayed.expect is not None else None,
        "all_as_expected": replayed.all_as_expected if replayed.expect is not None else None,
        "any_violation": replayed.any_violation,
    })

