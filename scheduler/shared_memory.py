"""Threads, shared variables and mutexes: the pthread-style way to model a race.

The quickest way to write your own program for the engine (the README's "Model your own
race" starts here): thread bodies are plain generator functions that yield `Read`,
`Write`, `Cas`, `Lock`, `Unlock`, `Create` and `Join`; `pthread_program` turns them and
the initial values of the shared variables into a `Program`; `assert_that` is C's
`assert`, and `assertions_hold()` the property that reports a failing one. The world
(`Shared`) already has the `fingerprint()` state caching needs and exact footprints, so
every strategy runs such a program. A lost update in a few lines:

    def increment():
        x = yield Read("x")
        yield Write("x", x + 1)

    def main():
        yield from create_all(["t1", "t2"])
        yield from join_all(["t1", "t2"])
        assert_that((yield Read("x")) == 2, "x == 2")

    program = pthread_program("lost-update", {"x": 0}, (), [("t1", increment), ("t2", increment)], main)

Nothing here knows what is being modelled; the classic concurrency bugs of
`scenarios/classics` are written with it.

The scheduling points are those SCTBench uses (Thomson, Donaldson and Betts,
"Concurrency testing using schedule bounding: an empirical study", PPoPP 2014; TOPC 2016
as "... using controlled schedulers ..."): thread create and join, mutex lock and
unlock, and every *racy* access to a shared variable, one step per read and one per write, in C's evaluation
order (`x = x + 1` is a read step then a write step; `a == 0 && b == 0` reads `b`
only when `a` is 0).

What is *not* a scheduling point:
- an access to a variable that no other thread can touch at that moment, because the
  thread holds the mutex that protects it, or because nobody writes it concurrently
  (set by `main` before the first `pthread_create`, or only ever read). Such code runs
  inside the step before it, as a `Section` attached to that step's effect: a step is
  one visible operation followed by the invisible code up to the next one (Godefroid's
  transitions). `Lock("m", then=Section(deposit_cs))` locks m and then runs the
  critical section's reads and writes, in one step;
- a C `assert`: it is evaluated by the step that precedes it. A failing assert raises
  `AssertionFailed` (a `scheduler.Failure`), either inside a `Section` or in the
  thread's own code right after a step, and the whole execution ends at that step, as
  C's abort() ends the program: the program `aborts_on` it, so no thread moves after
  it and the threads left with work are not deadlocked (as SCTBench counts: an
  execution ends at the failed assert). The property `NO_ASSERTION_FAILURE` reports it;
- a thread's start and its exit. A thread created by `main` is an actor from the start
  but dormant: its first effect is disabled until main's `Create` has run (the effect
  carries `first=True` and reads `thread/<name>`, which `Create` writes). Its exit is
  recorded by the program's `on_exit` hook, which the kernel calls within the thread's
  last step and which adds `exit/<name>` to that step's footprint; `Join` is enabled iff
  the thread has exited and reads `exit/<name>`.

Footprints are exact and evaluated in the current state: `var/x` and `var/a[3]` for
shared variables and array cells, `mutex/m` for a mutex, `thread/t` and `exit/t` for
creation and exit. A `Section`'s accesses are found by running it on a copy of the
variables, so they are the very ones the step would make now.

Thread bodies are plain generator functions that yield these effects without naming
their own thread: `pthread_program` wraps each body, stamps every effect with the
thread's name (a mutex records its holder) and marks a created thread's first effect.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Hashable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import attrs
from unpack_race.scheduler.effect import Effect, Failure, Footprint
from unpack_race.scheduler.kernel import Status, close_generator, not_an_effect, start_actor
from unpack_race.scheduler.program import ABORT, ActorSpec, Program, check_factory
from unpack_race.scheduler.properties import Property, always, on_step
from unpack_race.scheduler.resources import Constant, Keyed, ResourceMap

MAIN = "main"
NO_ASSERTION_FAILURE = "no-assertion-failure"

ThreadBody = Callable[[], Generator["Op", Any, Any]]


class AssertionFailed(Failure):
    """A C `assert` that failed. As in C, where the process aborts, the whole execution
    ends at that step (a `pthread_program` `aborts_on` it: no thread moves after it), and
    the property `no-assertion-failure` turns it into a violation at that very step."""


def assert_that(condition: bool, assertion: str, detail: str = "") -> None:
    """C's `assert(assertion)`: raise `AssertionFailed` unless `condition` holds."""
    if not condition:
        raise AssertionFailed(f"assert({assertion}) failed" + (f": {detail}" if detail else ""))


def cell(array: str, index: int) -> str:
    """The variable name of one array cell, as footprints and traces show it: `a[3]`."""
    return f"{array}[{index}]"


def array(name: str, size: int, value: int = 0) -> dict[str, int]:
    """The cells of a C array `name[size]`, all holding `value`."""
    return {cell(name, i): value for i in range(size)}


# -- the world ---------------------------------------------------------------------------


@attrs.define
class Shared:
    """Shared memory (integer variables and array cells, by name), mutexes and their
    holders, and which threads have been created and have exited. C's `_Bool` and
    `char` are stored as ints. `RESOURCES` names each as the footprints do (for
    `unpack-race lint`)."""

    RESOURCES: ClassVar[ResourceMap] = ResourceMap(
        vars=Keyed("var/{key}"), mutexes=Constant(), holders=Keyed("mutex/{key}"),
        created=Keyed("thread/{key}"), exited=Keyed("exit/{key}"),
    )

    vars: dict[str, int]
    mutexes: frozenset[str]
    holders: dict[str, str] = attrs.field(factory=dict)  # mutex -> the thread holding it
    created: set[str] = attrs.field(factory=set)
    exited: set[str] = attrs.field(factory=set)

    def read(self, name: str) -> int:
        try:
            return self.vars[name]
        except KeyError:
            raise KeyError(f"no shared variable {name!r}; the program declares {sorted(self.vars)}") from None

    def write(self, name: str, value: int) -> None:
        self.read(name)  # only declared variables
        self.vars[name] = value

    def mutex(self, name: str) -> str:
        if name not in self.mutexes:
            raise KeyError(f"no mutex {name!r}; the program declares {sorted(self.mutexes)}")
        return name

    def fingerprint(self) -> Hashable:
        """Equal for equal states, whatever the insertion order. The set of variables is
        fixed by the program, so leaving out the zeros loses nothing."""
        return (
            tuple(sorted((k, v) for k, v in self.vars.items() if v != 0)),
            tuple(sorted(self.holders.items())),
            tuple(sorted(self.created)),
            tuple(sorted(self.exited)),
        )


def var(name: str) -> str:
    """The footprint resource of shared variable `name`: `var/x` (for `on_state(...,
    reads=[var("x")])`)."""
    return f"var/{name}"


# -- sections: invisible code folded into a step -------------------------------------------


class Memory:
    """What a `Section` sees: the shared variables, read and written by name. It notes
    which ones it touched, which is how a section's footprint is found."""

    def __init__(self, vars: dict[str, int]) -> None:
        self._vars = vars
        self.reads: set[str] = set()
        self.writes: set[str] = set()

    def __getitem__(self, name: str) -> int:
        if name not in self._vars:
            raise KeyError(f"no shared variable {name!r}")
        self.reads.add(name)
        return self._vars[name]

    def __setitem__(self, name: str, value: int) -> None:
        if name not in self._vars:
            raise KeyError(f"no shared variable {name!r}")
        self.writes.add(name)
        self._vars[name] = int(value)


@attrs.frozen
class Section:
    """Code that runs inside a step, right after its visible operation: `fn(memory,
    *args)`, a module-level function whose docstring's first line is the C code it
    ports. It may only touch variables no other thread can touch meanwhile (see the
    module docstring); it may call `assert_that` for a C assert."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()

    def run(self, vars: dict[str, int]) -> Any:
        return self.fn(Memory(vars), *self.args)

    def accesses(self, vars: Mapping[str, int]) -> tuple[set[str], set[str], bool]:
        """The variables the section would read and write now (run on a copy), and
        whether an assert in it would fail (aborting the program)."""
        memory = Memory(dict(vars))
        try:
            self.fn(memory, *self.args)
        except AssertionFailed:
            return memory.reads, memory.writes, True  # what it touched before the assert still counts
        return memory.reads, memory.writes, False

    def describe(self) -> str:
        inner = ", ".join(repr(a) for a in self.args)
        return f"{self.fn.__name__}({inner})"

    def code(self) -> str:
        """The C code, from the docstring's first line, with the arguments' values in
        place of their names: `A++;` for `enter(mem, counter)` with counter "A"."""
        doc = (self.fn.__doc__ or "").strip().splitlines()
        text = doc[0] if doc else self.describe()
        names = self.fn.__code__.co_varnames[1 : 1 + len(self.args)]
        unused = []
        for name, value in zip(names, self.args):
            shown = value if isinstance(value, str) else repr(value)
            text, found = re.subn(rf"\b{re.escape(name)}\b", lambda _: shown, text)
            if not found:
                unused.append(f"{name}={value!r}")
        return f"{text} [{', '.join(unused)}]" if unused else text


# -- effects -----------------------------------------------------------------------------

_META = ("then", "thread", "first")


@attrs.frozen
class Op(Effect):
    """Base of the pthread-like effects. `thread` (the acting thread) and `first` (this
    is a created thread's first step, disabled until main's `Create`) are stamped by
    `pthread_program`; `then` is an optional `Section` run within the same step."""

    then: Section | None = attrs.field(default=None, kw_only=True)
    thread: str = attrs.field(default="", kw_only=True)
    first: bool = attrs.field(default=False, kw_only=True)

    #: whether a Section may follow the operation (those that leave the variables alone)
    takes_section = True
    #: how a narration introduces the section
    section_phrase = "then runs"

    def __attrs_post_init__(self) -> None:
        if self.then is not None and not self.takes_section:
            raise TypeError(f"{type(self).__name__} cannot carry a section")

    # the operation itself, for subclasses
    def _enabled(self, world: Shared) -> bool:
        return True

    def _blocked_on(self, world: Shared) -> str:
        return "its effect is disabled"

    def _apply(self, world: Shared) -> Any:
        raise NotImplementedError

    def _touches(self, world: Shared | None) -> tuple[set[str], set[str]]:
        raise NotImplementedError

    # the Effect protocol
    def enabled(self, world: Shared) -> bool:
        if self.first and self.thread not in world.created:
            return False
        return self._enabled(world)

    def blocked_on(self, world: Shared) -> str:
        if self.first and self.thread not in world.created:
            return f"thread {self.thread} has not been created yet (main has not called pthread_create)"
        return self._blocked_on(world)

    def apply(self, world: Shared) -> Any:
        result = self._apply(world)
        if self.then is not None:
            return self.then.run(world.vars)
        return result

    def footprint(self, world: Shared | None = None) -> Footprint:
        if self.then is not None and world is None:
            return Footprint.everything()  # the section's accesses depend on the state
        reads, writes = self._touches(world)
        if self.first:
            reads.add(f"thread/{self.thread}")
        if self.then is not None:
            section_reads, section_writes, fails = self.then.accesses(world.vars)
            reads |= {var(v) for v in section_reads}
            writes |= {var(v) for v in section_writes}
            if fails:  # the assert aborts the program: the step disables every other one
                writes.add(ABORT)
        acquires, releases = self._locks()
        return Footprint.of(reads, writes, acquires, releases)

    def _locks(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The mutexes this step takes and gives back, as resources (Footprint.acquires, releases)."""
        return (), ()

    def args(self) -> dict[str, Any]:
        """The operation's own arguments, plus the section it runs (the thread is the
        actor that takes the step, so schedules do not repeat it)."""
        out = {k: v for k, v in super().args().items() if k not in _META}  # JSON data, sets sorted
        if self.then is not None:
            out["then"] = self.then.describe()
        return out

    def narrate(self, actor: str, result: Any, error: Failure | None) -> str:
        text = f"{actor}: {self._say(result if self.then is None else None)}"
        if self.then is not None:
            text += f"; {self.section_phrase} {{ {self.then.code()} }}"
            if error is None and result is not None:
                text += f" -> {result!r}"
        if error is not None:
            text += f"; {error}"
        return text

    def _say(self, result: Any) -> str:
        return self.describe()


@attrs.frozen
class Read(Op):
    """A racy read of a shared variable (one scheduling point); returns its value."""

    var: str
    takes_section = False

    def _apply(self, world: Shared) -> int:
        return world.read(self.var)

    def _touches(self, world):
        return {var(self.var)}, set()

    def _say(self, result):
        return f"reads {self.var} == {result}"


@attrs.frozen
class Write(Op):
    """A racy write of a shared variable (one scheduling point)."""

    var: str
    value: int
    takes_section = False

    def _apply(self, world: Shared) -> None:
        world.write(self.var, self.value)

    def _touches(self, world):
        return set(), {var(self.var)}

    def _say(self, result):
        return f"writes {self.var} = {self.value}"


@attrs.frozen
class Cas(Op):
    """An atomic compare-and-swap: if `var` holds `expected`, store `new` and return True;
    otherwise return False. A CAS that would fail only reads."""

    var: str
    expected: int
    new: int
    takes_section = False

    def _apply(self, world: Shared) -> bool:
        if world.read(self.var) != self.expected:
            return False
        world.write(self.var, self.new)
        return True

    def _touches(self, world):
        if world is not None and world.read(self.var) != self.expected:
            return {var(self.var)}, set()
        return {var(self.var)}, {var(self.var)}

    def narrate(self, actor, result, error):
        outcome = "succeeds" if result else "fails (the cell is taken)"
        return f"{actor}: cas({self.var}, {self.expected}, {self.new}) {outcome}"


@attrs.frozen
class Lock(Op):
    """pthread_mutex_lock: disabled while another thread holds the mutex."""

    mutex: str
    section_phrase = "holding it, runs"

    def _enabled(self, world: Shared) -> bool:
        return world.mutex(self.mutex) not in world.holders

    def _blocked_on(self, world: Shared) -> str:
        return f"mutex {self.mutex} is held by {world.holders[self.mutex]}"

    def _apply(self, world: Shared) -> None:
        world.mutex(self.mutex)
        if self.mutex in world.holders:
            raise RuntimeError(f"{self.thread} locks {self.mutex}, held by {world.holders[self.mutex]}")
        world.holders[self.mutex] = self.thread

    def _touches(self, world):
        return {f"mutex/{self.mutex}"}, {f"mutex/{self.mutex}"}

    def _locks(self):
        return (f"mutex/{self.mutex}",), ()

    def _say(self, result):
        return f"locks {self.mutex}"


@attrs.frozen
class Unlock(Op):
    """pthread_mutex_unlock, by the thread that holds the mutex."""

    mutex: str

    def _apply(self, world: Shared) -> None:
        holder = world.holders.get(world.mutex(self.mutex))
        if holder != self.thread:
            raise RuntimeError(f"{self.thread} unlocks {self.mutex}, held by {holder}")
        del world.holders[self.mutex]

    def _touches(self, world):
        return {f"mutex/{self.mutex}"}, {f"mutex/{self.mutex}"}

    def _locks(self):
        return (), (f"mutex/{self.mutex}",)

    def _say(self, result):
        return f"unlocks {self.mutex}"


@attrs.frozen
class Create(Op):
    """pthread_create: thread `child` may now take its first step."""

    child: str

    def _apply(self, world: Shared) -> None:
        if self.child in world.created:
            raise RuntimeError(f"thread {self.child} is created twice")
        world.created.add(self.child)

    def _touches(self, world):
        return set(), {f"thread/{self.child}"}

    def _say(self, result):
        return f"pthread_create({self.child}): {self.child} may now run"


@attrs.frozen
class Join(Op):
    """pthread_join: enabled once `child` has exited."""

    child: str

    def _enabled(self, world: Shared) -> bool:
        return self.child in world.exited

    def _blocked_on(self, world: Shared) -> str:
        return f"thread {self.child} has not exited"

    def _apply(self, world: Shared) -> None:
        return None

    def _touches(self, world):
        return {f"exit/{self.child}"}, set()

    def _say(self, result):
        return f"pthread_join({self.child}): {self.child} has exited"


# -- programs ----------------------------------------------------------------------------


def pthread_program(
    name: str,
    shared: Mapping[str, int],
    mutexes: Iterable[str],
    threads: Sequence[tuple[str, ThreadBody]],
    main: ThreadBody | None = None,
) -> Program:
    """A program of `main` (if given; it runs from the start) and `threads`, in this
    order (the order breaks ties in a search). With a `main`, the other threads are
    dormant until main creates them; without one (the DPOR papers' programs), every
    thread runs from the start. `shared` gives the initial values, as they stand when
    the first scheduling point is reached (`main`'s writes before its first
    `pthread_create` are part of it)."""
    names = [t for t, _ in threads]
    if MAIN in names:
        raise ValueError(f"{name}: no thread may be called {MAIN!r}")
    actors = []
    if main is not None:
        actors.append(ActorSpec(MAIN, _stamped(MAIN, check_factory(main, MAIN), dormant=False)))
    for thread, body in threads:
        actors.append(ActorSpec(thread, _stamped(thread, check_factory(body, thread), dormant=main is not None)))
    initial, locks = dict(shared), frozenset(mutexes)
    return Program(name, lambda: Shared(dict(initial), locks), tuple(actors), on_exit=_record_exit,
                   aborts_on=(AssertionFailed,))


def _record_exit(world: Shared, thread: str) -> None:
    world.exited.add(thread)


def _stamped(thread: str, body: ThreadBody, dormant: bool) -> ThreadBody:
    """The body, with every effect stamped with its thread and, for a created thread,
    the first one marked as waiting for `Create`. Failures are passed through both ways
    (a failing step is thrown into the body; an assert the body raises ends the thread)."""

    def run():
        gen = start_actor(body, thread)
        try:
            effect = next(gen)
        except StopIteration as stop:
            return stop.value
        try:
            for index in itertools.count():
                if not isinstance(effect, Op):
                    problem = not_an_effect(effect) or _NOT_AN_OP.format(type(effect).__name__)
                    raise TypeError(f"thread {thread} {problem}")
                effect = attrs.evolve(effect, thread=thread, first=dormant and index == 0)
                try:
                    result = yield effect
                except Failure as error:
                    try:
                        effect = gen.throw(error)
                    except StopIteration as stop:
                        return stop.value
                    continue
                try:
                    effect = gen.send(result)
                except StopIteration as stop:
                    return stop.value
        except GeneratorExit:  # the execution is over: close the body too, its finally blocks run
            close_generator(gen)
            raise

    return run


_NOT_AN_OP = ("yielded {}, an effect of another world; a thread of pthread_program yields the effects of "
              "scheduler.shared_memory (Read, Write, Cas, Lock, Unlock, Create, Join)")


def create_all(children: Iterable[str]):
    """main's `for (...) pthread_create(...)`."""
    for child in children:
        yield Create(child)


def join_all(children: Iterable[str]):
    """main's `for (...) pthread_join(...)`."""
    for child in children:
        yield Join(child)


# -- properties ----------------------------------------------------------------------------


def _failed_assert(step) -> AssertionFailed | None:
    """The failed assert that stopped the step's thread, if one did (in the step's own
    effect, or in the thread's code right after it)."""
    ended = step.ended
    if ended is not None and ended.status is Status.FAILED and isinstance(ended.error, AssertionFailed):
        return ended.error
    return None


def assertions_hold() -> Property:
    """Every C assert holds: no step ends with its thread stopped by a failing assert.
    It looks only at the step just taken and how its thread ended (on_step), so it is
    sound under state caching and partial-order reduction."""
    return always(
        NO_ASSERTION_FAILURE,
        on_step(lambda step: _failed_assert(step) is None),
        "every assert in the C source holds",
        explain=_explain,
    )


def _explain(step) -> str:
    if step.error is not None:  # the step's narration already says which assert failed
        return "the program aborts there, as C's abort() ends it: no thread moves after this step"
    return f"{step.actor}: {_failed_assert(step)}; the program aborts there, as C's abort() ends it"
