"""The lint's own exploration: every reachable state within the program's bounds, each
known by its *complete* identity, not by the engine's state key.

A state's complete identity is the canonical form of its whole world
(`world_values.canonical`) plus each actor's full history: every step it took with its
whole result or error, not just what `outcome_key` keeps. Since actors are
deterministic, that identity determines everything about the state, so states the
engine's key would merge are kept apart here, and the checks can compare them
(`state_keys`, `fingerprints`). For each state the space keeps the engine's state key,
the world's fingerprint, a copy of the world (once per distinct world), every actor's
pending effect and whether it is enabled, the properties' values, and every step out
of it (`Transition`).

It is a depth-first search that re-runs the program and replays the path through
`choices.replay` whenever it must go back, with the actors wrapped so that ignored
results are poisoned (`ignored_results`). It never stops at a property violation: the
lint checks the model, not its verdicts. `max_states` bounds the number of states; a
space cut short says so (`complete` is False).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import attrs
from unpack_race.scheduler.choices import Choice, NondeterminismError, replay
from unpack_race.scheduler.crashes import owner
from unpack_race.scheduler.effect import Effect
from unpack_race.scheduler.kernel import Execution, HistoryInterner, Step
from unpack_race.scheduler.lint.findings import Collector, Finding
from unpack_race.scheduler.lint.ignored_results import (
    IgnoredResultRead,
    ignores_result,
    poisoned,
)
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import End, Property, Scope
from unpack_race.scheduler.resources import resource_map_of
from unpack_race.scheduler.world_values import canonical, copy_value


@attrs.frozen
class Pending:
    """An actor's next step in a state (None once it has finished)."""

    actor: str
    effect: Effect | None
    enabled: bool


@attrs.define
class Transition:
    """One step out of a state: the kernel's `Step` (with the real result), its complete
    outcome, whether it was the actor's last, the on_step properties' values, and the
    state it reaches (None if the step could not be completed: see the findings)."""

    actor: str
    effect: Effect
    step: Step
    outcome: Hashable
    ends: bool
    on_step: tuple[str, ...]
    target: int | None = None
    aborts: bool = False  # its failure aborted the program (Program.aborts_on)


@attrs.define
class State:
    id: int
    parent: int | None
    via: Step | None  # the step from the parent (the first way the search came)
    depth: int
    key: Hashable  # the engine's state key (None if the world has no fingerprint)
    fingerprint: Hashable
    world: int  # index into StateSpace.worlds
    histories: tuple[int, ...]  # full history ids, per actor in program order
    pending: tuple[Pending, ...]
    on_state: tuple[str, ...]
    on_end: tuple[str, ...] | None  # at final states
    deadlocked: bool
    aborted: bool = False  # the program aborted here: nobody moves, whatever enabled() says
    transitions: dict[str, Transition] = attrs.field(factory=dict)
    expanded: bool = False  # every step out of it was taken


class Histories:
    """Full per-actor histories, interned: id 0 is the empty history; each other id is
    (previous id, effect, complete outcome), with the first Step seen for it."""

    def __init__(self) -> None:
        self._ids: dict[tuple[int, Effect, Hashable], int] = {}
        self.entries: list[tuple[int, Effect | None, Hashable, Step | None]] = [(0, None, None, None)]

    def extend(self, history: int, step: Step, outcome: Hashable) -> int:
        key = (history, step.effect, outcome)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.entries)
            self.entries.append((history, step.effect, outcome, step))
        return found

    def steps(self, history: int) -> list[Step]:
        """The steps of a history, oldest first."""
        out = []
        while history:
            history, _effect, _outcome, step = self.entries[history]
            out.append(step)
        return out[::-1]


#: what a full history keeps of a result the actor is sent poisoned: nothing (the poison
#: check proves the actor's behaviour does not depend on it)
IGNORED = ("result ignored",)


def outcome_of(step: Step) -> Hashable:
    """A step's complete outcome: its error (kind and text) or its whole result."""
    if step.error is not None:
        return ("error", type(step.error).__name__, str(step.error))
    return ("result", canonical(step.result))


def values(properties: Sequence[Property], subject: Any) -> tuple[str, ...]:
    """Each property's value on `subject`, as text ("holds", "fails", "raises ...")."""
    out = []
    for prop in properties:
        try:
            out.append("holds" if prop.holds(subject) else "fails")
        except Exception as err:  # noqa: BLE001 - a property that raises is a value too
            out.append(f"raises {type(err).__name__}: {err}")
    return tuple(out)


class StateSpace:
    """The explored states and what the exploration itself found (see the module
    docstring)."""

    def __init__(self, program: Program, properties: Sequence[Property], max_states: int) -> None:
        self.program = program
        self.properties = tuple(properties)
        self.on_step = tuple(p for p in self.properties if p.scope is Scope.ON_STEP)
        self.on_state = tuple(p for p in self.properties if p.scope is Scope.ON_STATE)
        self.on_end = tuple(p for p in self.properties if p.scope is Scope.AT_END)
        self.max_states = max_states
        self.states: list[State] = []
        self.worlds: list[Any] = []  # a copy of each distinct world
        self.world_fingerprints: list[set[Hashable]] = []  # the fingerprints each world had
        self.histories = Histories()
        self.found = Collector()  # what the exploration itself found
        self.complete = True
        self.transitions = 0
        self.resource_map = None
        self.write_only: frozenset[str] = frozenset()
        self._by_identity: dict[Hashable, int] = {}
        self._world_ids: dict[Hashable, int] = {}

    def path(self, state: int) -> tuple[Step, ...]:
        """The steps that first reached `state`, from the initial state."""
        steps = []
        while state is not None and self.states[state].via is not None:
            steps.append(self.states[state].via)
            state = self.states[state].parent
        return tuple(reversed(steps))

    def actor_names(self) -> tuple[str, ...]:
        return self.program.actor_names()

    # -- building ---------------------------------------------------------------------
    def arrive(self, execution: Execution, parent: int | None, via: Step | None, histories: tuple[int, ...]) -> tuple[int | None, bool]:
        """The state `execution` is in: (its id, whether it is new); (None, False) when the
        state budget is spent."""
        world = execution.world
        if self.resource_map is None and not self.worlds:
            self.resource_map = resource_map_of(world)
            if self.resource_map is not None:
                self.write_only = self.resource_map.write_only()
        canon = canonical(world)
        identity = (canon, histories)
        found = self._by_identity.get(identity)
        if found is not None:
            return found, False
        if len(self.states) >= self.max_states:
            self.complete = False
            return None, False
        world_id = self._world_ids.get(canon)
        if world_id is None:
            world_id = self._world_ids[canon] = len(self.worlds)
            self.worlds.append(copy_value(world))
            self.world_fingerprints.append(set())
        fingerprint = world.fingerprint() if hasattr(world, "fingerprint") else None
        self.world_fingerprints[world_id].add(fingerprint)
        key = execution.state_key() if fingerprint is not None else None
        runnable = set(execution.runnable())
        pending = tuple(Pending(name, execution.pending(name), name in runnable) for name in execution.choices())
        final = not runnable
        state = State(
            id=len(self.states), parent=parent, via=via,
            depth=0 if parent is None else self.states[parent].depth + 1,
            key=key, fingerprint=fingerprint, world=world_id, histories=histories, pending=pending,
            on_state=values(self.on_state, world),
            on_end=values(self.on_end, End(world, execution.ends())) if final else None,
            deadlocked=final and execution.deadlocked(),
            aborted=execution.aborted is not None,
        )
        self.states.append(state)
        self._by_identity[identity] = state.id
        return state.id, True


@attrs.define
class _Frame:
    state: int
    options: list[str]
    next: int = 0


def explore_states(program: Program, properties: Sequence[Property] = (), max_states: int = 20_000) -> StateSpace:
    """Every reachable state of `program`, up to `max_states` (see the module docstring)."""
    space = StateSpace(program, properties, max_states)
    lint_program = poisoned(program)
    interner = HistoryInterner()
    names = program.actor_names()
    try:
        execution = Execution(lint_program, interner)
    except (Exception, IgnoredResultRead) as err:  # noqa: BLE001 - an actor's code before its first yield
        space.found.add(None, 0, lambda err=err: _model_error(err, (), "before its first step"))
        space.complete = False
        return space
    root, _new = space.arrive(execution, None, None, (0,) * len(names))
    frames = [_Frame(root, list(execution.runnable()))]
    path: list[Choice] = []
    current = True  # `execution` is in the state of the top frame
    while frames:
        frame = frames[-1]
        if frame.next >= len(frame.options):
            space.states[frame.state].expanded = True
            frames.pop()
            if path:
                path.pop()
            current = False
            continue
        actor = frame.options[frame.next]
        frame.next += 1
        if not current:
            execution.close()
            execution = Execution(lint_program, interner)
            try:
                replay(execution, path)
            except NondeterminismError as err:
                space.found.add(None, 0, lambda err=err: Finding(
                    "model-error", f"the model is not deterministic: {err}",
                    "an actor or an effect depends on something outside the world and its own "
                    "history (a global, a clock, hash order): make it a function of those",
                    path=space.path(frame.state)))
                space.complete = False
                return space
            current = True
        state = space.states[frame.state]
        effect = execution.pending(actor)
        runnable = execution.runnable()
        current = False
        try:
            step = execution.step(actor)
            outcome = outcome_of(step)
            on_step = values(space.on_step, step)
            index = names.index(owner(actor, effect))  # a crash is in its actor's history
            remembered = IGNORED if step.error is None and ignores_result(effect) else outcome
            extended = space.histories.extend(state.histories[index], step, remembered)
            histories = state.histories[:index] + (extended,) + state.histories[index + 1:]
            transition = Transition(actor, effect, step, outcome, step.ended is not None, on_step,
                                    aborts=execution.aborted is step)
            state.transitions[actor] = transition
            space.transitions += 1
            target, new = space.arrive(execution, state.id, step, histories)
        except IgnoredResultRead as read:
            key = ("ignored-result", read.actor, type(read.effect).__name__)
            space.found.add(key, state.depth, lambda read=read: _ignored(read, space.path(state.id), actor, effect))
            continue
        except Exception as err:  # noqa: BLE001 - ProtocolError, or an effect that raised
            key = ("model-error", actor, type(effect).__name__, type(err).__name__)
            space.found.add(key, state.depth, lambda err=err: _model_error(
                err, space.path(state.id), f"when {actor} takes {effect.describe()}"))
            continue
        transition.target = target
        if target is None:  # the state budget is spent
            break
        if new:
            frames.append(_Frame(target, list(execution.runnable())))
            path.append(Choice(actor, effect, runnable))
            current = True
    execution.close()
    return space


def _ignored(read: IgnoredResultRead, path: tuple[Step, ...], actor: str, effect: Effect) -> Finding:
    name = type(read.effect).__name__
    when = f"while {actor} takes {effect.describe()}"
    return Finding(
        "ignored-result",
        f"actor {read.actor} reads the result of {read.effect.describe()} ({read.how}) though "
        f"{name}.outcome_key says it is ignored",
        f"the state key then merges states whose results differ while {read.actor} acts on "
        f"them: drop `outcome_key = result_ignored` from {name} (or return from outcome_key "
        f"the part {read.actor} reads)",
        path=path, steps=(f"{read.actor}: {read.effect.describe()}",), details=(f"it happens {when}",),
    )


def _model_error(err: BaseException, path: tuple[Step, ...], when: str) -> Finding:
    return Finding(
        "model-error", f"the model raised {when}: {err}",
        "only scheduler.Failure subclasses may escape an effect or an actor; fix the model",
        path=path,
    )
