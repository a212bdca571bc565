"""A generic, deterministic concurrency engine: actors, effects, schedules, strategies.

Nothing in this package knows what it is running. An actor is a generator that yields
effects (one atomic step each); the kernel applies the effect chosen by a strategy and
sends the result back. The same engine runs a model of a real system and a bank account.
"""

from unpack_race.scheduler.effect import Effect, Failure, Footprint
from unpack_race.scheduler.program import ActorSpec, Program, ProgramError
from unpack_race.scheduler.properties import (
    End,
    Property,
    always,
    at_end,
    on_state,
    on_step,
    sometimes,
)

__all__ = [
    "ActorSpec",
    "Effect",
    "End",
    "Failure",
    "Footprint",
    "Program",
    "ProgramError",
    "Property",
    "always",
    "at_end",
    "on_state",
    "on_step",
    "sometimes",
]
