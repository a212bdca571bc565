"""One worker of the parallel breadth-first search: the owner of one partition of the
visited set (scheduler/parallel_search.py drives the owners, level by level).

An owner keeps the digests (scheduler/state_digest.py) of the states it owns that were
reached so far, each with its link back (its parent's digest and the choice taken), from
which the coordinator rebuilds a counterexample's path. Each round it receives its
inbox, the candidate states of the next level whose digest maps to it, each with its
position in serial order (the rank of its parent in the level before, and the index of
the choice taken); it drops the ones seen before, keeps for each new one the candidate of
the smallest position (the one serial BFS meets first, so its path is serial BFS's
representative), and expands the new ones in that order: every runnable actor's step,
with the properties checked after each step as `scheduler.explore` checks them
(scheduler/checks.py), and at a final state the deadlock and end checks. The successors
go back grouped by owner, keyed by their parent's digest and choice index, for the
coordinator to route.

What a successor carries is one `bytes` value pickled here (`Transfer`), so that the
coordinator routes it without unpickling it and an owner unpickles only the candidates it
keeps: the choice that reached it and what rebuilds it without replaying (scheduler.
restore.rebuild): a copy of the world, each step's actor and outcome, and every actor's
history digest. The actors are rebuilt by feeding those outcomes to fresh generators
(their effects are the ones they yield again), and their histories are interned again
from the steps, which must give the digests sent: if not, the model is not deterministic
(NondeterminismError). A path with an outcome that is not an immutable value (restore.py
explains why it cannot be fed back) is sent whole instead and replayed. The second and
later successors of a state start from the state restored (scheduler/restore.py's
`Restorer`), as DFS with state caching does.

This follows the partitioned hash table of parallel Murphi (Stern and Dill, CAV 1997)
and SPIN's multi-core search (Holzmann and Bosnacki, IEEE TSE 2007), with the owners
kept in lockstep, one breadth-first level per round, so that the result does not depend
on timing.

A model that raises inside a worker is not raised there: the owner reports the step, and
the coordinator takes that step again in its own process, where it raises as it does in
the serial search (a `ModelFailure`, exit 3), with the run that led to it.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from unpack_race.scheduler.checks import Checks
from unpack_race.scheduler.choices import Choice, NondeterminismError, replay
from unpack_race.scheduler.crashes import owner
from unpack_race.scheduler.kernel import Execution, ProtocolError, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.restore import Restorer
from unpack_race.scheduler.state_digest import DigestInterner, owner_of, state_digest
from unpack_race.scheduler.world_values import is_immutable

#: builds what an owner searches: the program and its properties (called once per owner,
#: in the owner's process; for Dask it must pickle)
Build = Callable[[], tuple[Program, Sequence[Property]]]

#: when an event happens within a transition: after its step, or at the final state it reached
AFTER_STEP, AT_FINAL = 0, 1

#: a candidate state: (position in serial order, digest, parent's digest, pickled Transfer)
Candidate = tuple[tuple[int, int], bytes, bytes | None, bytes]


@attrs.frozen
class Transfer:
    """What a successor carries (see the module docstring): the choice that reached it,
    and either what rebuilds it (`world`, `outcomes`: (mover, result, error) of every step
    of its path, `histories`: every actor's history digest) or its whole `path`."""

    choice: Choice | None
    world: Any = None
    outcomes: tuple[tuple[str, Any, Any], ...] | None = None
    histories: tuple[bytes, ...] = ()
    path: tuple[Choice, ...] | None = None


@attrs.frozen
class Event:
    """Something a transition found: a violation (`violation`, and `choice`, the step
    taken), `sometimes` properties reached (`reached`), or an exception (`raised`: its
    text; `actor`, whose step raised, None when rebuilding the state raised)."""

    parent: bytes  # the digest of the state the transition left
    index: int  # its index among that state's runnable choices (-1: rebuilding it raised)
    phase: int  # AFTER_STEP or AT_FINAL
    violation: Any = None
    reached: tuple[str, ...] = ()
    raised: str | None = None
    choice: Choice | None = None
    actor: str | None = None


@attrs.define
class RoundResult:
    """What one owner did in one round."""

    new: list[tuple[tuple[int, int], bytes, int]]  # (position, digest, runnable choices) of its new states
    outboxes: list[list[tuple[bytes, int, bytes, bytes]]]  # per owner: (parent, index, child, Transfer)
    events: list[Event]
    transitions: int = 0  # steps taken from new states
    final: int = 0  # of which reached a final state
    steps: int = 0  # steps the kernel applied (replays included)
    restored: int = 0  # steps fed back to rebuilt actors instead of replayed
    cpu: float = 0.0  # CPU seconds the owner spent on the round


class PartitionOwner:
    """The owner of partition `index` of `count` (see the module docstring)."""

    def __init__(self, build: Build, index: int, count: int, max_steps: int = 100_000) -> None:
        self.program, properties = build()
        self.checks = Checks(properties)
        self.index, self.count, self.max_steps = index, count, max_steps
        self.interner = DigestInterner()
        self.links: dict[bytes, tuple[bytes | None, Choice | None]] = {}  # owned state -> (parent, choice)

    def round(self, inbox: Sequence[Candidate], reached: Sequence[str]) -> RoundResult:
        """Take in `inbox` and expand the new candidates; `reached` are the `sometimes`
        properties reached before this level (no need to look for them again)."""
        started = time.process_time()
        self.checks.reached.update(reached)
        result = RoundResult([], [[] for _ in range(self.count)], [])
        for position, digest, parent, blob in self._fresh(inbox):
            transfer: Transfer = pickle.loads(blob)
            self.links[digest] = (parent, transfer.choice)
            width = self._expand(digest, transfer, result)
            result.new.append((position, digest, width))
        result.cpu = time.process_time() - started
        return result

    def count_new(self, inbox: Sequence[Candidate]) -> int:
        """How many distinct states of `inbox` are new to this owner (nothing is kept)."""
        return len(self._fresh(inbox))

    def link(self, digest: bytes | None) -> tuple[bytes | None, Choice | None] | None:
        """The parent and choice that reached the owned state `digest` (None: not asked)."""
        return self.links[digest] if digest is not None else None

    def _fresh(self, inbox: Sequence[Candidate]) -> list[Candidate]:
        best: dict[bytes, Candidate] = {}
        links = self.links
        for candidate in inbox:
            digest = candidate[1]
            if digest in links:
                continue
            found = best.get(digest)
            if found is None or candidate[0] < found[0]:
                best[digest] = candidate
        return sorted(best.values(), key=lambda candidate: candidate[0])

    def _build(self, transfer: Transfer, result: RoundResult) -> Execution:
        """An execution in the state `transfer` describes: rebuilt, or replayed."""
        if transfer.outcomes is None:
            path = transfer.path or ()

            def counted(step) -> None:
                result.steps += 1

            return replay(Execution(self.program, self.interner, footprints=True), path, after=counted)
        execution = Execution(self.program, self.interner, footprints=True, world=transfer.world)
        steps: list[Step] = []
        histories = {name: 0 for name in self.program.actor_names()}
        try:
            for index, (mover, outcome, error) in enumerate(transfer.outcomes):
                effect = execution.pending(mover)
                if effect is None:
                    raise NondeterminismError(index, f"step {index}: rebuilding a state from its recorded outcomes, "
                                                     f"{mover} has already finished")
                steps.append(Step(index, mover, effect, outcome, error))
                execution.resume(steps[-1])
                name = owner(mover, effect)
                histories[name] = self.interner.extend(histories[name], steps[-1])
        except BaseException:
            execution.close()
            raise
        ids = tuple(histories[a.name] for a in execution.actors)
        if tuple(self.interner.digests[i] for i in ids) != transfer.histories:
            execution.close()
            raise NondeterminismError(len(steps), f"step {len(steps)}: rebuilding a state from its recorded outcomes, "
                                                  f"an actor yields other effects than when the state was reached")
        execution.restored(steps, [()] * len(steps), ids)
        result.restored += len(steps)
        return execution

    def _expand(self, digest: bytes, transfer: Transfer, result: RoundResult) -> int:
        """Take every runnable choice of the state `transfer` describes; how many there were."""
        program, interner, checks = self.program, self.interner, self.checks
        execution = None
        try:
            execution = self._build(transfer, result)
            runnable = execution.runnable()
        except Exception as error:  # noqa: BLE001 - the coordinator raises it again, as serial BFS would
            if execution is not None:
                execution.close()
            result.events.append(Event(digest, -1, AFTER_STEP, raised=_text(error)))
            return 0
        if not runnable:  # a final state: checked when the step that reached it was taken
            execution.close()
            return 0
        depth = len(execution.steps)
        outcomes = transfer.outcomes if transfer.outcomes is not None else _outcomes(execution.steps)
        restorer = Restorer(program, interner)
        for index, actor in enumerate(runnable):
            try:
                if index:
                    execution = restorer.restore(depth, final=index == len(runnable) - 1)
                    if execution is None:
                        execution = self._build(transfer, result)
                else:
                    restorer.keep(execution)
                step = execution.step(actor)
                result.steps += 1
                if len(execution.steps) > self.max_steps:
                    raise ProtocolError(f"an execution ran past {self.max_steps} steps; does an actor loop forever?")
                reached_before = set(checks.reached)
                violation, phase = checks.after(execution.world, step), AFTER_STEP
                if violation is None and not execution.runnable():
                    self._note_reached(result, digest, index, AFTER_STEP, reached_before)
                    reached_before = set(checks.reached)
                    violation, phase = checks.final(execution), AT_FINAL
                    result.final += 1
                self._note_reached(result, digest, index, phase, reached_before)
            except Exception as error:  # noqa: BLE001 - the coordinator raises it again, as serial BFS would
                result.events.append(Event(digest, index, AFTER_STEP, raised=_text(error), actor=actor))
                if execution is not None:
                    execution.close()
                restorer.close()
                return len(runnable)
            result.transitions += 1
            child = state_digest(execution, interner)
            choice = Choice(actor, step.effect, runnable)
            if violation is not None:
                result.events.append(Event(digest, index, phase, violation=violation, choice=choice))
            if outcomes is not None and (step.error is not None or is_immutable(step.result)):
                transfer_out = Transfer(choice, execution.world, outcomes + ((actor, step.result, step.error),),
                                        tuple(interner.digests[a.history] for a in execution.actors))
            else:  # an outcome that is not a value: the path is sent, to be replayed
                transfer_out = Transfer(choice, path=tuple(Choice.of(s) for s in execution.steps))
            result.outboxes[owner_of(child, self.count)].append(
                (digest, index, child, pickle.dumps(transfer_out, pickle.HIGHEST_PROTOCOL)))
            restorer.ran(execution)
        restorer.close()
        return len(runnable)

    def _note_reached(self, result: RoundResult, digest: bytes, index: int, phase: int, before: set[str]) -> None:
        if len(self.checks.reached) > len(before):
            names = tuple(sorted(self.checks.reached - before))
            result.events.append(Event(digest, index, phase, reached=names))


def _outcomes(steps: Sequence[Step]) -> tuple[tuple[str, Any, Any], ...] | None:
    """The (mover, result, error) of every step, or None when an outcome is not a value."""
    if any(step.error is None and not is_immutable(step.result) for step in steps):
        return None
    return tuple((step.actor, step.result, step.error) for step in steps)


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


__all__ = ["AFTER_STEP", "AT_FINAL", "Build", "Candidate", "Event", "PartitionOwner", "RoundResult", "Transfer"]
