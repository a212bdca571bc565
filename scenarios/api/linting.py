"""`lint()`: the engine's soundness self-check (scheduler.lint) on a scenario, for one
variant or every variant, within the scenario's bounds. Nothing is printed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from unpack_race.scenarios.base import Built
from unpack_race.scenarios.registry import scenario as get_scenario
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.lint import DEFAULT_MAX_STATES, LintReport
from unpack_race.scheduler.lint import lint as lint_program
from unpack_race.scheduler.strategies.registry import OptionError


@attrs.frozen
class Linted:
    scenario: str
    variant: str
    built: Built
    report: LintReport


def lint(scenario: str, *, variant: str | None = None, params: Mapping[str, Any] | None = None,
         max_states: int = DEFAULT_MAX_STATES) -> tuple[Linted, ...]:
    """Lint `scenario` under `variant`, or under each of its variants."""
    if max_states < 1:
        raise OptionError(f"--max-states must be at least 1, got {echo(max_states)}")
    sc = get_scenario(scenario)
    variants = [sc.check_variant(variant)] if variant is not None else list(sc.variants)
    resolved = sc.resolve(params or {})
    found = []
    for name in variants:
        built = sc.build(name, resolved)
        report = lint_program(built.program, built.properties, max_states=max_states)
        found.append(Linted(sc.name, name, built, report))
    return tuple(found)
