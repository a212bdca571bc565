"""The scenarios the command line knows, by name; and a user's own, by reference
(`file.py:NAME` or `module:NAME`, scenarios/user_scenarios.py)."""

from __future__ import annotations

from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.concurrent_pulls import CommitAlreadyExists, ConcurrentPulls
from unpack_race.scenarios.crash_instead_of_cancel import CrashInsteadOfCancel
from unpack_race.scenarios.lease_deleted_under_pull import LeaseDeletedUnderPull
from unpack_race.scenarios.remap_snapshot import RemapSnapshot
from unpack_race.scenarios.remove_image_during_pull import RemoveImageDuringPull
from unpack_race.scenarios.retry_after_cancel import RetryAfterCancel
from unpack_race.scenarios.rootfs_apply_layer import RootfsApplyLayer
from unpack_race.scenarios.rootfs_apply_layers import RootfsApplyLayers
from unpack_race.scenarios.user_scenarios import file_without_name, is_reference, load_scenario
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.suggestions import did_you_mean

SCENARIOS: dict[str, Scenario] = {
    s.name: s for s in (RetryAfterCancel(), ConcurrentPulls(), CommitAlreadyExists(), RemoveImageDuringPull(),
                        RootfsApplyLayer(), RootfsApplyLayers(), RemapSnapshot(), CrashInsteadOfCancel(),
                        LeaseDeletedUnderPull(), *CLASSICS)
}

CANONICAL = "retry-after-cancel"


def scenario(name: str) -> Scenario:
    """The built-in scenario `name`, or the user's scenario a reference names (loaded on
    first use)."""
    if is_reference(name):
        return load_scenario(name, frozenset(SCENARIOS))
    if name.endswith(".py") and name not in SCENARIOS:
        raise file_without_name(name)
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ParamError(
            f"unknown scenario {echo(name)}{did_you_mean(name, SCENARIOS)}; the scenarios are: "
            f"{', '.join(SCENARIOS)} (see `unpack-race list`); a scenario of your own is named by its file: "
            f"FILE.py:NAME"
        ) from None


def scenario_of(given: str | Scenario) -> Scenario:
    """A scenario by name or reference (`scenario(name)`), or the Scenario object given."""
    return scenario(given) if isinstance(given, str) else given
