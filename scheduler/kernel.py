"""The kernel: one execution of a program, one atomic step at a time.

It keeps each actor's generator and the effect it is waiting to perform. `runnable()`
lists the actors whose next effect is enabled (then the crashes that can be taken,
scheduler.crashes); `step(actor)` applies that effect to the world, records a `Step`,
and resumes the actor with the result (or throws the `Failure` into it); `step` of a
crash choice stops its actor instead. A failure the program `aborts_on` ends the whole
execution at its step (C's abort()): nobody is runnable after it, and it is no deadlock.
The kernel never chooses: strategies do.

An execution can also be restored instead of run (scheduler.restore): built on a copy of
the world as it stood after some recorded steps (`Execution(..., world=...)`, whose
actors start without touching it), each recorded step is then fed back to its actor
(`resume`): the outcome it had is sent into the fresh generator, and nothing is applied.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
from collections.abc import Generator, Hashable, Iterable, Mapping
from typing import Any

import attrs
from unpack_race.scheduler.crashes import Crash, crash_choice
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.effect import Effect, Failure, Footprint
from unpack_race.scheduler.program import ABORT, ActorBody, Program


class ProtocolError(Exception):
    """An actor broke the effect protocol (yielded something that is not an Effect, or
    raised a non-Failure exception). This is a bug in the model, not a finding."""


class ModelError(ProtocolError):
    """An effect's `apply` (or `enabled`) or an actor's own code raised an exception that
    is not a `Failure`: a bug in the model. `actor` is who was moving; `effect` the step
    whose code raised (None when the actor's own code raised after its step); `cause`
    the exception."""

    def __init__(self, message: str, actor: str, effect: Effect | None, cause: BaseException) -> None:
        super().__init__(message)
        self.actor, self.effect, self.cause = actor, effect, cause


class Status(enum.Enum):
    """How an actor stands: still running (an effect pending), done, failed, crashed (the
    search stopped it, scheduler.crashes), or not started (a restart whose actor has not
    crashed, or ended without crashing)."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CRASHED = "crashed"
    NOT_STARTED = "not started"


@attrs.frozen
class ActorEnd:
    """How one actor stands when a run stops: done (with what it returned), failed (with
    the error that escaped it), or still running (with the effect it waits to perform)."""

    name: str
    status: Status
    returned: Any = None
    error: Failure | None = None
    pending: Effect | None = None
    daemon: bool = False


@attrs.frozen
class Step:
    """One performed step: who moved, what it did, and what came of it. A step runs the
    actor's own code up to its next yield, so if the actor returned or failed there,
    `ended` says how (None while it goes on). A crash is the step of its choice,
    `crash(A)`, whose effect is a `Crash` and whose `ended` is A's end."""

    index: int
    actor: str
    effect: Effect
    result: Any = None
    error: Failure | None = None
    footprint: Footprint | None = None  # recorded when the execution tracks footprints
    ended: ActorEnd | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def narrate(self) -> str:
        return self.effect.narrate(self.actor, self.result, self.error)


@attrs.define
class Actor:
    name: str
    daemon: bool
    generator: Any
    pending: Effect | None = None
    status: Status = Status.RUNNING
    returned: Any = None
    error: Failure | None = None
    history: int = 0  # interned id of this actor's own step history (its local state)
    crash: str | None = None  # the name of its crash choice, for a crashable actor
    stopped: Effect | None = None  # once crashed: the effect it was stopped before


class HistoryInterner:
    """Gives each distinct per-actor history (its sequence of effects and outcomes) a
    small integer. A deterministic actor's local state is a function of that history, so
    the ids make an exact, compact state key without copying generator frames."""

    def __init__(self) -> None:
        self._ids: dict[tuple[int, Hashable], int] = {}

    def extend(self, history: int, step: Step) -> int:
        key = (history, (step.effect, _outcome_key(step)))
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self._ids) + 1
        return found


def _outcome_key(step: Step) -> Hashable:
    if step.error is not None:
        return ("error", type(step.error).__name__, str(step.error))
    result = step.effect.outcome_key(step.result)
    try:
        hash(result)
    except TypeError:
        return ("result", repr(result))
    return ("result", result)


class Execution:
    """A single run of a program from its initial state."""

    def __init__(
        self, program: Program, interner: HistoryInterner | None = None, footprints: bool = False, *,
        world: Any = None, adopted: Mapping[str, Actor] | None = None,
    ) -> None:
        """A fresh execution; with `world`, one being restored: the world is the one
        given (as it stood after the steps `resume` will feed back), and no hook touches
        it while those steps are fed back (their effects on it are in it already). The
        `adopted` actors (handed over by an earlier execution, `hand_over`, where they
        stand as they must after those steps) are taken as they are, generator and all;
        only a program without crashes can hand actors over."""
        self.program = program
        self.tracks_footprints = footprints
        self._restoring = world is not None
        self.world = program.make_world() if world is None else world
        self.steps: list[Step] = []
        self.runnable_log: list[tuple[str, ...]] = []  # the runnable actors before each step
        self._runnable: tuple[str, ...] | None = None  # of the current state, once asked
        self._interner = interner
        self.actors: list[Actor] = []
        self._by_name: dict[str, Actor] = {}
        self.crashes = 0  # crashes taken so far
        self.aborted: Step | None = None  # the step whose failure aborted the program (Program.aborts_on)
        self._crashes: dict[str, Actor] = {}  # crash choice -> its actor, program order
        self._crashed: set[str] = set()  # the crash choices taken
        self._restarts: dict[str, list[str]] = {}  # actor -> the actors that restart it
        self._handed: set[str] = set()  # actors handed over to a restored execution: not closed here
        crashable = set(program.crashable())
        if adopted and crashable:
            raise ValueError("a program whose actors may crash cannot hand actors over")
        for spec in program.actors:
            if adopted and spec.name in adopted:
                self.actors.append(adopted[spec.name])
                self._by_name[spec.name] = adopted[spec.name]
                continue
            actor = Actor(spec.name, spec.daemon, None)
            self.actors.append(actor)
            self._by_name[spec.name] = actor
            if spec.name in crashable:
                actor.crash = crash_choice(spec.name)
                self._crashes[actor.crash] = actor
            if spec.restarts is not None:
                actor.status = Status.NOT_STARTED
                self._restarts.setdefault(spec.restarts, []).append(spec.name)
            else:
                self._start(actor, spec)

    # -- queries -------------------------------------------------------------------
    def actor(self, name: str) -> Actor:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise KeyError(f"no actor named {name!r} (actors: {known})") from None

    def actor_or_none(self, name: str) -> Actor | None:
        return self._by_name.get(name)

    def runnable(self) -> tuple[str, ...]:
        """Names of the actors that can move now, in program order, then of the crashes
        that can be taken (scheduler.crashes); none once the program has aborted."""
        if self.aborted is not None:
            return ()
        if self._runnable is None:
            moving = tuple(a.name for a in self.actors if a.pending is not None and self._enabled(a))
            crashing = ()
            if self._crashes and self.crashes < self.program.max_crashes:
                crashing = tuple(name for name, actor in self._crashes.items()
                                 if actor.name in moving and actor.pending.crash_before)
            self._runnable = moving + crashing
        return self._runnable

    def _enabled(self, actor: Actor) -> bool:
        try:
            return actor.pending.enabled(self.world)
        except Exception as exc:  # a bug in the model
            raise ModelError(
                f"{actor.name}'s {actor.pending.describe()}: enabled() raised {type(exc).__name__}: {exc}",
                actor.name, actor.pending, exc,
            ) from exc

    def pending(self, name: str) -> Effect | None:
        """The effect `name` waits to perform: an actor's pending effect, or for a crash
        choice its `Crash` (disabled once its actor has finished or the budget is spent;
        None once taken). KeyError for a name that is neither."""
        target = self._crashes.get(name)
        if target is None:
            return self.actor(name).pending
        if name in self._crashed:
            return None
        return Crash(target.name, target.pending, self.crashes >= self.program.max_crashes)

    def choices(self) -> tuple[str, ...]:
        """Every name a strategy can choose, in order: the actors, then the crashes."""
        return self.program.choice_names()

    def has_choice(self, name: str) -> bool:
        """Whether `name` is an actor of the program or the crash of a crashable one."""
        return name in self._by_name or name in self._crashes

    def unfinished_choices(self) -> tuple[str, ...]:
        """The choices with a step pending, runnable or not, as a partial-order reduction
        sees them: every unfinished actor, every crashed one (with the step it was stopped
        before, disabled for good, so that the reduction races it with the crash as it
        races a blocked actor's next step), then every crash not yet taken, in order."""
        return tuple(a.name for a in self.actors if a.pending is not None or a.stopped is not None) + tuple(
            name for name in self._crashes if name not in self._crashed)

    def footprint(self, name: str) -> Footprint:
        """What the pending step of `name` (an actor or a crash; for a crashed actor, the
        step it was stopped before) would read and write if taken now, as the kernel
        records it (`Program.footprint`)."""
        actor = self._by_name.get(name)
        effect = actor.stopped if actor is not None and actor.stopped is not None else self.pending(name)
        return self.program.footprint(name, effect, self.world)

    def unfinished(self, include_daemons: bool = False) -> list[Actor]:
        return [
            a for a in self.actors if a.pending is not None and (include_daemons or not a.daemon)
        ]

    def deadlocked(self) -> bool:
        """No actor can move although a non-daemon actor still has work (and the program
        has not aborted: then nobody may move, which is no deadlock)."""
        return self.aborted is None and not self.runnable() and bool(self.unfinished())

    def ends(self) -> tuple[ActorEnd, ...]:
        """How every actor stands now, in program order."""
        return tuple(_end(a) for a in self.actors)

    def state_key(self) -> Hashable:
        """The world's fingerprint plus each actor's interned history."""
        if self._interner is None:
            raise RuntimeError("state_key() needs an Execution built with a HistoryInterner")
        return (self.world.fingerprint(), tuple(a.history for a in self.actors))

    # -- the one mutator -----------------------------------------------------------
    def step(self, name: str) -> Step:
        if name in self._crashes:
            return self._crash(name)
        actor = self.actor(name)
        effect = actor.pending
        if effect is None:
            raise ProtocolError(f"step {len(self.steps)}: {name} has finished and cannot move")
        runnable = self.runnable()
        if name not in runnable:
            raise ProtocolError(
                f"step {len(self.steps)}: {name} is blocked ({effect.blocked_on(self.world)})"
            )
        try:
            footprint = self.program.footprint(name, effect, self.world) if self.tracks_footprints else None
        except Exception as exc:  # a bug in the model
            raise ModelError(f"step {len(self.steps)}: {name}'s {effect.describe()}: footprint() raised "
                             f"{type(exc).__name__}: {exc}", name, effect, exc) from exc
        try:
            step = Step(len(self.steps), name, effect, effect.apply(self.world), None, footprint)
        except Failure as error:
            step = Step(len(self.steps), name, effect, None, error, footprint)
        except Exception as exc:  # a bug in the model: the step cannot be taken
            raise ModelError(
                f"step {len(self.steps)}: {name}'s {effect.describe()} raised {type(exc).__name__}: {exc} "
                f"(an effect reports a domain error by raising a scheduler.Failure)", name, effect, exc,
            ) from exc
        self.steps.append(step)
        self.runnable_log.append(runnable)
        self._runnable = None
        if self._interner is not None:
            actor.history = self._interner.extend(actor.history, step)
        if step.error is None:
            self._advance(actor, _SEND, step.result)
        else:
            self._advance(actor, _THROW, step.error)
        if actor.pending is None:
            if self.program.on_exit is not None:
                self._exit(name)
                if footprint is not None:
                    footprint = footprint.writing({f"exit/{name}"})
            aborts = actor.status is Status.FAILED and self.program.aborts(actor.error)
            if aborts and footprint is not None:  # it disables every other step, which reads ABORT
                footprint = footprint.writing({ABORT})
            step = Step(step.index, step.actor, step.effect, step.result, step.error, footprint, _end(actor))
            self.steps[-1] = step
            if aborts:
                self.aborted = step
        return step

    def _crash(self, name: str) -> Step:
        """Take the crash `name`: its actor stops before its pending effect and is never
        resumed (scheduler.crashes); the actors that restart it start."""
        crash = self.pending(name)
        runnable = self.runnable()
        if crash is None or name not in runnable:
            why = "it was already taken" if crash is None else crash.blocked_on(self.world)
            raise ProtocolError(f"step {len(self.steps)}: {name} cannot be taken ({why})")
        actor = self._by_name[crash.actor]
        footprint = self.program.footprint(name, crash, self.world) if self.tracks_footprints else None
        step = Step(len(self.steps), name, crash, crash.apply(self.world), None, footprint)
        self.steps.append(step)
        self.runnable_log.append(runnable)
        self._runnable = None
        self.crashes += 1
        self._crashed.add(name)
        if self._interner is not None:
            actor.history = self._interner.extend(actor.history, step)
        for restart in self._stop(actor):
            if restart.pending is None and footprint is not None and self.program.on_exit is not None:
                footprint = footprint.writing({f"exit/{restart.name}"})
        step = Step(step.index, step.actor, step.effect, step.result, step.error, footprint, _end(actor))
        self.steps[-1] = step
        return step

    def _stop(self, actor: Actor) -> list[Actor]:
        """Stop the crashed `actor` for good and start the actors that restart it (which
        it returns)."""
        generator, actor.generator = actor.generator, None
        actor.pending, actor.status, actor.stopped = None, Status.CRASHED, actor.pending
        close_generator(generator)  # never resumed: nothing it would still do happens
        self._exit(actor.name)
        specs = {spec.name: spec for spec in self.program.actors}
        started = []
        for restart in self._restarts.get(actor.name, ()):
            started.append(self._by_name[restart])
            started[-1].status = Status.RUNNING
            self._start(started[-1], specs[restart])
        return started

    def _exit(self, name: str) -> None:
        """The program's `on_exit` hook for `name`, unless the execution is being restored."""
        if self.program.on_exit is not None and not self._restoring:
            self.program.on_exit(self.world, name)

    # -- restoring (scheduler.restore) ------------------------------------------------
    def resume(self, step: Step) -> None:
        """Feed the recorded `step` back: its actor (which the caller checked is waiting
        to perform `step.effect`) receives the recorded outcome, a crash stops its
        actor; the world is not touched (it is already as it was after the step), and
        the step is not recorded (`restored` records the steps fed back)."""
        actor = self._crashes.get(step.actor)
        if actor is not None:
            self.crashes += 1
            self._crashed.add(step.actor)
            self._stop(actor)
        else:
            actor = self._by_name[step.actor]
            if step.error is None:
                self._advance(actor, _SEND, step.result)
            else:
                self._advance(actor, _THROW, step.error)
            if actor.status is Status.FAILED and self.program.aborts(actor.error):
                self.aborted = step

    def restored(self, steps: list[Step], runnable_log: list[tuple[str, ...]], histories: tuple[int, ...]) -> None:
        """Every recorded step has been fed back: they are the execution's `steps` (with
        the runnable actors before each), the actors' interned histories are `histories`
        (as they were), and from now on the hooks run as usual."""
        self.steps, self.runnable_log, self._runnable = steps, runnable_log, None
        for actor, history in zip(self.actors, histories, strict=True):
            actor.history = history
        self._restoring = False

    def _start(self, actor: Actor, spec) -> None:
        """Build the actor's generator and run it to its first effect."""
        actor.generator = start_actor(spec.body, spec.name)
        self._advance(actor, _NEXT)
        if actor.pending is None:
            self._exit(spec.name)

    def close(self) -> None:
        """Close every unfinished actor's generator (see `close_generator`), but those
        handed over to another execution."""
        for actor in self.actors:
            if actor.pending is not None and actor.name not in self._handed:
                close_generator(actor.generator)

    def hand_over(self, names: Iterable[str]) -> dict[str, Actor]:
        """The actors `names`, as they stand, for a restored execution to adopt; this
        execution is over and no longer closes them."""
        handed = {name: self._by_name[name] for name in names}
        self._handed.update(handed)
        return handed

    def _advance(self, actor: Actor, resume, *given) -> None:
        """Resume the actor's generator (`resume(generator, *given)`: _NEXT, _SEND a
        result or _THROW a failure) and take its next effect, or how it ended."""
        try:
            effect = resume(actor.generator, *given)
        except StopIteration as stop:
            actor.pending, actor.status, actor.returned = None, Status.DONE, stop.value
            return
        except Failure as error:
            actor.pending, actor.status, actor.error = None, Status.FAILED, error
            return
        except Exception as exc:  # a bug in the actor's own code
            raise ModelError(
                f"actor {actor.name} raised {type(exc).__name__}: {exc} "
                f"(only scheduler.Failure subclasses may escape an actor)", actor.name, None, exc,
            ) from exc
        if type(effect) not in _EFFECT_TYPES:
            problem = not_an_effect(effect)
            if problem is not None:
                raise ProtocolError(f"actor {actor.name} {problem}")
            _EFFECT_TYPES.add(type(effect))
        actor.pending = effect


#: how `_advance` resumes a generator (unbound, so that no closure is made per step)
_NEXT, _SEND, _THROW = types.GeneratorType.__next__, types.GeneratorType.send, types.GeneratorType.throw

#: the effect classes already checked to be attrs subclasses of Effect
_EFFECT_TYPES: set[type] = set()


def not_an_effect(value: Any) -> str | None:
    """Why `value` cannot be an actor's step, as the rest of a sentence that begins with
    the actor's name, or None when it is an effect: an instance of an attrs class that
    subclasses `Effect` (a schedule and a trace name a step by its attrs fields)."""
    kind = type(value).__name__
    if isinstance(value, Effect):
        if attrs.has(type(value)):
            return None
        made = "a @dataclass" if dataclasses.is_dataclass(value) else "a plain class"
        return (f"yielded {kind}, an Effect subclass that is {made}, not an attrs class; decorate it with "
                f"@attrs.frozen instead: schedules and traces read a step's arguments from its attrs fields")
    if dataclasses.is_dataclass(value):
        return (f"yielded {echo(value)}, a dataclass, not an effect; write it as @attrs.frozen "
                f"class {kind}(Effect) with apply(world) (and enabled, footprint as needed)")
    if inspect.isgenerator(value):
        return (f"yielded a generator object ({value.__name__}(...)); to take a helper's steps inside an "
                f"actor write `yield from {value.__name__}(...)`, not `yield {value.__name__}(...)`")
    return (f"yielded {echo(value)} (type {kind}), not an effect; an actor yields instances of an "
            f"@attrs.frozen subclass of scheduler.Effect, one atomic step each")


def start_actor(body: ActorBody, actor: str) -> Generator[Any, Any, Any]:
    """The actor's generator, built by its factory; ProtocolError when it is not one."""
    generator = body()
    if not inspect.isgenerator(generator):
        raise ProtocolError(
            f"actor {actor} raised TypeError: its factory returned {echo(generator)}, not a generator; an actor's "
            f"body yields its effects (`result = yield Effect(...)`): a function without `yield` is not an actor"
        )
    return generator


def close_generator(generator) -> None:
    """Close a generator so that its `finally` blocks run; one that yields again while
    closing is closed again where it yielded (up to 1,000 times), so Python never reports
    that a generator ignored GeneratorExit. An error its cleanup code raises is dropped:
    the execution is over."""
    for _ in range(1000):
        try:
            generator.close()
            return
        except RuntimeError:  # it yielded in a finally block: close it there too
            continue
        except Exception:  # noqa: BLE001 - its cleanup code failed; nothing to report
            return


def _end(actor: Actor) -> ActorEnd:
    return ActorEnd(actor.name, actor.status, actor.returned, actor.error, actor.pending, actor.daemon)
