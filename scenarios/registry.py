"""The scenarios the command line knows, by name."""

from __future__ import annotations

from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.retry_after_cancel import RetryAfterCancel
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.suggestions import did_you_mean

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (RetryAfterCancel(), *CLASSICS)}

CANONICAL = "retry-after-cancel"


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ParamError(
            f"unknown scenario {echo(name)}{did_you_mean(name, SCENARIOS)}; the scenarios are: "
            f"{', '.join(SCENARIOS)} (see `unpack-race list`)"
        ) from None
