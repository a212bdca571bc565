"""One worker of the parallel breadth-first search: the owner of one partition of the
visited set (scheduler/parallel_search.py drives the owners, level by level).

An owner keeps the digests (scheduler/state_digest.py) of the states it owns that were
reached so far. Each round it receives its inbox, the candidate states of the next level
whose digest maps to it, each with its position in serial order (the rank of its parent
in the level before, and the index of the choice taken) and the path that reaches it;
it drops the ones seen before, keeps for each new one the candidate of the smallest
position (the one serial BFS meets first, so its path is serial BFS's representative),
and expands the new ones in that order: every runnable actor's step, with the properties
checked after each step as `scheduler.explore` checks them (scheduler/checks.py), and at
a final state the deadlock and end checks. The successors go back grouped by owner,
keyed by their parent's digest and choice index, for the coordinator to route.

A state is rebuilt by replaying its path once (scheduler.choices.replay, with its
determinism check); its second and later successors start from the state restored
instead (scheduler/restore.py: a copy of the world and the actors fed their recorded
outcomes), as DFS with state caching does, so a state of depth d costs d replayed steps
plus one step per successor. This follows the partitioned hash table of parallel Murphi
(Stern and Dill, CAV 1997) and SPIN's multi-core search (Holzmann and Bosnacki, IEEE TSE
2007), with the owners kept in lockstep, one breadth-first level per round, so that
the result does not depend on timing.

A model that raises inside a worker is not raised there: the owner reports the path and
the step, and the coordinator takes that step again in its own process, where it raises
as it does in the serial search (a `ModelFailure`, exit 3), with the run that led to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
from unpack_race.scheduler.checks import Checks
from unpack_race.scheduler.choices import Choice, replay
from unpack_race.scheduler.kernel import Execution, ProtocolError, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.restore import Restorer, rebuild
from unpack_race.scheduler.state_digest import DigestInterner, owner_of, state_digest
from unpack_race.scheduler.world_values import is_immutable

#: builds what an owner searches: the program and its properties (called once per owner,
#: in the owner's process; for Dask it must pickle)
Build = Callable[[], tuple[Program, Sequence[Property]]]

#: when an event happens within a transition: after its step, or at the final state it reached
AFTER_STEP, AT_FINAL = 0, 1


#: a candidate state: (position in serial order, digest, path, seed)
Candidate = tuple[tuple[int, int], bytes, tuple[Choice, ...], "Seed | None"]


@attrs.frozen
class Event:
    """Something a transition found: a violation (`violation`, and `path` to the state it
    reached), `sometimes` properties reached (`reached`), or an exception (`raised`: its
    text; `path` to the state whose choice `choice` raised, None when rebuilding raised)."""

    parent: bytes  # the digest of the state the transition left
    choice: int  # its index among that state's runnable choices
    phase: int  # AFTER_STEP or AT_FINAL
    violation: Any = None
    reached: tuple[str, ...] = ()
    raised: str | None = None
    path: tuple[Choice, ...] = ()
    actor: str | None = None


@attrs.frozen
class Seed:
    """What rebuilds a state without replaying its path (scheduler.restore.rebuild): the
    world after the path (private to the message), every step's outcome, and every
    actor's history digest. Sent only when every outcome is an immutable value (a mutable
    one would be the sender's object: restore.py explains why); else the path is replayed."""

    world: Any
    outcomes: tuple[tuple[Any, Any], ...]  # (result, error) of each step of the path
    histories: tuple[bytes, ...]


@attrs.define
class RoundResult:
    """What one owner did in one round."""

    new: list[tuple[tuple[int, int], bytes, int]]  # (position, digest, runnable choices) of its new states
    outboxes: list[list[tuple[bytes, int, bytes, tuple[Choice, ...], Seed | None]]]  # per owner:
    # (parent, choice, child, path, seed)
    events: list[Event]
    transitions: int = 0  # steps taken from new states
    final: int = 0  # of which reached a final state
    steps: int = 0  # steps the kernel applied (replays included)
    restored: int = 0  # steps fed back from a saved state instead of replayed


class PartitionOwner:
    """The owner of partition `index` of `count` (see the module docstring)."""

    def __init__(self, build: Build, index: int, count: int, max_steps: int = 100_000) -> None:
        self.program, properties = build()
        self.checks = Checks(properties)
        self.index, self.count, self.max_steps = index, count, max_steps
        self.interner = DigestInterner()
        self.visited: set[bytes] = set()

    def round(self, inbox: Sequence[Candidate], reached: Sequence[str]) -> RoundResult:
        """Take in `inbox` ((position, digest, path, seed) of candidate states) and expand the
        new ones; `reached` are the `sometimes` properties reached before this level (no
        need to look for them again)."""
        self.checks.reached.update(reached)
        fresh = self._fresh(inbox)
        self.visited.update(candidate[1] for candidate in fresh)
        result = RoundResult([], [[] for _ in range(self.count)], [])
        for position, digest, path, seed in fresh:
            width = self._expand(digest, path, seed, result)
            result.new.append((position, digest, width))
        return result

    def count_new(self, inbox: Sequence[Candidate]) -> int:
        """How many distinct states of `inbox` are new to this owner (nothing is kept)."""
        return len(self._fresh(inbox))

    def _fresh(self, inbox: Sequence[Candidate]) -> list[Candidate]:
        best: dict[bytes, Candidate] = {}
        for candidate in inbox:
            digest = candidate[1]
            if digest in self.visited:
                continue
            found = best.get(digest)
            if found is None or candidate[0] < found[0]:
                best[digest] = candidate
        return sorted(best.values(), key=lambda candidate: candidate[0])

    def _build(self, path: tuple[Choice, ...], seed: Seed | None, counted) -> Execution:
        """An execution in the state `path` reaches: rebuilt from `seed`, or replayed."""
        if seed is None:
            return replay(Execution(self.program, self.interner, footprints=True), path, after=counted)
        steps = [Step(index, choice.actor, choice.effect, result, error)
                 for index, (choice, (result, error)) in enumerate(zip(path, seed.outcomes, strict=True))]
        histories = tuple(self.interner.adopt(history) for history in seed.histories)
        return rebuild(self.program, self.interner, seed.world, steps, [c.runnable for c in path], histories)

    def _expand(self, digest: bytes, path: tuple[Choice, ...], seed: Seed | None, result: RoundResult) -> int:
        """Take every runnable choice of the state `path` reaches; how many there were."""
        program, interner, checks = self.program, self.interner, self.checks
        execution = None

        def counted(step) -> None:
            result.steps += 1

        try:
            execution = self._build(path, seed, counted)
            if seed is not None:
                result.restored += len(path)
            runnable = execution.runnable()
        except Exception as error:  # noqa: BLE001 - the coordinator raises it again, as serial BFS would
            if execution is not None:
                execution.close()
            result.events.append(Event(digest, -1, AFTER_STEP, raised=_text(error), path=path))
            return 0
        if not runnable:  # a final state: checked when the step that reached it was taken
            execution.close()
            return 0
        depth = len(path)
        restorer = Restorer(program, interner)
        for choice, actor in enumerate(runnable):
            try:
                if choice:
                    execution = restorer.restore(depth, final=choice == len(runnable) - 1)
                    if execution is None:
                        execution = replay(Execution(program, interner, footprints=True), path, after=counted)
                else:
                    restorer.keep(execution)
                step = execution.step(actor)
                result.steps += 1
                if len(execution.steps) > self.max_steps:
                    raise ProtocolError(f"an execution ran past {self.max_steps} steps; does an actor loop forever?")
                reached_before = set(checks.reached)
                violation, phase = checks.after(execution.world, step), AFTER_STEP
                final = violation is None and not execution.runnable()
                if final:
                    self._note_reached(result, digest, choice, AFTER_STEP, reached_before)
                    reached_before = set(checks.reached)
                    violation, phase = checks.final(execution), AT_FINAL
                    result.final += 1
                self._note_reached(result, digest, choice, phase, reached_before)
            except Exception as error:  # noqa: BLE001 - the coordinator raises it again, as serial BFS would
                result.events.append(Event(digest, choice, AFTER_STEP, raised=_text(error), path=path, actor=actor))
                if execution is not None:
                    execution.close()
                restorer.close()
                return len(runnable)
            result.transitions += 1
            child = state_digest(execution, interner)
            taken = path + (Choice(actor, step.effect, runnable),)
            if violation is not None:
                result.events.append(Event(digest, choice, phase, violation=violation, path=taken))
            sent = None
            if seed is not None or not path:
                outcome = (step.result, step.error)
                if step.error is not None or is_immutable(step.result):
                    outcomes = (seed.outcomes if seed is not None else ()) + (outcome,)
                    sent = Seed(execution.world, outcomes, tuple(interner.digests[a.history] for a in execution.actors))
            result.outboxes[owner_of(child, self.count)].append((digest, choice, child, taken, sent))
            restorer.ran(execution)
        restorer.close()
        return len(runnable)

    def _note_reached(self, result: RoundResult, digest: bytes, choice: int, phase: int, before: set[str]) -> None:
        if len(self.checks.reached) > len(before):
            names = tuple(sorted(self.checks.reached - before))
            result.events.append(Event(digest, choice, phase, reached=names))


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


__all__ = ["AFTER_STEP", "AT_FINAL", "Build", "Event", "PartitionOwner", "RoundResult"]
