"""The scenarios the command line knows, by name."""

from __future__ import annotations

from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.retry_after_cancel import RetryAfterCancel
from unpack_race.scheduler.echo import echo

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (RetryAfterCancel(), *CLASSICS)}

CANONICAL = "retry-after-cancel"


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ParamError(
            f"unknown scenario {echo(name)}; the scenarios are: {', '.join(SCENARIOS)} "
            f"(see `unpack-race list`)"
        ) from None
