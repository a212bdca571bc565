"""What the containerd scenarios share.

- `ContainerdScenario`: a scenario of containerd's unpacker, whose variants are
  model.variants' (the unpacker's step before Prepare and PR 10187's halves,
  `docs/variants.md`), the shipped four first, then any a variant file registered;
- `CallerScenario`: a scenario whose variants are callers' code (`Code`:
  pkg/rootfs's callers, the client's remap helper), each with its expected verdict;
- `gc_policy_param`: the `--gc-policy` parameter (model/gc.py).

`list` and `compare` show what each variant stands for from its definition."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from unpack_race.model.gc import POLICIES, SCHEDULER
from unpack_race.model.image import ImageSpec
from unpack_race.model.unpacker import Steps
from unpack_race.model.variants import BY_NAME, Variant, registered
from unpack_race.scenarios.base import Expectation, Param, Scenario

GC_POLICY_HELP = ("when GC runs: when containerd's GC scheduler has a collection due (scheduler), at any step "
                  "(any, an over-approximation), or only while the db is dirty (dirty)")


def gc_policy_param(default: str = SCHEDULER, help: str = GC_POLICY_HELP) -> Param:
    """`--gc-policy`: when the `gc` actor may collect (model/gc.py POLICIES)."""
    return Param("gc-policy", default, help, choices=POLICIES)


class ContainerdScenario(Scenario):
    """A scenario run under every registered variant of containerd's unpacker."""

    more_variants = "; a variant of your own needs its file: --variant-file F (docs/variants.md)"

    @property
    def variants(self) -> tuple[str, ...]:
        """Every registered variant (model.variants), the shipped four first."""
        return tuple(v.name for v in registered())

    def variant_definition(self, variant: str) -> Variant | None:
        return BY_NAME.get(variant)


@attrs.frozen
class Code:
    """A variant of a scenario whose variants are callers of pkg/rootfs, not model.variants':
    its name, what it stands for (containerd or BuildKit code at a commit, or a fix idea),
    what it does, the actor it runs (`unpacker(actor, app)`), and its expected verdict as a
    function of the parameters, written down from the history or the reasoning `why` names,
    never derived from the code."""

    name: str
    releases: str
    summary: str
    unpacker: Callable[[str, ImageSpec], Steps]
    expect: Callable[[Mapping[str, Any]], Expectation]

    def code(self) -> None:
        """No code path of model.variants' kind (the unpacker's step before Prepare, PR
        10187's halves): a caller's code is its `summary` (`list` shows it)."""
        return None


class CallerScenario(Scenario):
    """A scenario whose variants are callers' code, `codes`, each with its expectation."""

    codes: tuple[Code, ...] = ()

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.codes)

    def variant_definition(self, variant: str) -> Code:
        name = self.check_variant(variant)
        return next(c for c in self.codes if c.name == name)

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        return self.variant_definition(variant).expect(self.resolve(params))
