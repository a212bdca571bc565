"""The code variants the model compares: two independent switches, tied to releases.

- `stat_early_return`: the unpacker's `sn.Stat(chainID)` then `return nil` before
  Prepare (core/unpack/unpacker.go before d7f83034c, PR 10723);
- `lease_on_exists`: the metadata snapshotter leases an existing snapshot on the
  AlreadyExists paths of Prepare and Commit (c7fb8a925, PR 10187).
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Variant:
    name: str
    stat_early_return: bool
    lease_on_exists: bool
    releases: str
    summary: str


VARIANTS: tuple[Variant, ...] = (
    Variant(
        "stat-early-return-no-lease", True, False,
        "up to 1.6.31 and 1.7.16",
        "Stat then skip; Prepare/Commit return AlreadyExists without leasing",
    ),
    Variant(
        "stat-early-return", True, True,
        "1.6.32-1.6.36, 1.7.17-1.7.22, 2.0.0-rc.2 to rc.5",
        "Stat then skip; PR 10187 leases on AlreadyExists, but the Stat path never asks",
    ),
    Variant(
        "prepare-without-lease", False, False,
        "never released (PR 10723 alone)",
        "always Prepare; AlreadyExists comes back without a lease",
    ),
    Variant(
        "prepare-with-lease", False, True,
        "1.6.37+, 1.7.23+, 2.0.0+",
        "always Prepare; the existing snapshot is leased in the same transaction (the fix)",
    ),
)

BY_NAME = {v.name: v for v in VARIANTS}


def variant(name: str) -> Variant:
    try:
        return BY_NAME[name]
    except KeyError:
        known = ", ".join(BY_NAME)
        raise KeyError(f"unknown variant {name!r}; the variants are: {known}") from None
