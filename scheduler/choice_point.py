"""What a strategy sees and says: a read-only choice point, the prefix it asks the next
execution to replay, and the cut that ends an execution early.

A strategy never holds the execution: at every choice beyond the replayed prefix the
explorer hands it a `ChoicePoint`, a view of the current state that can be read (who can
move, every actor's pending effect, lazily its footprint and the state key, the steps
taken so far) but not changed. The strategy answers with the actor to move, or a `Cut`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import attrs
from unpack_race.scheduler.choices import Divergence, NondeterminismError, Recorded
from unpack_race.scheduler.effect import Effect, Footprint
from unpack_race.scheduler.kernel import Execution, Step


@attrs.frozen
class Cut:
    """End this execution here; `cause` says why (see scheduler.coverage)."""

    cause: str


@attrs.frozen
class Prefix:
    """The recorded steps the next execution replays before the strategy is asked. The
    first `checked` of them were already checked against the properties by an earlier
    execution (they are not checked again); `diverged` is raised if one does not fit."""

    steps: Sequence[Recorded] = ()
    checked: int = 0
    diverged: type[Divergence] = NondeterminismError
    #: no later prefix will branch at step `checked` again (its last alternative): a
    #: saved state kept there (scheduler.restore) can be given away instead of copied
    final: bool = False


FROM_THE_START = Prefix()


class ChoicePoint:
    """A read-only view of an execution's current state (see the module docstring)."""

    __slots__ = ("_execution", "_footprints", "_key")

    def __init__(self, execution: Execution) -> None:
        self._execution = execution
        self._footprints: dict[str, Footprint] = {}
        self._key: Hashable | None = None

    @property
    def depth(self) -> int:
        """How many steps the execution has taken."""
        return len(self._execution.steps)

    @property
    def runnable(self) -> tuple[str, ...]:
        """The actors that can move now, in program order, then the crashes that can be
        taken (scheduler.crashes); empty at a final state."""
        return self._execution.runnable()

    @property
    def actors(self) -> tuple[str, ...]:
        """Every name a strategy can choose: the actors in program order, then the crash
        choice of each crashable actor (`Program.choice_names`)."""
        return self._execution.choices()

    def pending(self, actor: str) -> Effect | None:
        """The effect `actor` (or a crash choice) waits to perform (None once it has
        finished, or the crash was taken)."""
        return self._execution.pending(actor)

    @property
    def aborted(self) -> Step | None:
        """The step whose failure aborted the program (`Program.aborts_on`): the
        execution ends there. None while it has not."""
        return self._execution.aborted

    def unfinished(self) -> tuple[str, ...]:
        """The actors with an effect pending (runnable or blocked), and the crashed ones
        (stopped for good before a step: `footprint` gives it), in program order, then the
        crashes not yet taken (enabled or not)."""
        return self._execution.unfinished_choices()

    def footprint(self, actor: str) -> Footprint:
        """What the pending step of `actor` (or a crash choice; for a crashed actor, the
        step it was stopped before) would read and write if taken now, as the kernel
        would record it."""
        found = self._footprints.get(actor)
        if found is None:
            found = self._footprints[actor] = self._execution.footprint(actor)
        return found

    def state_key(self) -> Hashable:
        """The state's key (world fingerprint and every actor's history); only for a
        strategy that declares `keys_states`."""
        if self._key is None:
            self._key = self._execution.state_key()
        return self._key

    def step(self, index: int) -> Step:
        """Step `index` of the execution so far (with its footprint)."""
        return self._execution.steps[index]

    @property
    def last(self) -> Step | None:
        """The step just taken, None in the initial state."""
        steps = self._execution.steps
        return steps[-1] if steps else None
