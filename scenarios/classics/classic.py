"""The scenario glue shared by the classics, and a census of a program's executions.

Each classic is a `Classic` scenario with a single variant, "as-written" (the program
as its source has it), its source, its bug in a sentence, and its expected verdict.

`census(program)` counts the executions that brute force (plain DFS, no state caching,
no reduction) would run if it did not stop at the first violation, the way an
independent reference count would: an execution ends when no thread can move (all
done, or a deadlock) or when an assert fails (in C the process aborts there).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import attrs

from unpack_race.scenarios.base import Built, Expectation, Param, Scenario
from unpack_race.scenarios.classics.primitives import AssertionFailed, assertions_hold
from unpack_race.scheduler.kernel import Execution, HistoryInterner, Status
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.strategies.dfs import DepthFirst

VARIANT = "as-written"


class Classic(Scenario):
    """A classic program as a scenario. Subclasses set the class attributes (`asserts`
    when the C source has asserts: they are then checked as `no-assertion-failure`) and
    define `program(**params)`, and `properties(**params)` for any other property."""

    name: str
    summary: str
    source: str  # file in SCTBench, or the paper
    bug: str  # one or two sentences ("" for bug-free programs)
    expectation: Expectation
    params: tuple[Param, ...] = ()
    variants = (VARIANT,)
    asserts = False

    def program(self, **params: Any) -> Program:
        raise NotImplementedError

    def properties(self, **params: Any) -> tuple[Property, ...]:
        return (assertions_hold(),) if self.asserts else ()

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        self.check_variant(variant)
        p = self.resolve(params)
        program = self.program(**p)
        program = attrs.evolve(program, name=f"{self.name}[{variant}]")
        return Built(program, tuple(self.properties(**p)), self.bounds(p))

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        self.check_variant(variant)
        self.resolve(params)
        return self.expectation

    def bounds(self, params: Mapping[str, Any]) -> str:
        if not params:
            return "as written (no parameters)"
        return ", ".join(f"{k}={v}" for k, v in params.items())


@attrs.frozen
class Census:
    """What brute force finds: every execution, how many end in a failed assert or a
    deadlock, and the longest one (in steps)."""

    executions: int
    assertion_failures: int
    deadlocks: int
    max_steps: int


def census(program: Program, memo: bool = True, max_executions: int | None = None) -> Census:
    """Count every execution of `program`: the leaves of the tree plain DFS walks, where
    an execution ends when no thread can move or when an assert fails.

    With `memo` (the default) the count is computed, not enumerated: the number of
    executions from a state depends only on that state (the world's fingerprint and each
    actor's history, which determines its local state), so it is computed once per state
    and summed over its successors; the tree's size is exact, the work is the size of the
    state graph. Without `memo`, every execution is run (stopping with RuntimeError past
    `max_executions`): the reference the memoised count is tested against."""
    if memo:
        return _counted(program)
    dfs = DepthFirst(state_caching=False)
    executions = failures = deadlocks = longest = 0
    while dfs.begin_execution():
        if max_executions is not None and executions >= max_executions:
            raise RuntimeError(f"{program.name}: more than {max_executions} executions")
        execution = Execution(program)
        failed = False
        while True:
            runnable = execution.runnable()
            if not runnable:
                break
            step = execution.step(dfs.choose(execution, runnable))
            if _assert_failed(execution, step.actor):
                failed = True
                break
        dfs.end_execution(execution)
        executions += 1
        failures += failed
        deadlocks += not failed and execution.deadlocked()
        longest = max(longest, len(execution.steps))
    return Census(executions, failures, deadlocks, longest)


def _assert_failed(execution: Execution, actor: str) -> bool:
    a = execution.actor(actor)
    return a.status is Status.FAILED and isinstance(a.error, AssertionFailed)


def _counted(program: Program) -> Census:
    interner = HistoryInterner()
    known: dict[Hashable, tuple[int, int, int, int]] = {}

    def visit(prefix: list[str]) -> tuple[int, int, int, int]:
        execution = Execution(program, interner)
        for actor in prefix:
            execution.step(actor)
        if prefix and _assert_failed(execution, prefix[-1]):
            return (1, 1, 0, 0)
        key = execution.state_key()
        if key not in known:
            runnable = execution.runnable()
            if not runnable:
                known[key] = (1, 0, int(execution.deadlocked()), 0)
            else:
                below = [visit(prefix + [actor]) for actor in runnable]
                known[key] = (
                    sum(b[0] for b in below),
                    sum(b[1] for b in below),
                    sum(b[2] for b in below),
                    1 + max(b[3] for b in below),
                )
        return known[key]

    return Census(*visit([]))
