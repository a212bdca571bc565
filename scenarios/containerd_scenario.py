"""What the scenarios of containerd's unpacker share: their variants are model.variants'
(the unpacker's step before Prepare and PR 10187's halves, `docs/variants.md`), the shipped
four first, then any a variant file registered; `list` and `compare` show what each stands
for from its definition there."""

from __future__ import annotations

from unpack_race.model.variants import BY_NAME, Variant, registered
from unpack_race.scenarios.base import Scenario


class ContainerdScenario(Scenario):
    """A scenario run under every registered variant of containerd's unpacker."""

    more_variants = "; a variant of your own needs its file: --variant-file F (docs/variants.md)"

    @property
    def variants(self) -> tuple[str, ...]:
        """Every registered variant (model.variants), the shipped four first."""
        return tuple(v.name for v in registered())

    def variant_definition(self, variant: str) -> Variant | None:
        return BY_NAME.get(variant)
