"""`catalog()`: the scenarios the command line knows, their parameters with defaults and
bounds, and their variants, each with the verdict expected under default parameters and,
for containerd's variants, the releases it stands for and its code path (model.variants,
as the scenario's `variant_definition` gives it); for the callers of pkg/rootfs, what
each stands for and does (scenarios.shared_layers.Code)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from unpack_race.scenarios.base import Expectation, Param, Scenario
from unpack_race.scenarios.registry import SCENARIOS, scenario_of


@attrs.frozen
class VariantEntry:
    """A variant as `catalog()` lists it: its expected verdict and what it stands for."""

    name: str
    expected: Expectation  # with default parameters
    releases: str | None  # containerd releases (None: not one of containerd's variants)
    summary: str | None  # what the variant's code does (None: see expected.why)
    #: its code path: the unpacker's step before Prepare and PR 10187's two halves (None: not
    #: one of containerd's variants)
    code: str | None = None


@attrs.frozen
class ScenarioEntry:
    """A scenario as `catalog()` lists it: its parameters and variants."""

    name: str
    summary: str
    params: tuple[Param, ...]
    variants: tuple[VariantEntry, ...]


def catalog(scenarios: Iterable[str | Scenario] | None = None) -> tuple[ScenarioEntry, ...]:
    """Every registered scenario, in the registry's order; or the scenarios given (names,
    references `file.py:NAME` of the user's own, or Scenario objects), in their order."""
    entries = []
    for sc in SCENARIOS.values() if scenarios is None else map(scenario_of, scenarios):
        variants = []
        for name in sc.variants:
            known = sc.variant_definition(name)
            variants.append(VariantEntry(name, sc.expected(name, {}), known.releases if known else None,
                                         known.summary if known else None, known.code() if known else None))
        entries.append(ScenarioEntry(sc.name, sc.summary, tuple(sc.params), tuple(variants)))
    return tuple(entries)


__all__ = ["ScenarioEntry", "VariantEntry", "catalog"]
