"""The variants of containerd's code the model compares, each one small, self-describing
definition: its name, the releases or PR it stands for, what it changes in the code path
(the unpacker's step before Prepare, and which halves of PR 10187 the metadata
snapshotter has), and the verdict containerd's history gives it, written down as data.

The expectation is never derived from the code switches: a variant whose code is wrong
for what it claims to be (say, the fix's name and expectation with the Stat early return
kept) then shows as NOT AS EXPECTED instead of quietly changing its own expectation.

The four shipped variants are the combinations of containerd's two changes:
- the unpacker's `sn.Stat(chainID)` then `return nil` before Prepare
  (core/unpack/unpacker.go before d7f83034c, PR 10723): `stat_early_return`;
- the metadata snapshotter leases an existing snapshot on the AlreadyExists paths of
  Prepare and Commit (c7fb8a925, PR 10187): `lease_on_exists`. PR 10187 has two halves,
  createSnapshot's T1 and Commit (model/switches.py); each shipped variant has both or
  neither, as every release did. `HALVES` are the two combinations no release had, one
  half without the other; the commit-already-exists scenario compares them
  (scenarios/concurrent_pulls.py), and they are not registered, so that the canonical
  comparison stays the four.

What a release line adds beyond these two changes (the kmutex's x/sync, the 1.6
unpacker's wait without abort) is not a variant but a scenario parameter, `--release`
(model/releases.py): every variant meets it on every line.

More can be registered (`register`), for instance from a researcher's file outside the
package (scenarios/variant_files.py, `--variant-file F`); every scenario, command and test
that goes over the variants reads `registered()`.
"""

from __future__ import annotations

import inspect
import re

import attrs
from unpack_race.model.switches import LeaseOnExists
from unpack_race.model.unpacker import SkipCheck, stat_early_return

#: the property issue 3787 violates (scenarios/invariants.NO_MISSING_PARENT)
MISSING_PARENT = "no-missing-parent"
ISSUE_3787 = "containerd issue 3787: the retry relies on an unleased snapshot"
NAME = re.compile(r"[a-z0-9][a-z0-9.-]{0,63}")


@attrs.frozen
class Variant:
    name: str  # lower case, digits, '-' and '.' (it becomes part of file names)
    #: what it stands for, as a phrase shown as it is: the containerd releases or PR
    #: ("containerd 1.6.37+, ..."), or a researcher's "a fix idea, not in containerd"
    releases: str
    summary: str  # what it changes in the code path, in words
    skip_check: SkipCheck | None  # the unpacker's step before Prepare (model/unpacker.py); None: always Prepare
    #: the metadata snapshotter's PR 10187 ("lease on already exists"): True or False for both
    #: halves alike, or LeaseOnExists(prepare=..., commit=...) for one without the other
    lease_on_exists: LeaseOnExists = attrs.field(converter=LeaseOnExists.of)
    #: the property containerd's history (or the variant's author) says fails under this
    #: variant wherever the race can occur; every other property holds. None: all hold.
    violates: str | None
    why: str  # where the expectation comes from

    def __attrs_post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise ValueError(f"variant name {self.name!r}: use 1 to 64 lower-case letters, digits, '-' or '.', "
                             f"starting with a letter or digit")
        if self.skip_check is not None and not inspect.isgeneratorfunction(self.skip_check):
            raise ValueError(f"variant {self.name}: skip_check must be None or a generator function "
                             f"(def check(ctx, chain): ... yield Stat(chain) ... return True to skip the layer)")

    def code(self) -> str:
        """The code path in words: the unpacker's step before Prepare, and PR 10187's halves."""
        if self.skip_check is None:
            before = "always Prepare (PR 10723)"
        elif self.skip_check is stat_early_return:
            before = "Stat(chainID) then skip (before PR 10723)"
        else:
            before = f"its own step before Prepare ({getattr(self.skip_check, '__name__', 'skip_check')})"
        return f"{before}; {self.lease_on_exists.text()}"


SHIPPED: tuple[Variant, ...] = (
    Variant(
        "stat-early-return-no-lease", "containerd up to 1.6.31 and 1.7.16, 2.0.0-rc.0 and rc.1",
        "Stat then skip; Prepare/Commit return AlreadyExists without leasing",
        stat_early_return, False, MISSING_PARENT, ISSUE_3787,
    ),
    Variant(
        "stat-early-return", "containerd 1.6.32-1.6.36, 1.7.17-1.7.22, 2.0.0-rc.2 to rc.5",
        "Stat then skip; PR 10187 leases on AlreadyExists, but the Stat path never asks",
        stat_early_return, True, MISSING_PARENT, ISSUE_3787,
    ),
    Variant(
        "prepare-without-lease", "never released: containerd PR 10723 alone",
        "always Prepare; AlreadyExists comes back without a lease",
        None, False, MISSING_PARENT, ISSUE_3787,
    ),
    Variant(
        "prepare-with-lease", "containerd 1.6.37+, 1.7.23+, 2.0.0+",
        "always Prepare; the existing snapshot is leased in the same transaction (the fix)",
        None, True, None, "PR 10723 + PR 10187: the snapshot is leased when relied on",
    ),
)

#: PR 10187 split: always Prepare (PR 10723) with one half of PR 10187 and not the other.
#: No release had either; with prepare-without-lease (neither half) and prepare-with-lease
#: (both) they make the four combinations of the commit-already-exists scenario. Their
#: expected verdicts there depend on its parameters (whether the pulls share CRI's kmutex),
#: so `violates` says what holds where the race can occur at all, and the scenario refines it.
HALVES: tuple[Variant, ...] = (
    Variant(
        "prepare-half-only", "never released: PR 10723 with PR 10187's createSnapshot half",
        "always Prepare; Prepare's T1 leases an existing target, Commit's AlreadyExists leases nothing",
        None, LeaseOnExists(prepare=True, commit=False), MISSING_PARENT,
        "a second Commit of the chain ID gets AlreadyExists and leases nothing (Commit before PR 10187)",
    ),
    Variant(
        "commit-half-only", "never released: PR 10723 with PR 10187's Commit half",
        "always Prepare; Commit leases an existing name, Prepare's T1 AlreadyExists leases nothing",
        None, LeaseOnExists(prepare=False, commit=True), MISSING_PARENT,
        "Prepare's T1 finds the committed target and leases nothing (createSnapshot before PR 10187)",
    ),
)

#: every registered variant by name, in registration order (the shipped four first)
BY_NAME: dict[str, Variant] = {v.name: v for v in SHIPPED}


def registered() -> tuple[Variant, ...]:
    return tuple(BY_NAME.values())


def register(v: Variant) -> Variant:
    """Add a variant; a name already registered is a ValueError (names identify variants in
    schedule files, so two definitions may not share one)."""
    if not isinstance(v, Variant):
        raise TypeError(f"expected a unpack_race.model.variants.Variant, got {type(v).__name__}")
    if v.name in BY_NAME:
        raise ValueError(f"a variant named {v.name!r} is already registered; choose another name")
    BY_NAME[v.name] = v
    return v


def unregister(name: str) -> None:
    """Remove a variant registered with `register` (the shipped four stay)."""
    if any(v.name == name for v in SHIPPED):
        raise ValueError(f"variant {name!r} is one of the shipped variants and cannot be removed")
    BY_NAME.pop(name, None)


def variant(name: str) -> Variant:
    try:
        return BY_NAME[name]
    except KeyError:
        known = ", ".join(BY_NAME)
        raise KeyError(f"unknown variant {name!r}; the variants are: {known}") from None
