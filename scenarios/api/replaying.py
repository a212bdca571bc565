"""`replay()`: a schedule run again, strictly under one variant (its own by default), or
followed under every variant of its scenario with the RESYNC policy of scheduler.follow
(where a variant's code takes another path: where each departs, what it does instead,
and its verdict, held against the file's `expect` object when it has one).
Nothing is printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from unpack_race.reports.replay_text import cannot_follow
from unpack_race.scenarios.api.model_errors import raised_in
from unpack_race.scenarios.api.sources import Loaded, Target, load, replay_strictly
from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scheduler.explore import ModelFailure
from unpack_race.scheduler.explore import Result
from unpack_race.scheduler.follow import RESYNC, Followed, follow, follow_schedule
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.schedule import Schedule, ScheduleError
from unpack_race.scheduler.strategies.replay import ReplayDivergence


@attrs.frozen
class Replayed:
    """A strict replay: the steps taken (up to a violation) and the violation, if any."""

    loaded: Loaded
    result: Result

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.result.run.steps

    @property
    def violated(self) -> bool:
        return self.result.violation is not None


@attrs.frozen
class VariantReplay:
    """The schedule followed under one variant (RESYNC policy)."""

    variant: str
    run: Followed | None
    problem: str | None  # why it cannot be followed, in one line
    recorded: bool = False  # the variant the schedule was recorded under
    wanted: Mapping[str, Any] | None = None  # the file's expected verdict for this variant

    @property
    def verdict(self) -> dict[str, Any] | None:
        """The verdict and the property violated, as a schedule's `expect` states them."""
        if self.run is None or self.problem is not None:
            return None
        return {"verdict": self.run.verdict.value,
                "property": self.run.violation.property if self.run.violation else None}

    @property
    def as_expected(self) -> bool | None:
        """Whether the verdict is the file's expected one (None when it expects nothing here)."""
        if self.wanted is None:
            return None
        return self.verdict == {"verdict": self.wanted.get("verdict"), "property": self.wanted.get("property")}


@attrs.frozen
class ReplayedAll:
    """The schedule followed under every variant of its scenario."""

    loaded: Loaded  # under the variant it was recorded under
    recorded: tuple[Step, ...]  # its steps, replayed strictly under that variant
    variants: tuple[VariantReplay, ...]
    expect: Mapping[str, Any] | None  # the file's `expect` object, if it has one

    @property
    def all_as_expected(self) -> bool:
        """Every variant could follow the schedule, and each one the file names in `expect`
        reached its expected verdict."""
        return all(v.problem is None and v.run is not None and v.as_expected is not False for v in self.variants)

    @property
    def any_violation(self) -> bool:
        """Some variant violates a property, or cannot follow the schedule at all."""
        return any(v.problem is not None or v.run is None or v.run.violation is not None for v in self.variants)


def replay(target: Target, *, variant: str | None = None, all_variants: bool = False,
           scenario: str | Scenario | None = None) -> Replayed | ReplayedAll:
    """Replay a schedule (a file, a Schedule, or a counterexample's) strictly under
    `variant` (by default the one it was recorded under), or with `all_variants` follow it
    under each variant of its scenario. `scenario` is the scenario the schedule belongs to
    when the registry does not know it (a user's own, as an object or a reference `file.py:NAME`, of the schedule's name). Raises
    ScheduleError for a file that cannot be used or (strictly) does not replay, ParamError
    for an unknown variant or for both a variant and all_variants."""
    if all_variants:
        if variant is not None:
            raise ParamError("--variant and --all-variants cannot be used together")
        return _replay_all(target, scenario)
    loaded = load(target, variant, check_names=False, scenario=scenario)  # an unknown actor is the replay's divergence
    return Replayed(loaded, replay_strictly(loaded))


def follow_under_every_variant(schedule: Schedule, sc: Scenario, params: Mapping[str, Any],
                               recorded: str | None = None,
                               expect: Mapping[str, Any] | None = None) -> tuple[VariantReplay, ...]:
    """Follow the schedule under each of the scenario's variants (RESYNC policy)."""
    found = []
    for variant in sc.variants:
        wanted = expect.get(variant) if expect is not None else None
        try:
            built = sc.build(variant, params)
        except ParamError as err:
            found.append(VariantReplay(variant, None, f"cannot be followed: {err}", variant == recorded, wanted))
            continue
        try:
            run = follow_schedule(built.program, schedule.steps, built.properties, RESYNC)
        except ModelFailure as failure:
            found.append(VariantReplay(variant, None, f"the model raised: {failure}", variant == recorded, wanted))
            continue
        found.append(VariantReplay(variant, run, cannot_follow(run), variant == recorded, wanted))
    return tuple(found)


def _replay_all(target: Target, scenario: str | Scenario | None) -> ReplayedAll:
    loaded = load(target, scenario=scenario)
    try:  # strictly under its own variant, not stopping at a violation: what the others are held against
        with raised_in(loaded.scenario, loaded.variant, loaded.params):
            recorded = follow(loaded.built.program, loaded.schedule.steps).steps
    except ReplayDivergence as err:
        raise ScheduleError(f"{loaded.source}: under variant {loaded.variant}, {err}; "
                            f"cannot compare a schedule that does not replay") from None
    expect = loaded.schedule.extensions.get("expect")
    expect = expect if isinstance(expect, dict) else None
    variants = follow_under_every_variant(loaded.schedule, loaded.scenario, loaded.params, loaded.variant, expect)
    return ReplayedAll(loaded, recorded, variants, expect)


__all__ = ["Replayed", "ReplayedAll", "VariantReplay", "follow_under_every_variant", "replay"]
