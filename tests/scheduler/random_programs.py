"""Small random actor programs over shared integers and locks, drawn by Hypothesis, for
checking a search with reduction against brute force (DESIGN.md, "Tests").

A program is described as data (`ProgramSpec`: each actor's list of instructions), so
that Hypothesis prints a failing program readably and shrinks it; `build(spec)` turns
the description into a `Program`. Each actor has one local register `r` (0 at the
start). Instructions, each one atomic step with an exact footprint:

- `read x`       r := x                      reads `var/x`
- `write x := c` x := c                      writes `var/x`
- `write x := r+c` x := r + c                writes `var/x` (its value depends on earlier reads)
- `incr x`       x := x + 1; r := x          reads and writes `var/x`, one atomic step
- `lock m`       take m; disabled while held writes `mutex/m`
- `unlock m`     release m                   writes `mutex/m`
- `if r >= c: A else: B`  one step, A or B (data instructions), chosen by the local
                          register, so what an actor does next depends on what it read.

Locks are properly nested per actor and never re-entered, but two actors may take two
locks in opposite orders, so deadlocks are possible. The world has `fingerprint()`.
The module has a distinctive name because tests/ has no __init__.py files; tests import
it as `from random_programs import ...`.
"""

from __future__ import annotations

from collections.abc import Hashable

import attrs
from hypothesis import strategies as st

from unpack_race.scheduler.effect import Effect, Footprint
from unpack_race.scheduler.kernel import Execution, Step
from unpack_race.scheduler.program import ActorSpec, Program

VARIABLES = ("x", "y")
MUTEXES = ("m", "n")

# -- the world -----------------------------------------------------------------------


@attrs.define
class Memory:
    """Shared integer variables and the holders of mutexes."""

    vars: dict[str, int] = attrs.field(factory=lambda: {v: 0 for v in VARIABLES})
    holders: dict[str, str] = attrs.field(factory=dict)

    def fingerprint(self) -> Hashable:
        return (tuple(sorted(self.vars.items())), tuple(sorted(self.holders.items())))


def var(name: str) -> str:
    return f"var/{name}"


def mutex(name: str) -> str:
    return f"mutex/{name}"


# -- effects -------------------------------------------------------------------------


@attrs.frozen
class Load(Effect):
    var: str

    def apply(self, world: Memory) -> int:
        return world.vars[self.var]

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={var(self.var)})


@attrs.frozen
class Store(Effect):
    var: str
    value: int

    def apply(self, world: Memory) -> None:
        world.vars[self.var] = self.value

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={var(self.var)})


@attrs.frozen
class Increment(Effect):
    var: str

    def apply(self, world: Memory) -> int:
        world.vars[self.var] += 1
        return world.vars[self.var]

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={var(self.var)}, writes={var(self.var)})


@attrs.frozen
class Lock(Effect):
    mutex: str
    owner: str

    def enabled(self, world: Memory) -> bool:
        return self.mutex not in world.holders

    def blocked_on(self, world: Memory) -> str:
        return f"{self.mutex} is held by {world.holders[self.mutex]}"

    def apply(self, world: Memory) -> None:
        world.holders[self.mutex] = self.owner

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={mutex(self.mutex)})


@attrs.frozen
class Unlock(Effect):
    mutex: str
    owner: str

    def apply(self, world: Memory) -> None:
        holder = world.holders.pop(self.mutex)
        assert holder == self.owner, f"{self.owner} unlocked {self.mutex} held by {holder}"

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={mutex(self.mutex)})


# -- instructions, as data -------------------------------------------------------------


@attrs.frozen
class Read:
    var: str

    def __str__(self) -> str:
        return f"read {self.var}"


@attrs.frozen
class Write:
    var: str
    const: int
    plus_local: bool  # x := r + const rather than x := const

    def __str__(self) -> str:
        return f"write {self.var} := {'r+' if self.plus_local else ''}{self.const}"


@attrs.frozen
class Incr:
    var: str

    def __str__(self) -> str:
        return f"incr {self.var}"


@attrs.frozen
class Acquire:
    mutex: str

    def __str__(self) -> str:
        return f"lock {self.mutex}"


@attrs.frozen
class Release:
    mutex: str

    def __str__(self) -> str:
        return f"unlock {self.mutex}"


@attrs.frozen
class Branch:
    """One step: `then` when r >= threshold, else `otherwise` (both data instructions)."""

    threshold: int
    then: Read | Write | Incr
    otherwise: Read | Write | Incr

    def __str__(self) -> str:
        return f"if r >= {self.threshold}: {self.then} else: {self.otherwise}"


Instruction = Read | Write | Incr | Acquire | Release | Branch


@attrs.frozen(repr=False)
class ProgramSpec:
    """Each actor's instructions; actors are named a0, a1, ..."""

    actors: tuple[tuple[Instruction, ...], ...]

    def sizes(self) -> tuple[int, ...]:
        return tuple(len(body) for body in self.actors)

    def __repr__(self) -> str:
        bodies = "  |  ".join(
            f"a{i}: " + "; ".join(str(ins) for ins in body) for i, body in enumerate(self.actors)
        )
        return f"ProgramSpec<{bodies}>"


def effect_of(instruction: Instruction, owner: str, r: int) -> tuple[Effect, bool]:
    """The effect an instruction yields when the register holds r, and whether its
    result goes into the register."""
    match instruction:
        case Read(v):
            return Load(v), True
        case Write(v, const, plus_local):
            return Store(v, r + const if plus_local else const), False
        case Incr(v):
            return Increment(v), True
        case Acquire(m):
            return Lock(m, owner), False
        case Release(m):
            return Unlock(m, owner), False
        case Branch(threshold, then, otherwise):
            return effect_of(then if r >= threshold else otherwise, owner, r)
    raise TypeError(f"not an instruction: {instruction!r}")


def actor_body(name: str, instructions: tuple[Instruction, ...]):
    def body():
        r = 0
        for instruction in instructions:
            effect, keeps_result = effect_of(instruction, name, r)
            result = yield effect
            if keeps_result:
                r = result
        return r

    return body


def build(spec: ProgramSpec, *, daemons: bool = False) -> Program:
    """The program the spec describes. With `daemons`, every actor is a daemon, so that an
    execution that ends blocked is an ordinary final state rather than a deadlock
    violation that would stop the search."""
    return Program(
        f"random{spec!r}",
        Memory,
        tuple(
            ActorSpec(f"a{i}", actor_body(f"a{i}", body), daemon=daemons)
            for i, body in enumerate(spec.actors)
        ),
    )


# -- Hypothesis strategies ------------------------------------------------------------

variables = st.sampled_from(VARIABLES)


def data_instructions() -> st.SearchStrategy[Read | Write | Incr]:
    return st.one_of(
        st.builds(Read, variables),
        st.builds(Write, variables, st.integers(0, 2), st.booleans()),
        st.builds(Incr, variables),
    )


def instructions() -> st.SearchStrategy[Read | Write | Incr | Branch]:
    return st.one_of(
        data_instructions(),
        st.builds(Branch, st.integers(0, 2), data_instructions(), data_instructions()),
    )


@st.composite
def actor_instructions(draw, size: int, free: tuple[str, ...] = MUTEXES) -> tuple[Instruction, ...]:
    """Exactly `size` steps; a lock block costs two (lock, unlock) plus its inside, and
    never takes a mutex the actor already holds."""
    body: list[Instruction] = []
    while size > 0:
        if size >= 2 and free and draw(st.booleans()):
            m = draw(st.sampled_from(free))
            inside = draw(st.integers(0, size - 2))
            inner = draw(actor_instructions(inside, tuple(f for f in free if f != m)))
            body += [Acquire(m), *inner, Release(m)]
            size -= 2 + inside
        else:
            body.append(draw(instructions()))
            size -= 1
    return tuple(body)


@st.composite
def program_specs(draw, min_actors: int = 2, max_actors: int = 3, max_total_steps: int = 9) -> ProgramSpec:
    """2-3 actors of 1-4 steps each, at most `max_total_steps` steps in all, so that
    brute force stays small (at most 9!/(3!3!3!) = 1680 interleavings of 3 x 3 steps)."""
    n = draw(st.integers(min_actors, max_actors))
    sizes = []
    left = max_total_steps
    for i in range(n):
        still_to_come = n - i - 1
        size = draw(st.integers(1, max(1, min(4, left - still_to_come))))
        sizes.append(size)
        left -= size
    return ProgramSpec(tuple(draw(actor_instructions(size)) for size in sizes))


# -- observing a search ---------------------------------------------------------------


def all_executions(program: Program):
    """Every interleaving of `program`, run to its end with footprints recorded, as
    finished `Execution` objects: enumerated by brute force, independently of the
    engine's searches (every sequence of runnable actors, each run from the start)."""

    def extend(prefix: list[str]):
        execution = Execution(program, None, footprints=True)
        for actor in prefix:
            execution.step(actor)
        runnable = execution.runnable()
        if not runnable:
            yield execution
            return
        for actor in runnable:
            yield from extend(prefix + [actor])

    yield from extend([])
