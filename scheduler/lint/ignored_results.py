"""Checking `outcome_key = result_ignored`: actors that read a result they say they ignore.

A state key keeps of each step only `effect.outcome_key(result)`; an effect whose
outcome key is `result_ignored` promises that its actor never looks at the result, so
that states differing only there are merged. The lint runs every actor wrapped so that,
for such an effect, the actor is sent a `Poison` instead of the result (the kernel's
`Step` keeps the real one, which properties read). Touching the poison in any way
(an attribute, `bool`, `==`, `hash`, iteration, `str`, passing it into an effect that is
then compared) raises `IgnoredResultRead`, a `BaseException`, so that neither the
actor's `except` clauses nor the kernel's catch it: the lint reports it.
"""

from __future__ import annotations

from typing import Any

import attrs
from unpack_race.scheduler.effect import Effect, Failure, result_ignored
from unpack_race.scheduler.program import ActorBody, Program


def ignores_result(effect: Effect) -> bool:
    """Whether the effect says its actor never reads its result."""
    return getattr(type(effect), "outcome_key", None) is result_ignored


class IgnoredResultRead(BaseException):
    """An actor touched the result of an effect whose outcome key says it is ignored."""

    def __init__(self, actor: str, effect: Effect, how: str) -> None:
        super().__init__(f"{actor} reads the result of {effect.describe()} ({how})")
        self.actor, self.effect, self.how = actor, effect, how


class Poison:
    """What an actor receives instead of an ignored result; any use raises."""

    __slots__ = ("_actor", "_effect")

    def __init__(self, actor: str, effect: Effect) -> None:
        object.__setattr__(self, "_actor", actor)
        object.__setattr__(self, "_effect", effect)

    def __getattribute__(self, name: str) -> Any:
        raise _touched(self, f"its attribute .{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise _touched(self, f"set its attribute .{name}")


def _touched(poison: Poison, how: str) -> IgnoredResultRead:
    return IgnoredResultRead(
        object.__getattribute__(poison, "_actor"), object.__getattribute__(poison, "_effect"), how)


def _forbid(name: str, how: str) -> None:
    def touched(self, *args, **kwargs):
        raise _touched(self, how)

    touched.__name__ = name
    setattr(Poison, name, touched)


for _name, _how in {
    "__bool__": "tested its truth", "__eq__": "compared it", "__ne__": "compared it",
    "__lt__": "compared it", "__le__": "compared it", "__gt__": "compared it", "__ge__": "compared it",
    "__hash__": "hashed it", "__iter__": "iterated it", "__len__": "took its length",
    "__contains__": "searched it", "__getitem__": "indexed it", "__setitem__": "indexed it",
    "__str__": "made it a string", "__repr__": "printed it", "__format__": "formatted it",
    "__int__": "made it a number", "__float__": "made it a number", "__index__": "used it as an index",
    "__call__": "called it", "__add__": "did arithmetic with it", "__radd__": "did arithmetic with it",
    "__sub__": "did arithmetic with it", "__rsub__": "did arithmetic with it",
    "__mul__": "did arithmetic with it", "__neg__": "did arithmetic with it",
    "__enter__": "used it as a context manager", "__reversed__": "iterated it",
}.items():
    _forbid(_name, _how)


def poisoned(program: Program) -> Program:
    """The same program, each actor sent a `Poison` for every ignored result."""
    actors = tuple(attrs.evolve(spec, body=_poisoned(spec.name, spec.body)) for spec in program.actors)
    return attrs.evolve(program, actors=actors)


def _poisoned(actor: str, body: ActorBody) -> ActorBody:
    def run():
        gen = body()
        try:
            effect = next(gen)
        except StopIteration as stop:
            return stop.value
        while True:
            try:
                result = yield effect
            except GeneratorExit:
                _close(gen)
                raise
            except Failure as error:  # the kernel throws a failed step's error
                try:
                    effect = gen.throw(error)
                except StopIteration as stop:
                    return stop.value
                continue
            if ignores_result(effect):
                result = Poison(actor, effect)
            try:
                effect = gen.send(result)
            except StopIteration as stop:
                return stop.value

    return run


def _close(gen) -> None:
    """Close the wrapped actor as the kernel closes one (again if it yields in `finally`)."""
    for _ in range(1000):
        try:
            gen.close()
            return
        except RuntimeError:
            continue
        except Exception:  # noqa: BLE001 - its cleanup code failed; nothing to report
            return
