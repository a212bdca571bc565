"""What the lint reports: findings, each with the state where it shows and what to fix,
and the coverage that says honestly how much was checked."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import attrs
from unpack_race.scheduler.kernel import Step

# The kinds of finding, in the order a report lists them, with what each means.
KINDS: dict[str, str] = {
    "model-error": "the model raised, or is not deterministic",
    "resource-map": "the world's resource map is missing or incomplete",
    "undeclared-read": "a step reads a resource its footprint does not declare",
    "undeclared-write": "a step writes a resource its footprint does not declare",
    "enabled-writes": "a step's enabled() changes the world",
    "constant-written": "a step writes an attribute the resource map calls constant",
    "write-only-read": "a step reads an attribute the resource map calls write-only",
    "on-exit": "the program's on_exit hook touches more than exit/<actor>",
    "not-commuting": "two steps with non-conflicting footprints do not commute",
    "enabling": "a step enables or disables a step whose footprint it does not conflict with",
    "footprint-changes": "a step changes the footprint of a step it does not conflict with",
    "locks": "a step's declared lock does not behave as a mutex (taken while held, given back by another)",
    "ignored-result": "an actor reads a result its effect's outcome_key says it ignores",
    "fingerprint": "two worlds with the same fingerprint are told apart by a step or a property",
    "state-key": "two states with the same state key behave differently",
    "state-property-reads": "a state property reads a resource it does not declare",
}


@attrs.frozen
class Finding:
    """One problem, shown in one state (or a pair of states): `summary` says what is
    wrong in the model's words, naming the offending steps, and `advice` what to fix.
    `path` is the run that reaches the state (`other_path` the second state's, for a
    pair); `details` are further lines (the resources, the differences); `also` counts the
    other states where the same problem shows."""

    kind: str
    summary: str
    advice: str
    path: tuple[Step, ...] = ()
    other_path: tuple[Step, ...] | None = None
    details: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    also: int = 0

    def __attrs_post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of finding {self.kind!r}; the kinds are {', '.join(KINDS)}")


@attrs.frozen
class Coverage:
    """How much the lint checked. `complete` means every reachable state within the
    program's bounds was explored and checked; otherwise `max_states` ran out."""

    states: int  # distinct complete states reached (world and full histories)
    expanded: int  # of which every step out was taken and checked
    transitions: int  # steps taken
    worlds: int  # distinct worlds
    footprints: int  # (world, pending step) pairs whose accesses were recorded
    pairs: int  # pairs of independent steps tried both ways
    key_groups: int  # groups of states sharing a state key, compared
    fingerprint_groups: int  # groups of distinct worlds sharing a fingerprint, compared
    complete: bool
    max_states: int
    seconds: float
    notes: tuple[str, ...] = ()  # checks that could not run, and why


@attrs.frozen
class LintReport:
    program: str
    findings: tuple[Finding, ...]
    coverage: Coverage

    @property
    def clean(self) -> bool:
        return not self.findings


class Collector:
    """Gathers findings, one per distinct problem: `add(key, rank, make)` keeps, for each
    `key`, the finding of lowest rank (the depth of its state, or a tuple that starts with
    something more telling; ties: the first), and counts the rest."""

    def __init__(self) -> None:
        self._best: dict[Hashable, tuple[tuple[int, int], Finding]] = {}
        self._counts: dict[Hashable, int] = {}
        self._order = 0

    def add(self, key: Hashable, rank, make) -> None:
        self._counts[key] = self._counts.get(key, 0) + 1
        rank = (rank, self._order)
        self._order += 1
        found = self._best.get(key)
        if found is None or rank < found[0]:
            self._best[key] = (rank, make())

    def seen(self, key: Hashable) -> bool:
        return key in self._best

    def findings(self) -> list[Finding]:
        out = []
        for key, (_rank, finding) in self._best.items():
            out.append(attrs.evolve(finding, also=self._counts[key] - 1))
        return out


def ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings in report order: by kind, then by the length of the path, then text."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    return tuple(sorted(findings, key=lambda f: (rank[f.kind], len(f.path), f.summary)))
