"""`lint()`: the engine's soundness self-check (scheduler.lint) on a scenario, for one
variant or every variant, within the scenario's bounds. Nothing is printed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from unpack_race.scenarios.registry import scenario_of
from unpack_race.scenarios.base import Built, Scenario
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.lint import DEFAULT_MAX_STATES, LintReport
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.lint import lint as lint_program
from unpack_race.scheduler.strategies.registry import OptionError


@attrs.frozen
class Linted:
    """One variant's lint: the built program and the `LintReport` (its findings, each
    with what to fix, and what the lint covered)."""

    scenario: str
    variant: str
    built: Built
    report: LintReport


@attrs.frozen
class LintedSoFar:
    """What an interrupted lint finished: the variants linted, and the one under way."""

    linted: tuple[Linted, ...]
    variants: tuple[str, ...]  # every variant asked for
    interrupted: str


def lint(scenario: str | Scenario, *, variant: str | None = None, params: Mapping[str, Any] | None = None,
         max_states: int = DEFAULT_MAX_STATES,
         progress: Callable[[str, int, int], None] | None = None) -> tuple[Linted, ...]:
    """Lint `scenario` (a name or a Scenario) under `variant`, or under each of its
    variants, within its bounds (at most `max_states` states each); `progress(variant,
    done, count)` is called as each variant's lint starts. On Ctrl-C raises Interrupted (a
    KeyboardInterrupt) whose `partial` is a LintedSoFar."""
    if max_states < 1:
        raise OptionError(f"--max-states must be at least 1, got {echo(max_states)}")
    sc = scenario_of(scenario)
    variants = [sc.check_variant(variant)] if variant is not None else list(sc.variants)
    resolved = sc.resolve(params or {})
    found = []
    for name in variants:
        try:
            built = sc.build(name, resolved)
            if progress is not None:
                progress(name, len(found), len(variants))
            report = lint_program(built.program, built.properties, max_states=max_states)
        except KeyboardInterrupt as stop:
            raise Interrupted(LintedSoFar(tuple(found), tuple(variants), name)) from stop
        found.append(Linted(sc.name, name, built, report))
    return tuple(found)
