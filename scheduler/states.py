"""The world after every step of a run: the run taken again from the program's initial
state, one recorded step at a time, with a copy of the world kept after each
(world_values.copy_value). A page that steps through a run shows these.

The kernel is deterministic, so moving the recorded actors in the recorded order takes
the recorded effects again; a step that does not (the program changed since the run was
recorded) stops with a ProtocolError that names it.
"""

from __future__ import annotations

from typing import Any

from unpack_race.scheduler.effect import effect_name
from unpack_race.scheduler.kernel import Execution, ProtocolError
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.world_values import copy_value


def worlds_along(program: Program, run: Run) -> tuple[Any, ...]:
    """The initial world, then the world after each of the run's steps (len(run) + 1 worlds)."""
    execution = Execution(program)
    try:
        worlds = [copy_value(execution.world)]
        for recorded in run.steps:
            pending = execution.pending(recorded.actor)
            if pending != recorded.effect:
                taken = "nothing (it has finished)" if pending is None else pending.describe()
                raise ProtocolError(f"step {recorded.index}: {recorded.actor} was recorded to "
                                    f"{effect_name(recorded.effect)}, but its next effect is {taken}")
            execution.step(recorded.actor)
            worlds.append(copy_value(execution.world))
        return tuple(worlds)
    finally:
        execution.close()


__all__ = ["worlds_along"]
