"""Checking properties on an execution as it runs: `always` after every step (and in the
initial state, for state properties), at final states the deadlock check and the
`at_end` properties, and which `sometimes` properties have been reached so far."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from unpack_race.scheduler.kernel import Execution, Step
from unpack_race.scheduler.properties import (
    NO_DEADLOCK,
    End,
    Kind,
    Property,
    Scope,
    Violation,
)


class Checks:
    def __init__(self, properties: Iterable[Property]) -> None:
        properties = list(properties)
        self.always = [p for p in properties if p.kind is Kind.ALWAYS and p.scope is not Scope.AT_END]
        self.at_end = [p for p in properties if p.kind is Kind.ALWAYS and p.scope is Scope.AT_END]
        self.sought = [p for p in properties if p.kind is Kind.SOMETIMES]
        self.reached: set[str] = set()

    def initial(self, world: Any) -> Violation | None:
        """The state properties in the initial state."""
        self._seek(Scope.ON_STATE, world)
        for prop in self.always:
            if prop.scope is Scope.ON_STATE and not prop.holds(world):
                return Violation(prop.name, None, f"{_what(prop)}: false in the initial state{_detail(prop, world)}")
        return None

    def after(self, world: Any, step: Step) -> Violation | None:
        """The step and state properties after `step`."""
        for prop in self.always:
            subject = step if prop.scope is Scope.ON_STEP else world
            if not prop.holds(subject):
                return Violation(
                    prop.name, step.index,
                    f"{_what(prop)}: violated by step {step.index}: {step.narrate()}{_detail(prop, subject)}",
                )
        if self.sought:
            self._seek(Scope.ON_STEP, step)
            self._seek(Scope.ON_STATE, world)
        return None

    def final(self, execution: Execution) -> Violation | None:
        """At a final state: no deadlock, every `at_end` property, and the `sometimes`
        properties of final states."""
        last = execution.steps[-1].index if execution.steps else None
        if execution.deadlocked():
            blocked = "; ".join(
                f"{a.name} waits to {a.pending.describe()} ({a.pending.blocked_on(execution.world)})"
                for a in execution.unfinished()
            )
            return Violation(NO_DEADLOCK, last, f"deadlock: no actor can move; {blocked}")
        if not self.at_end and not self.sought:
            return None
        end = End(execution.world, execution.ends())
        for prop in self.at_end:
            if not prop.holds(end):
                detail = f": {prop.explain(end)}" if prop.explain else ""
                return Violation(prop.name, last, f"{_what(prop)}: false at the end of the execution{detail}")
        self._seek(Scope.AT_END, end)
        return None

    def reached_and_unreached(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        names = [p.name for p in self.sought]
        return (tuple(n for n in names if n in self.reached), tuple(n for n in names if n not in self.reached))

    def _seek(self, scope: Scope, subject: Any) -> None:
        for prop in self.sought:
            if prop.scope is scope and prop.name not in self.reached and prop.holds(subject):
                self.reached.add(prop.name)


def _what(prop: Property) -> str:
    return prop.description or prop.name


def _detail(prop: Property, subject: Any) -> str:
    return f" ({prop.explain(subject)})" if prop.explain else ""
