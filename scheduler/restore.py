"""Restoring a state instead of replaying its prefix: the engine mode in which a
depth-first search executes each transition about once.

A stateless search reaches a branching point again by running the program from the start
along the recorded path (scheduler.choices.replay), so every execution re-applies its
whole prefix: every effect, footprint, property check and fingerprint again. Generator
frames cannot be copied, but what an actor is at a point is a function of the outcomes
sent into it so far (the kernel's premise for its interned histories), and the world is
plain data. So at every choice point with more than one runnable actor the explorer keeps
a `SavedState`: a copy of the world (scheduler.world_values.copy_value: mutable parts
copied, immutable ones shared) and the actors' interned histories. To go back to depth
d, `Restorer.restore` takes the deepest saved state at or above d, copies its world again
(the saved state itself is never changed, so a branch with three alternatives is
restored three times from it; for the last alternative, which the prefix marks `final`,
the saved state is given away instead of copied), and rebuilds the actors: one that did
not move after depth d in the execution just run is taken over from it as it stands (its
generator is exactly where it was at depth d; a program with crashes, whose restarts
start at a crash, has every actor rebuilt), every other one gets a fresh generator fed
the recorded outcomes of its steps among the path's first d: no effect is applied, no
footprint, property or fingerprint computed, no hook run. The steps beyond the saved
state's depth are replayed as before, and the strategy is asked from there on.

This is the checkpoint-and-re-execute idea of stateful search for programs whose states
cannot be copied whole (CMC, Musuvathi et al., OSDI 2002, keep states and restore them;
here the part that cannot be copied, the actors' frames, is re-derived from their
recorded inputs, as in replay-based checkpointing).

Two things keep it exact:
- **The nondeterminism check.** Rebuilding checks that each fresh generator yields the
  effect it yielded when the step was recorded; if not, it raises the same
  `NondeterminismError` a replay raises ("... the model is not deterministic"). What a
  restore cannot check is an effect's `apply` giving another outcome on the same world
  (it is not run again); a model whose `apply` reads something outside the world is
  caught by the lint's determinism checks and by replay, not here.
- **Outcomes that are values.** A restored actor receives the very object the step
  returned. If that were a mutable part of the world (a dict the effect handed out), the
  actor would see the old execution's copy, changed since. So saved states are kept only
  along a path whose outcomes so far are all immutable (`world_values.is_immutable`;
  errors are `Failure`s, thrown as recorded); past the first mutable outcome, the
  restorer keeps none and those prefixes are replayed from the deepest saved state before
  it, which is always correct, only slower.

A strategy asks for this mode by setting `restores = True`, which promises what the
choice tree guarantees: the prefix of every execution after the first agrees, on its
first `checked` steps, with the execution just run (so those steps, as recorded by it,
are the ones to feed back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from unpack_race.scheduler.choices import NondeterminismError
from unpack_race.scheduler.kernel import Actor, Execution, HistoryInterner, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.world_values import copy_value, is_immutable


def rebuild(program: Program, interner: HistoryInterner | None, world: Any, steps: Sequence[Step],
            runnable: Sequence[tuple[str, ...]], histories: tuple[int, ...],
            adopted: Mapping[str, Actor] | None = None) -> Execution:
    """An execution in the state after `steps` (with the runnable actors before each,
    `runnable`, and the actors' interned `histories` after them), on `world`, which must
    be the world as it stood after them (it is taken, not copied): every actor but the
    `adopted` ones (standing where they must after `steps`) gets a fresh generator fed the
    recorded outcomes of its steps; no effect is applied. NondeterminismError when a
    rebuilt actor yields another effect than the one recorded."""
    adopted = adopted or {}
    execution = Execution(program, interner, footprints=True, world=world, adopted=adopted)
    for index, step in enumerate(steps):
        if step.actor in adopted:
            continue
        found = execution.pending(step.actor)
        if found == step.effect:  # (== is attrs' own; != would call it through __ne__)
            execution.resume(step)
            continue
        taken = "has already finished" if found is None else f"yields {found.describe()} there"
        execution.close()
        raise NondeterminismError(
            index, f"step {index}: restoring the state, the search recorded {step.actor} to "
                   f"{step.effect.describe()}; rebuilt from its recorded outcomes, {step.actor} {taken}")
    execution.restored(list(steps), list(runnable), histories)
    return execution


@attrs.frozen
class SavedState:
    """The state after the first `depth` steps of the current path: a private copy of
    the world (never changed) and every actor's interned history."""

    depth: int
    world: Any
    histories: tuple[int, ...]


class Restorer:
    """The saved states along the current path and the last execution's recorded steps, and
    how many steps were restored rather than replayed (`restored`)."""

    def __init__(self, program: Program, interner: HistoryInterner | None) -> None:
        self.program, self.interner = program, interner
        self.saved: list[SavedState] = []  # by increasing depth, all on the current path
        self.restored = 0  # steps fed back instead of replayed
        self._last: Execution | None = None  # the last execution, its generators still open
        self._handing = not program.crashable()  # whether actors may be handed over (kernel.hand_over)
        self._values_upto = 0  # the current path's outcomes before this index are immutable
        self._mutable_at: int | None = None  # the first step with a mutable outcome, if any

    def keep(self, execution: Execution) -> None:
        """At a choice point of `execution`, before its next step: keep a saved state if more
        than one choice is open here and every outcome on the path so far is a value."""
        if len(execution.runnable()) < 2 or self._mutable_at is not None:
            return
        steps = execution.steps
        for index in range(self._values_upto, len(steps)):
            if steps[index].error is None and not is_immutable(steps[index].result):
                self._mutable_at = index
                return
        self._values_upto = len(steps)
        self.saved.append(SavedState(len(steps), copy_value(execution.world),
                                       tuple(a.history for a in execution.actors)))

    def ran(self, execution: Execution) -> None:
        """`execution` is over: its steps are the path the next one restores along, and
        its actors that did not move past that point are handed over as they stand (it
        is closed once the next one is built, or by `close`)."""
        self.close()
        self._last = execution

    def close(self) -> None:
        """Close the last execution (what it handed over excepted)."""
        if self._last is not None:
            self._last.close()
            self._last = None

    # -- checkpoints (scheduler.checkpoint) ---------------------------------------------
    def checkpoint(self) -> tuple[tuple[int, ...], int, int | None, int]:
        """What a checkpoint keeps of the restorer: the saved states' depths, how far
        the path's outcomes are known to be values, and the steps restored so far."""
        return tuple(s.depth for s in self.saved), self._values_upto, self._mutable_at, self.restored

    def rebuild(self, execution: Execution, values_upto: int, mutable_at: int | None, restored: int) -> None:
        """Take over after a checkpoint: `execution` has just been run off the record along
        the last execution's path (calling `keep_at` after each step, so that the saved
        states are those kept before); it is the execution the next one restores from."""
        self._values_upto, self._mutable_at, self.restored = values_upto, mutable_at, restored
        self._last = execution

    def keep_at(self, execution: Execution, depths: frozenset[int]) -> None:
        """While replaying the path of a checkpoint: a saved state here if one was kept here."""
        if len(execution.steps) in depths:
            self.saved.append(SavedState(len(execution.steps), copy_value(execution.world),
                                         tuple(a.history for a in execution.actors)))

    def restore(self, depth: int, final: bool = False) -> Execution | None:
        """An execution in the state after the first `depth` steps of the last one, or as
        near before it as a saved state allows (its `steps` say how far); None when there
        is no saved state at or before `depth` (then run from the start). `final`: no later
        execution restores at `depth` again, so a saved state there is given away, not
        copied."""
        saved = self.saved
        while saved and saved[-1].depth > depth:
            saved.pop()
        last, self._last = self._last, None
        if not saved or last is None:
            self._values_upto, self._mutable_at = 0, None
            if last is not None:
                last.close()
            return None
        state = saved[-1]
        self._values_upto = state.depth
        if self._mutable_at is not None and self._mutable_at >= state.depth:
            self._mutable_at = None
        steps, runnable = last.steps, last.runnable_log
        adopted = {}
        if self._handing:  # who did not move after the saved state stands where it stood then
            moved = {step.actor for step in steps[state.depth:]}
            adopted = last.hand_over(a.name for a in last.actors if a.name not in moved)
        last.close()
        if final and state.depth == depth:
            world = saved.pop().world  # nobody restores from it again
        else:
            world = copy_value(state.world)
        execution = rebuild(self.program, self.interner, world, steps[:state.depth], runnable[:state.depth],
                            state.histories, adopted)
        self.restored += state.depth
        return execution
