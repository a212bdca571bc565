"""Breadth-first search over states on several cores or a cluster, with the visited set
partitioned by state hash across the workers: `parallel_bfs(program, properties, backend)`.

The design of parallel Murphi (Stern and Dill, "Parallelizing the Murphi verifier", CAV
1997) and of SPIN's multi-core search (Holzmann and Bosnacki, "The design of a multicore
extension of the SPIN model checker", IEEE TSE 2007): every state has one owner, the
worker its stable digest maps to (scheduler/state_digest.py), which alone decides whether
it was seen; the successors a worker generates are sent to their owners. Private visited
sets per worker were measured and lose (0.17x to 1.06x on 2 cores: the workers explore
the same small state graph again).

Here the workers (scheduler/partition_owner.py) move in lockstep, one breadth-first level
per round, and the successors are routed through this coordinator, which makes the result
exactly serial `--strategy bfs`'s (scheduler/strategies/bfs.py) whatever the number of
workers and their timing:
- serial BFS meets the states of a level in the order of (its parent's rank in the level
  before, the index of the choice taken); each owner keeps, of the candidates for a new
  state, the one first in that order, and the coordinator ranks a level's new states by
  it, so every state's path is the one serial BFS keeps;
- when a level has violations (or the model raised), the one reported is the first in
  that order, the very transition serial BFS stops at; its counterexample is that path,
  run again here (so it is step for step serial BFS's), the `sometimes` properties
  reached are those reached before it in that order, and the states counted are those
  serial BFS had seen by then (one more round counts the successors met before it);
- a model that raised is raised again here by taking the same step in this process, so
  it surfaces as in the serial search (`ModelFailure`, exit 3).

Backends (scheduler/parallel_backends.py): `Processes(n)` forks n processes on this
machine; `DaskCluster(address, n)` runs the owners as Dask actors. Ctrl-C stops the
workers and raises `Interrupted` with the result so far; progress is reported after
every level.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import attrs

from unpack_race.scheduler.checks import Checks
from unpack_race.scheduler.choices import Choice, replay
from unpack_race.scheduler.coverage import VIOLATED, Coverage, Facts, Kind
from unpack_race.scheduler.explore import (
    Budget,
    Progress,
    PropertyScopeError,
    Result,
    _model_failure,
)
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.kernel import Execution, ProtocolError
from unpack_race.scheduler.partition_owner import Build, Event, Transfer
from unpack_race.scheduler.program import Program, check_fingerprint
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.state_digest import DigestInterner, owner_of, state_digest
from unpack_race.scheduler.strategies.base import ALL_SCOPES
from unpack_race.scheduler.strategies.bfs import EXPANDED, BreadthFirst
from unpack_race.scheduler.verdict import Verdict

CITATION = ('Stern and Dill, "Parallelizing the Murphi verifier", CAV 1997; Holzmann and Bosnacki, '
            '"The design of a multicore extension of the SPIN model checker", IEEE TSE 2007')


class Backend(Protocol):
    """Where the owners run (scheduler/parallel_backends.py): `n` owners, started with
    `start`, each method called on all of them at once by `call`, stopped by `close`."""

    n: int

    def describe(self) -> str: ...

    def start(self, build: Build, max_steps: int) -> None: ...

    def call(self, method: str, args: list[tuple]) -> list[Any]: ...

    def close(self) -> None: ...


def parallel_bfs(
    program: Program,
    properties: Iterable[Property],
    backend: Backend,
    *,
    build: Build | None = None,
    bounds: str = "(none)",
    budget: Budget = Budget(),
    progress: Callable[[Progress], None] | None = None,
) -> Result:
    """Breadth-first search of `program` over states, checking `properties`, with the
    visited set partitioned across `backend`'s workers (see the module docstring); the
    result equals serial BFS's (states, verdict, `sometimes` reached, counterexample).
    `build` builds the program and properties in a worker (default: returns these two;
    for Dask it must pickle). `budget` is checked between levels (its max_executions
    counts transitions). Raises as `explore` does: PropertyScopeError, ModelFailure,
    and on Ctrl-C `Interrupted` with the result so far."""
    try:
        return _search(program, list(properties), backend, build, bounds, budget, progress)
    finally:
        backend.close()


def _search(program: Program, properties: list[Property], backend: Backend, build: Build | None, bounds: str,
            budget: Budget, progress: Callable[[Progress], None] | None) -> Result:
    refusal = BreadthFirst().refuse(properties)
    if refusal is not None:
        raise PropertyScopeError(refusal)
    if build is None:
        build = _Given(program, properties)
    facts = _Facts(backend)
    checks = Checks(properties)
    interner = DigestInterner()
    started = time.monotonic()
    execution = Execution(program, interner, footprints=True)
    try:
        check_fingerprint(execution.world, program.name, facts.algorithm)
        violation = checks.initial(execution.world)
        runnable = execution.runnable() if violation is None else ()
        if violation is None and not runnable:  # nothing can move: serial BFS's one execution
            violation = checks.final(execution)
        if violation is not None or not runnable:
            run = Run.of(execution)
    except ProtocolError as error:
        raise _model_failure(error, execution, 1) from error
    if violation is not None or not runnable:  # serial BFS keys no state here
        execution.close()
        return _result(facts.of(0), checks, bounds, 1, int(violation is None), 0, 0, True, started,
                       violation, run, 1)
    first = state_digest(execution, interner)
    execution.close()

    states = transitions = final = terminal = steps = restored = executions = 0
    work = slowest = 0.0  # the workers' CPU seconds, all and the slowest one's of each level
    finished = interrupted = False
    inboxes: list[list] = [[] for _ in range(backend.n)]
    inboxes[owner_of(first, backend.n)].append(((-1, 0), first, None, pickle.dumps(Transfer(None, path=()))))
    try:
        backend.start(build, budget.max_steps_per_execution)
        while True:
            reached = sorted(checks.reached)
            rounds = backend.call("round", [(inbox, reached) for inbox in inboxes])
            new = sorted((entry for r in rounds for entry in r.new), key=lambda entry: entry[0])
            rank = {digest: index for index, (_, digest, _) in enumerate(new)}
            work += sum(r.cpu for r in rounds)
            slowest += max(r.cpu for r in rounds)
            for r in rounds:
                transitions += r.transitions
                final += r.final
                steps += r.steps
                restored += r.restored
            stop = _first_stop(rounds, rank)
            if stop is not None:
                position, event = stop
                seen_before = executions + sum(max(width, 1) for _, _, width in new[:position[0]])
                found_in = seen_before + position[1] + 1
                _reach_before(checks, rounds, rank, position)
                path = _path_to(backend, event.parent)
                if event.raised is not None:
                    raise _raised_again(program, properties, path, event, budget.max_steps_per_execution, found_in)
                met = _route(rounds, rank, backend.n, upto=position[:2])
                states += len(new) + sum(backend.call("count_new", [(inbox,) for inbox in met]))
                return _result(facts.of(states, transitions, work, slowest), checks, bounds, found_in, final, steps, restored,
                               False, started, event.violation, _run_along(program, path + (event.choice,)),
                               found_in)
            states += len(new)
            executions += sum(max(width, 1) for _, _, width in new)
            terminal += sum(1 for _, _, width in new if width == 0)
            for r in rounds:
                for event in r.events:
                    checks.reached.update(event.reached)
            inboxes = _route(rounds, rank, backend.n)
            if progress is not None:
                progress(Progress(transitions, steps, states, time.monotonic() - started))
            if not any(inboxes):
                finished = True
                break
            if budget.max_executions is not None and transitions >= budget.max_executions:
                break
            if budget.max_seconds is not None and time.monotonic() - started > budget.max_seconds:
                break
    except KeyboardInterrupt:
        interrupted = True
        backend.close()  # stop the workers before saying what was done
    result = _result(facts.of(states, transitions, work, slowest), checks, bounds, executions, final + terminal, steps, restored, finished,
                     started, None, None, None)
    if interrupted:
        raise Interrupted(attrs.evolve(result, verdict=Verdict.INTERRUPTED))
    return result


def _first_stop(rounds, rank: dict[bytes, int]) -> tuple[tuple[int, int, int], Event] | None:
    """The event that ends the search, first in serial order, with its position."""
    best = None
    for r in rounds:
        for event in r.events:
            if event.violation is None and event.raised is None:
                continue
            position = (rank[event.parent], event.index, event.phase)
            if best is None or position < best[0]:
                best = (position, event)
    return best


def _reach_before(checks: Checks, rounds, rank: dict[bytes, int], position: tuple[int, int, int]) -> None:
    """The `sometimes` properties this level reached before `position`, in serial order."""
    for r in rounds:
        for event in r.events:
            if event.reached and (rank[event.parent], event.index, event.phase) < position:
                checks.reached.update(event.reached)


def _route(rounds, rank: dict[bytes, int], n: int, upto: tuple[int, int] | None = None) -> list[list]:
    """The next inbox of every owner: the successors the owners sent it, each with its
    position in serial order (its parent's rank, its choice index); with `upto`, only
    those at or before that position."""
    inboxes: list[list] = [[] for _ in range(n)]
    for r in rounds:
        for owner, box in enumerate(r.outboxes):
            inbox = inboxes[owner]
            for parent, index, child, blob in box:
                position = (rank[parent], index)
                if upto is None or position <= upto:
                    inbox.append((position, child, parent, blob))
    return inboxes


def _path_to(backend: Backend, digest: bytes) -> tuple[Choice, ...]:
    """The path to the state `digest`: its owners' links followed back to the initial state."""
    path = []
    while True:
        asked = [None] * backend.n
        asked[owner_of(digest, backend.n)] = digest
        parent, choice = backend.call("link", [(d,) for d in asked])[owner_of(digest, backend.n)]
        if parent is None:
            return tuple(reversed(path))
        path.append(choice)
        digest = parent


def _run_along(program: Program, path: tuple[Choice, ...]) -> Run:
    """The run serial BFS reports for the violation at the end of `path`."""
    execution = replay(Execution(program, footprints=True), path)
    try:
        return Run.of(execution)
    finally:
        execution.close()


def _raised_again(program: Program, properties: list[Property], path: tuple[Choice, ...], event: Event,
                  max_steps: int, number: int) -> BaseException:
    """The exception a worker met, raised again by taking the same step here (a
    `ModelFailure` for a model that broke the protocol, as serial BFS raises it)."""
    checks = Checks(properties)
    execution = Execution(program, footprints=True)
    try:
        replay(execution, path)
        if event.actor is not None:
            step = execution.step(event.actor)
            if len(execution.steps) > max_steps:
                raise ProtocolError(f"an execution ran past {max_steps} steps; does an actor loop forever?")
            if checks.after(execution.world, step) is None and not execution.runnable():
                checks.final(execution)
    except ProtocolError as error:
        return _model_failure(error, execution, number)
    except Exception as error:  # noqa: BLE001 - raised as the serial search raises it
        execution.close()
        return error
    execution.close()
    return ProtocolError(f"a worker of the parallel search raised {event.raised} at step {len(path)}, "
                         f"but the same step taken again here does not: the model is not deterministic")


def _result(facts: Facts, checks: Checks, bounds: str, executions: int, complete: int, steps: int, restored: int,
            finished: bool, started: float, violation, run: Run | None, found_in: int | None) -> Result:
    reached, unreached = checks.reached_and_unreached()
    cut = {VIOLATED: 1} if violation is not None else {}
    if executions - complete - (1 if violation is not None else 0) > 0:
        cut[EXPANDED] = executions - complete - (1 if violation is not None else 0)
    coverage = Coverage(facts, bounds, executions, complete, dict(sorted(cut.items())), steps,
                        finished and violation is None, restored)
    common = dict(coverage=coverage, reached=reached, unreached=unreached, elapsed=time.monotonic() - started)
    if violation is not None:
        return Result(Verdict.VIOLATION, violation=violation, run=run, found_in=found_in, **common)
    if not finished:
        return Result(Verdict.BUDGET, **common)
    if unreached:
        return Result(Verdict.VACUOUS, **common)
    return Result(Verdict.PASS, **common)


class _Facts:
    def __init__(self, backend: Backend) -> None:
        self.algorithm = (f"breadth-first search over states, visited set partitioned by state hash across "
                          f"{backend.n} worker{'s' if backend.n != 1 else ''} ({backend.describe()})")
        self.workers = backend.n

    def of(self, states: int, transitions: int | None = None, work: float = 0.0, slowest: float = 0.0) -> Facts:
        notes = ()
        if slowest > 0:
            notes = (f"the workers' CPU time: {work:.2f} s in all, {slowest:.2f} s along the slowest worker of "
                     f"each level (so at most {work / slowest:.2f}x one worker's time on idle cores)",)
        return Facts(
            Kind.EXHAUSTIVE, self.algorithm, CITATION, {"workers": self.workers}, ALL_SCOPES,
            "every reachable state within the bounds was visited, level by level, so a counterexample it "
            "reports is a shortest one (the one serial breadth-first search reports)",
            states, notes=notes, transitions=transitions,
        )


class _Given:
    """A `Build` that hands over a program already built (for forked workers)."""

    def __init__(self, program: Program, properties: list[Property]) -> None:
        self.program, self.properties = program, properties

    def __call__(self) -> tuple[Program, list[Property]]:
        return self.program, self.properties


__all__ = ["CITATION", "Backend", "parallel_bfs"]
