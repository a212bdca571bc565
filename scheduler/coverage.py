"""What a search covered, as one structured record: the evidence a verdict rests on.

Every strategy describes itself once (`Facts`: what kind of coverage it gives, its
algorithm and paper, its settings, the property scopes its reduction preserves, and the
guarantee a pass carries); the explorer adds the counts (executions started, run to a
final state, cut and why, distinct states, steps applied and steps restored instead of
replayed; with the strategy's count of distinct transitions, steps per transition). The record is rendered into words in
`reports/` and written to JSON as it is (`to_json`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs


class Kind(enum.Enum):
    """What kind of claim a search makes: exhaustive, bounded, sampled or a single run."""

    EXHAUSTIVE = "exhaustive"  # every reachable state (or interleaving) within the bounds
    UP_TO_TRACES = "up-to-traces"  # every Mazurkiewicz trace within the bounds
    BOUNDED = "bounded"  # exhaustive within the bounds and an extra search bound
    SAMPLED = "sampled"  # runs drawn at random: evidence, not proof
    SINGLE_RUN = "single-run"  # one run along a schedule or a draw


#: why an execution ended before a final state
STATE_SEEN, SLEEP_SET_BLOCKED, SCHEDULE_ENDED, VIOLATED, STEP_LIMIT = (
    "state-seen", "sleep-set-blocked", "schedule-ended", "violation", "step-limit",
)


@attrs.frozen
class Facts:
    """What a strategy says of itself."""

    kind: Kind
    algorithm: str  # "DFS with state caching"
    citation: str  # the paper it follows ("" for none)
    settings: Mapping[str, Any] = attrs.field(factory=dict)  # seed, runs, bounds of the search
    scopes: tuple[str, ...] = ()  # the property scopes its verdicts preserve
    guarantee: str = ""  # what a search of this strategy that finds nothing has shown
    states: int | None = None  # distinct states seen, where it keeps count
    notes: tuple[str, ...] = ()  # sentences about this particular search (how a counterexample shrank)
    transitions: int | None = None  # distinct (state, choice) transitions taken, where it keeps count


@attrs.frozen
class Coverage:
    """What a search covered: its strategy's facts (algorithm, paper, guarantee, states),
    the bounds, executions complete and cut by cause, steps, and whether it finished."""

    facts: Facts
    bounds: str  # the program's bounds, as its scenario states them
    executions: int  # started
    complete: int  # ran until no actor could move
    cut: Mapping[str, int]  # executions ended early, by cause
    steps: int  # steps the kernel applied (replayed ones included, restored ones not)
    finished: bool  # the strategy had nothing left to explore (no budget, Ctrl-C or violation stopped it)
    restored: int = 0  # steps fed back to their actors from a saved state instead of replayed (scheduler.restore)

    @property
    def kind(self) -> Kind:
        return self.facts.kind

    @property
    def states(self) -> int | None:
        return self.facts.states

    @property
    def transitions(self) -> int | None:
        return self.facts.transitions

    @property
    def steps_per_transition(self) -> float | None:
        """Steps applied per distinct transition taken (1.0: each transition executed
        once; a replaying search executes its prefixes again), where the strategy counts
        transitions."""
        if not self.facts.transitions:
            return None
        return self.steps / self.facts.transitions

    def cut_by(self, cause: str) -> int:
        return self.cut.get(cause, 0)

    def to_json(self) -> dict[str, Any]:
        f = self.facts
        return {
            "kind": f.kind.value,
            "algorithm": f.algorithm,
            "citation": f.citation,
            "settings": dict(sorted(f.settings.items())),
            "bounds": self.bounds,
            "executions": self.executions,
            "complete": self.complete,
            "cut": dict(sorted(self.cut.items())),
            "states": f.states,
            "steps": self.steps,
            "restored": self.restored,
            "transitions": f.transitions,
            "scopes": list(f.scopes),
            "guarantee": f.guarantee,
            "notes": list(f.notes),
            "finished": self.finished,
        }
