"""The choice tree that a depth-first search walks: loom's recorded path (Tokio's loom,
`rt/path.rs`), one branch per choice point of the current execution, each with the
alternatives still to explore there.

An execution follows the path's choices (replayed through `choices.replay`, which checks
each recorded actor, its pending effect and the runnable set), then extends the path
with new branches as the strategy decides. `next_prefix()` backtracks: it drops the
branches with nothing left and moves the deepest remaining one to its next alternative;
the returned prefix is that path, of which every step but the last was already checked
against the properties. A fixed `root` (the prefix of a run whose continuations are
explored) is replayed first and never branched.

Which alternative comes next is the strategy's business: by default a branch's `todo`
list in order (DFS), or a strategy's own rule (DPOR's backtrack sets) through
`alternative`. The tree serialises to JSON with every recorded effect by kind and
arguments, so a search can be checkpointed and resumed (`to_json`, `from_json`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from unpack_race.scheduler.choice_point import ChoicePoint, Prefix
from unpack_race.scheduler.choices import Choice, Named, Recorded
from unpack_race.scheduler.effect import Effect

FORMAT = "unpack-race.choice-tree"
VERSION = 1


@attrs.define
class Branch:
    """A choice point on the current path: who could move, the effect each was waiting
    to perform, the actor chosen, and the alternatives still to try."""

    runnable: tuple[str, ...]
    effects: Mapping[str, Effect | Named]
    chosen: str
    todo: list[str] = attrs.field(factory=list)
    data: Any = None  # the strategy's own bookkeeping for this branch

    def choice(self) -> Choice:
        return Choice(self.chosen, self.effects[self.chosen], self.runnable)


def next_in_todo(branch: Branch) -> str | None:
    """The default rule: the next alternative in the branch's todo list."""
    return branch.todo.pop(0) if branch.todo else None


class ChoiceTree:
    def __init__(
        self,
        root: Sequence[Recorded] = (),
        alternative: Callable[[Branch], str | None] = next_in_todo,
    ) -> None:
        self.root = tuple(root)
        self.branches: list[Branch] = []
        self._choices: list[Choice] = []  # each branch's choice, kept with the branches (path() is hot)
        self.alternative = alternative
        self._started = False
        self._pending = False  # the prefix handed out last has not been run yet
        self.taken = 0  # choices taken at branches: each new branch's first, each alternative handed out

    @property
    def depth(self) -> int:
        """The depth of the next new branch (the length of the current path)."""
        return len(self.root) + len(self.branches)

    def path(self) -> tuple[Recorded, ...]:
        return self.root + tuple(self._choices)

    def branch(self, point: ChoicePoint, options: Sequence[str], data: Any = None) -> Branch:
        """A new branch at `point`: take options[0] now, the others later, in order."""
        if point.depth != self.depth:
            raise AssertionError(f"a branch at depth {point.depth} on a path of depth {self.depth}")
        effects = {actor: point.pending(actor) for actor in point.runnable}
        branch = Branch(point.runnable, effects, options[0], list(options[1:]), data)
        self.branches.append(branch)
        self._choices.append(branch.choice())
        self.taken += 1
        return branch

    def next_prefix(self) -> Prefix | None:
        """The path the next execution replays, or None when the tree is exhausted. Until
        `ran()` says the path handed out last was run, it is handed out again (a search
        stopped by its budget, checkpointed and resumed, loses no execution)."""
        if self._pending:
            return Prefix(self.path(), self.depth - 1 if self.branches else 0)
        self._pending = True
        if not self._started:
            self._started = True
            return Prefix(self.root, 0)
        while self.branches:
            last = self.branches[-1]
            chosen = self.alternative(last)
            if chosen is not None:
                last.chosen = chosen
                self._choices[-1] = last.choice()
                self.taken += 1
                final = self.alternative is next_in_todo and not last.todo  # (another rule may add some later)
                return Prefix(self.path(), self.depth - 1, final=final)
            self.branches.pop()
            self._choices.pop()
        self._pending = False
        return None

    def ran(self) -> None:
        """The execution along the path handed out last has run."""
        self._pending = False

    # -- checkpoints -----------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The tree as JSON data (the strategy's branch data must be JSON data too)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "started": self._started,
            "pending": self._pending,
            "root": [_choice_json(c) for c in self.root],
            "branches": [
                {
                    "runnable": list(b.runnable),
                    "effects": {a: _named(e).to_json() for a, e in sorted(b.effects.items())},
                    "chosen": b.chosen,
                    "todo": list(b.todo),
                    "data": b.data,
                }
                for b in self.branches
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], alternative=next_in_todo) -> ChoiceTree:
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"not a version-{VERSION} {FORMAT} document")
        root = [
            Choice(c["actor"], Named.from_json(c), None if c.get("runnable") is None else tuple(c["runnable"]))
            for c in data["root"]
        ]
        tree = cls(root, alternative)
        tree._started = bool(data["started"])
        tree._pending = bool(data["pending"])
        for b in data["branches"]:
            effects = {a: Named.from_json(e) for a, e in b["effects"].items()}
            tree.branches.append(Branch(tuple(b["runnable"]), effects, b["chosen"], list(b["todo"]), b["data"]))
        tree._choices = [branch.choice() for branch in tree.branches]
        return tree


def _named(effect: Effect | Named) -> Named:
    return effect if type(effect) is Named else Named.of(effect)


def _choice_json(recorded: Recorded) -> dict[str, Any]:
    """A root step as JSON: a Choice, or a schedule's step (kind and arguments)."""
    effect = recorded.effect
    named = Named(effect, json.dumps(dict(recorded.args), sort_keys=True)) if isinstance(effect, str) else _named(effect)
    return {"actor": recorded.actor, **named.to_json(),
            "runnable": None if recorded.runnable is None else list(recorded.runnable)}
