"""The scenario glue shared by the classics, and a census of a program's executions.

Each classic is a `Classic` scenario with a single variant, "as-written" (the program
as its source has it), its source, its bug in a sentence, and its expected verdict.

`census(program)` counts the executions that brute force (plain DFS, no state caching,
no reduction) would run if it did not stop at the first violation, the way an
independent reference count would: an execution ends when no thread can move (all
done, or a deadlock) or when an assert fails (in C the process aborts there, and the
kernel ends the execution there: `pthread_program` `aborts_on` a failed assert).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from unpack_race.scenarios.base import Built, Expectation, Param, Scenario
from unpack_race.scheduler.shared_memory import AssertionFailed, assertions_hold
from unpack_race.scheduler.explore import Budget, explore
from unpack_race.scheduler.kernel import Status, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.state_graph import state_graph
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
    of the state graph and summed over its successors; the tree's size is exact, the work
    is the size of the state graph. Without `memo`, every execution is run (stopping with
    RuntimeError past `max_executions`): the reference the memoised count is tested
    against."""
    blocking = {a.name for a in program.actors if not a.daemon}
    if memo:
        graph = state_graph(program)

        def leaf(state) -> tuple[int, int, int, int]:
            return (1, 0, int(bool(blocking & set(graph.finals[state]))), 0)

        def edge(step: Step) -> tuple[int, int, int, int] | None:
            return (1, 1, 0, 0) if _assert_failed(step) else None

        def combine(values: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
            return (sum(v[0] for v in values), sum(v[1] for v in values), sum(v[2] for v in values),
                    1 + max(v[3] for v in values))

        return Census(*graph.fold(leaf, edge, combine))
    runs: list[Run] = []
    result = explore(program.all_daemons(), DepthFirst(state_caching=False), budget=Budget(max_executions=max_executions),
                     on_run=runs.append)
    if not result.coverage.finished:
        raise RuntimeError(f"{program.name}: more than {max_executions} executions")
    failures = sum(1 for r in runs if r.steps and _assert_failed(r.steps[-1]))
    deadlocks = sum(1 for r in runs if not r.aborted
                    and any(e.status is Status.RUNNING and e.name in blocking for e in r.ends))
    return Census(len(runs), failures, deadlocks, max((len(r.steps) for r in runs), default=0))


def _assert_failed(step: Step) -> bool:
    ended = step.ended
    return ended is not None and ended.status is Status.FAILED and isinstance(ended.error, AssertionFailed)
