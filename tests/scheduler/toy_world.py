"""The tests' one shared-memory world: integer variables and mutexes, the effects that
read, write, increment, lock and unlock them, the toy programs built on them, random
programs drawn by Hypothesis, and brute-force enumerators that use the kernel alone
(never one of the engine's searches), each once.

The world is scheduler/shared_memory.py, the user-facing pthread-style API:
`Shared` holds the variables, the mutexes and their holders; `Read`, `Write`, `Lock` and
`Unlock` are its effects, and `pthread_program` (here `program`) stamps each effect with
the thread that yields it. Footprints name `var/x` and `mutex/m`. Added here, for what
the engine's tests need and C's scheduling points do not have:

- `Increment`: x := x + 1 in one atomic step, returning the new value;
- `Withdraw`: take an amount from a variable into `withdrawn`, or fail with
  `InsufficientFunds` (a `Failure`, thrown into the actor);
- `TalliedWrite`: a write that also counts itself in a ghost variable, so that a
  property of the state can say how many writes there were;
- `Audit`: the sum of several variables, named by a frozenset, whose iteration order
  depends on PYTHONHASHSEED (schedules and traces must not).

tests/ has no __init__.py files; tests/conftest.py puts this directory on sys.path, so
every test directory imports it as `from toy_world import ...`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st
from unpack_race.scheduler.shared_memory import (
    Lock,
    Op,
    Read,
    Shared,
    Unlock,
    Write,
    pthread_program,
    var,
)
from unpack_race.scheduler.crashes import owner
from unpack_race.scheduler.effect import Failure
from unpack_race.scheduler.kernel import Execution, HistoryInterner, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import at_end
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.traces import final_state


def mutex(name: str) -> str:
    """A mutex's resource name, as footprints write it."""
    return f"mutex/{name}"


# -- effects beyond the classics' ------------------------------------------------------------


class InsufficientFunds(Failure):
    """A withdrawal larger than the balance."""


@attrs.frozen
class Increment(Op):
    """x := x + 1, atomically; returns the new value."""

    var: str
    takes_section = False

    def _apply(self, world: Shared) -> int:
        world.write(self.var, world.read(self.var) + 1)
        return world.read(self.var)

    def _touches(self, world):
        return {var(self.var)}, {var(self.var)}

    def _say(self, result):
        return f"increments {self.var} to {result}"


@attrs.frozen
class TalliedWrite(Op):
    """var := value, and tally := tally + 1 (a ghost variable counting the writes)."""

    var: str
    value: int
    tally: str
    takes_section = False

    def _apply(self, world: Shared) -> None:
        world.write(self.var, self.value)
        world.write(self.tally, world.read(self.tally) + 1)

    def _touches(self, world):
        return {var(self.tally)}, {var(self.var), var(self.tally)}

    def _say(self, result):
        return f"writes {self.var} = {self.value} (write number {self.tally} + 1)"


@attrs.frozen
class Withdraw(Op):
    """Atomically take `amount` from `var` into the variable `withdrawn`, or fail with
    `InsufficientFunds`; returns what is left."""

    var: str
    amount: int
    takes_section = False

    def _apply(self, world: Shared) -> int:
        balance = world.read(self.var)
        if balance < self.amount:
            raise InsufficientFunds(f"{self.var} holds {balance}, cannot withdraw {self.amount}")
        world.write(self.var, balance - self.amount)
        world.write("withdrawn", world.read("withdrawn") + self.amount)
        return world.read(self.var)

    def _touches(self, world):
        if world is not None and world.read(self.var) < self.amount:
            return {var(self.var)}, set()  # a withdrawal that would fail only reads the balance
        return {var(self.var), var("withdrawn")}, {var(self.var), var("withdrawn")}

    def _say(self, result):
        return f"withdraws {self.amount} from {self.var}" + ("" if result is None else f", leaving {result}")


@attrs.frozen
class Audit(Op):
    """The sum of the variables named, read at once."""

    accounts: frozenset[str]
    takes_section = False

    def _apply(self, world: Shared) -> int:
        return sum(world.read(a) for a in sorted(self.accounts))

    def _touches(self, world):
        return {var(a) for a in self.accounts}, set()


# -- programs -------------------------------------------------------------------------------


def program(
    name: str,
    shared: Mapping[str, int],
    threads: Sequence[tuple[str, Callable]],
    mutexes: Iterable[str] = (),
    *,
    held: Mapping[str, str] | None = None,
    daemons: Iterable[str] = (),
) -> Program:
    """Threads that all run from the start (no main) on variables `shared` and mutexes
    `mutexes`; `held` maps a mutex to a holder outside the program, from the start;
    `daemons` names the background actors."""
    built = pthread_program(name, shared, tuple(mutexes) + tuple(held or ()), threads)
    if held:
        make = built.make_world
        built = attrs.evolve(built, make_world=lambda: attrs.evolve(make(), holders=dict(held)))
    daemons = set(daemons)
    if daemons:
        built = attrs.evolve(
            built, actors=tuple(attrs.evolve(a, daemon=a.name in daemons) for a in built.actors)
        )
    return built


def independent_program(sizes: Iterable[int]) -> Program:
    """Actor a<i> increments its own variable x<i> sizes[i] times: nothing conflicts and
    every effect is always enabled."""
    sizes = tuple(sizes)

    def body(v: str, n: int):
        def run():
            for _ in range(n):
                yield Increment(v)

        return run

    return program(
        f"independent{sizes}",
        {f"x{i}": 0 for i in range(len(sizes))},
        [(f"a{i}", body(f"x{i}", n)) for i, n in enumerate(sizes)],
    )


def racy_counter(actors: int = 2, rounds: int = 1) -> Program:
    """Each actor reads the counter, then writes back what it read plus one."""

    def body():
        for _ in range(rounds):
            value = yield Read("counter")
            yield Write("counter", value + 1)

    return program("racy-counter", {"counter": 0}, [(f"t{i}", body) for i in range(actors)])


def tallied_racy_counter(actors: int = 2) -> Program:
    """The racy counter whose writes count themselves in the ghost variable "writes"."""

    def body():
        value = yield Read("counter")
        yield TalliedWrite("counter", value + 1, "writes")

    return program("tallied-racy-counter", {"counter": 0, "writes": 0}, [(f"t{i}", body) for i in range(actors)])


def locked_counter(actors: int = 2, rounds: int = 1) -> Program:
    """The racy counter with the read-modify-write under the mutex m."""

    def body():
        for _ in range(rounds):
            yield Lock("m")
            value = yield Read("counter")
            yield Write("counter", value + 1)
            yield Unlock("m")

    return program("locked-counter", {"counter": 0}, [(f"t{i}", body) for i in range(actors)], ("m",))


INITIAL_BALANCE = 100
DEPOSITS = {"alice": 10, "bob": 20}


def bank_account(locked: bool, deposits: Mapping[str, int] = DEPOSITS) -> Program:
    """Depositors (in name order) read the balance and write back balance + amount (a lost
    update waits to happen), optionally under the mutex `account`."""

    def depositor(amount: int):
        def body():
            if locked:
                yield Lock("account")
            balance = yield Read("balance")
            yield Write("balance", balance + amount)
            if locked:
                yield Unlock("account")

        return body

    return program(
        "bank-locked" if locked else "bank",
        {"balance": INITIAL_BALANCE},
        [(name, depositor(amount)) for name, amount in sorted(deposits.items())],
        ("account",),
    )


def no_lost_update(deposits: Mapping[str, int] = DEPOSITS):
    expected = INITIAL_BALANCE + sum(deposits.values())
    return at_end(
        "no-lost-update",
        lambda end: end.world.vars["balance"] == expected,
        f"the final balance is {expected}",
        explain=lambda end: f"balance is {end.world.vars['balance']}",
    )


def opposite_locks() -> Program:
    """alice takes A then B; bob takes B then A: the textbook deadlock."""

    def locker(first: str, second: str):
        def body():
            yield Lock(first)
            yield Lock(second)
            yield Unlock(second)
            yield Unlock(first)

        return body

    return program("opposite-locks", {}, [("alice", locker("A", "B")), ("bob", locker("B", "A"))], ("A", "B"))


def waiter_on_closed_gate(daemon: bool) -> Program:
    """A worker increments x twice; a watcher waits for the mutex `gate`, which someone
    outside the program holds forever, so the watcher never moves."""

    def worker():
        yield Increment("x")
        yield Increment("x")

    def watcher():
        yield Lock("gate")

    return program(
        "closed-gate", {"x": 0}, [("worker", worker), ("watcher", watcher)],
        held={"gate": "the outside world"}, daemons=("watcher",) if daemon else (),
    )


def spender_and_depositor() -> Program:
    """A spender first asks for too much (a Failure thrown into it, which it catches),
    then withdraws 30; a depositor adds 50 by read-then-write, losing the withdrawal
    when they interleave. Steps of every kind: results, None results and errors."""

    def spender():
        try:
            yield Withdraw("balance", 1000)
        except InsufficientFunds:
            pass
        yield Withdraw("balance", 30)

    def depositor():
        balance = yield Read("balance")
        yield Write("balance", balance + 50)

    return program(
        "spender-and-depositor", {"balance": 40, "withdrawn": 0},
        [("spender", spender), ("depositor", depositor)],
    )


def money_is_conserved():
    return at_end(
        "money-conserved",
        lambda end: end.world.vars["balance"] + end.world.vars["withdrawn"] == 90,
        "balance + withdrawn == 40 + 50",
    )


def audited_bank() -> Program:
    """Three depositors (read then write) and an auditor that reads every account at
    once with a frozenset-valued effect. Used for determinism across processes."""

    accounts = frozenset({"alice", "bob", "carol", "dave"})

    def depositor(account: str, amount: int):
        def body():
            for _ in range(2):
                balance = yield Read(account)
                yield Write(account, balance + amount)

        return body

    def auditor():
        total = yield Audit(accounts)
        yield Write("audit", total)
        total = yield Audit(accounts)
        yield Write("audit", total)

    return program(
        "audited-bank",
        {a: 10 for a in sorted(accounts)} | {"audit": 0},
        [  # the two actors that race on alice's account last, so DFS meets the race soon
            ("bob", depositor("bob", 2)),
            ("auditor", auditor),
            ("alice", depositor("alice", 1)),
            ("carol", depositor("alice", 3)),
        ],
    )


# -- random programs, as data ------------------------------------------------------------------
# Each actor has one local register r (0 at the start) and runs a list of instructions,
# one atomic step each, with an exact footprint:
#   load x           r := x                        Read        reads var/x
#   store x := c     x := c                        Write       writes var/x
#   store x := r+c   x := r + c (what it read)     Write       writes var/x
#   incr x           x := x + 1; r := x            Increment   reads and writes var/x
#   acquire m        take m; disabled while held   Lock        reads and writes mutex/m
#   release m        release m                     Unlock      reads and writes mutex/m
#   if r >= c: A else: B   one step, A or B (data instructions), chosen by the register,
#                          so what an actor does next depends on what it read.
# Mutexes are properly nested per actor and never re-entered, but two actors may take two
# mutexes in opposite orders, so deadlocks are possible.

VARIABLES = ("x", "y")
MUTEXES = ("m", "n")


@attrs.frozen
class Load:
    var: str

    def __str__(self) -> str:
        return f"load {self.var}"


@attrs.frozen
class Store:
    var: str
    const: int
    plus_local: bool  # x := r + const rather than x := const

    def __str__(self) -> str:
        return f"store {self.var} := {'r+' if self.plus_local else ''}{self.const}"


@attrs.frozen
class Incr:
    var: str

    def __str__(self) -> str:
        return f"incr {self.var}"


@attrs.frozen
class Acquire:
    mutex: str

    def __str__(self) -> str:
        return f"acquire {self.mutex}"


@attrs.frozen
class Release:
    mutex: str

    def __str__(self) -> str:
        return f"release {self.mutex}"


@attrs.frozen
class Branch:
    """One step: `then` when r >= threshold, else `otherwise` (both data instructions)."""

    threshold: int
    then: Load | Store | Incr
    otherwise: Load | Store | Incr

    def __str__(self) -> str:
        return f"if r >= {self.threshold}: {self.then} else: {self.otherwise}"


Instruction = Load | Store | Incr | Acquire | Release | Branch


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


def effect_of(instruction: Instruction, r: int) -> tuple[Op, bool]:
    """The effect an instruction yields when the register holds r, and whether its
    result goes into the register."""
    match instruction:
        case Load(v):
            return Read(v), True
        case Store(v, const, plus_local):
            return Write(v, r + const if plus_local else const), False
        case Incr(v):
            return Increment(v), True
        case Acquire(m):
            return Lock(m), False
        case Release(m):
            return Unlock(m), False
        case Branch(threshold, then, otherwise):
            return effect_of(then if r >= threshold else otherwise, r)
    raise TypeError(f"not an instruction: {instruction!r}")


def actor_body(instructions: tuple[Instruction, ...]):
    def body():
        r = 0
        for instruction in instructions:
            effect, keeps_result = effect_of(instruction, r)
            result = yield effect
            if keeps_result:
                r = result
        return r

    return body


def build(spec: ProgramSpec, *, daemons: bool = False) -> Program:
    """The program the spec describes. With `daemons`, every actor is a daemon, so that an
    execution that ends blocked is an ordinary final state rather than a deadlock
    violation that would stop the search."""
    names = [f"a{i}" for i in range(len(spec.actors))]
    return program(
        f"random{spec!r}",
        {v: 0 for v in VARIABLES},
        [(name, actor_body(body)) for name, body in zip(names, spec.actors)],
        MUTEXES,
        daemons=names if daemons else (),
    )


variables = st.sampled_from(VARIABLES)


def data_instructions() -> st.SearchStrategy[Load | Store | Incr]:
    return st.one_of(
        st.builds(Load, variables),
        st.builds(Store, variables, st.integers(0, 2), st.booleans()),
        st.builds(Incr, variables),
    )


def instructions() -> st.SearchStrategy[Load | Store | Incr | Branch]:
    return st.one_of(
        data_instructions(),
        st.builds(Branch, st.integers(0, 2), data_instructions(), data_instructions()),
    )


@st.composite
def actor_instructions(draw, size: int, free: tuple[str, ...] = MUTEXES) -> tuple[Instruction, ...]:
    """Exactly `size` steps; a lock block costs two (acquire, release) plus its inside,
    and never takes a mutex the actor already holds."""
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


# -- brute force, with the kernel alone ---------------------------------------------------------


def multinomial(sizes: Iterable[int]) -> int:
    """(n1 + n2 + ...)! / (n1! n2! ...): the interleavings of actors of these sizes whose
    steps are all always enabled."""
    sizes = tuple(sizes)
    return math.factorial(sum(sizes)) // math.prod(math.factorial(n) for n in sizes)


def merges(chains: Sequence[Sequence[Any]]) -> Iterator[list[Any]]:
    """Every merge of the chains that keeps each chain's order, in lexicographic order of
    the chain each item comes from."""
    total = sum(len(c) for c in chains)
    positions = [0] * len(chains)
    prefix: list[Any] = []

    def extend():
        if len(prefix) == total:
            yield list(prefix)
            return
        for c, chain in enumerate(chains):
            if positions[c] < len(chain):
                prefix.append(chain[positions[c]])
                positions[c] += 1
                yield from extend()
                positions[c] -= 1
                prefix.pop()

    yield from extend()


def execute(program: Program, actors: Iterable[str], footprints: bool = True) -> Execution:
    """`program` run along the given actors (footprints recorded); raises if one of them
    cannot move."""
    execution = Execution(program, None, footprints=footprints)
    for actor in actors:
        execution.step(actor)
    return execution


def successors(program: Program, execution: Execution, prefix: list[str], footprints: bool = True):
    """The state after each runnable actor's step, in program order, as (execution, its
    prefix of actors): the last goes on in `execution` itself, the others replay the
    prefix from the start (generator frames cannot be copied)."""
    runnable = execution.runnable()
    for i, actor in enumerate(runnable):
        child = execution if i == len(runnable) - 1 else execute(program, prefix, footprints)
        child.step(actor)
        yield child, prefix + [actor]


def all_executions(program: Program, visit: Callable[[Execution], None] | None = None) -> Iterator[Execution]:
    """Every interleaving of `program`, run to its end with footprints recorded, as
    finished `Execution` objects, in lexicographic program order: every sequence of
    runnable actors, each replayed from the start, independently of the engine's
    searches. `visit(execution)` is called in every state of the tree (the initial one
    included), before its successors."""

    def extend(execution: Execution, prefix: list[str]):
        if visit is not None:
            visit(execution)
        if not execution.runnable():
            yield execution
            return
        for child, longer in successors(program, execution, prefix):
            yield from extend(child, longer)

    yield from extend(Execution(program, None, footprints=True), [])


def fold_executions(
    program: Program,
    leaf: Callable[[Execution], Any],
    combine: Callable[[Iterator[Any]], Any],
    ends: Callable[[Execution], bool] = lambda execution: False,
) -> Any:
    """A value computed over the tree of every interleaving, with the kernel alone:
    `leaf(execution)` where an execution ends (no actor can move, or `ends` says so),
    else `combine` of the successors' values in program order (an iterator: combine may
    stop early). Memoised on `history_key`: a state's subtree is computed once however
    many paths lead to it, so programs with millions of executions are counted in
    seconds."""
    memo: dict[Hashable, Any] = {}

    def value(execution: Execution, prefix: list[str]) -> Any:
        key = history_key(execution)
        if key not in memo:
            if ends(execution) or not execution.runnable():
                memo[key] = leaf(execution)
            else:
                memo[key] = combine(value(*s) for s in successors(program, execution, prefix, footprints=False))
        return memo[key]

    return value(Execution(program), [])


def distinct_states(program: Program) -> int:
    """How many distinct states (`history_key`) the interleavings of `program` pass
    through, the initial one included, enumerated with the kernel alone."""
    keys: set[Hashable] = set()
    for _ in all_executions(program, visit=lambda execution: keys.add(history_key(execution))):
        pass
    return len(keys)


def count_executions(program: Program) -> int:
    """How many interleavings `program` has (deadlocked ones included), counted with the
    kernel alone."""
    return fold_executions(program, lambda execution: 1, sum)


def shortest_violation(program: Program, violates: Callable[[Step], bool]) -> int | None:
    """The fewest steps after which a step violates (`violates(step)`), by breadth-first
    search over the states of `program` with the kernel alone; None if none does."""
    frontier: list[list[str]] = [[]]
    seen = {history_key(Execution(program))}
    depth = 0
    while frontier:
        depth += 1
        following = []
        for prefix in frontier:
            for child, longer in successors(program, execute(program, prefix, False), prefix, footprints=False):
                if violates(child.steps[-1]):
                    return depth
                key = history_key(child)
                if key not in seen:
                    seen.add(key)
                    following.append(longer)
        frontier = following
    return None


def distinct_transitions(program: Program) -> tuple[int, int]:
    """(distinct states, distinct (state, choice) transitions) of `program`, keyed as
    state caching keys states, by a breadth-first walk that reaches every state by
    running the program from the start along a path of choices (the kernel alone)."""
    interner = HistoryInterner()

    def at(path: tuple[str, ...]) -> Execution:
        execution = Execution(program, interner)
        for name in path:
            execution.step(name)
        return execution

    start = at(())
    seen: dict[Hashable, tuple[str, ...]] = {start.state_key(): ()}
    transitions: set[tuple[Hashable, str]] = set()
    frontier = [()]
    while frontier:
        following = []
        for path in frontier:
            here = at(path)
            key = here.state_key()
            for name in here.runnable():
                transitions.add((key, name))
                child = at(path + (name,)).state_key()
                if child not in seen:
                    seen[child] = path + (name,)
                    following.append(path + (name,))
        frontier = following
    return len(seen), len(transitions)


def history_key(execution: Execution) -> Hashable:
    """A state of the execution: the world's fingerprint and each actor's own steps
    (effect and whole outcome), on which a deterministic actor's local state depends.
    (Finer than the engine's state key, which keeps only the part of a result that an
    effect's `outcome_key` says its actor acts on.)"""
    histories: dict[str, list] = {a.name: [] for a in execution.actors}
    for step in execution.steps:  # a crash is a step of the actor it stops
        histories[owner(step.actor, step.effect)].append((step.effect, _outcome(step)))
    return (execution.world.fingerprint(), tuple(tuple(h) for h in histories.values()))


def _outcome(step: Step) -> Hashable:
    if step.error is not None:
        return ("error", type(step.error).__name__, str(step.error))
    try:
        hash(step.result)
    except TypeError:
        return ("repr", repr(step.result))
    return ("result", step.result)


# -- observing a search --------------------------------------------------------------------------


class Recording:
    """Every run an exploration drove, through the explorer's `on_run` hook:
    `explore(program, strategy, properties, on_run=recording)`. Keeps each run's steps,
    whether it ran to its end (no actor could move), and then the world's fingerprint
    and the final state (`scheduler.traces.final_state`)."""

    def __init__(self) -> None:
        self.runs: list[Run] = []

    def __call__(self, run: Run) -> None:
        self.runs.append(run)

    @property
    def executions(self) -> list[tuple[Step, ...]]:
        return [run.steps for run in self.runs]

    @property
    def final_worlds(self) -> list[Hashable]:
        return [run.world.fingerprint() for run in self.runs if run.finished]

    @property
    def final_vars(self) -> list[dict[str, int]]:
        """The variables of every run that ran to its end."""
        return [dict(run.world.vars) for run in self.runs if run.finished]

    @property
    def final_states(self) -> list[Hashable]:
        return [final_state(run) for run in self.runs if run.finished]

    def completed(self) -> list[tuple[Step, ...]]:
        """The executions that ran to their end (not cut short by the strategy)."""
        return [run.steps for run in self.runs if run.finished]

    def interleavings(self) -> list[tuple[str, ...]]:
        return [actor_sequence(steps) for steps in self.executions]


def actor_sequence(steps: Iterable[Step]) -> tuple[str, ...]:
    return tuple(s.actor for s in steps)


def step_outcome(step: Step) -> tuple[Any, ...]:
    """A step as comparable data, wherever it happened (Failure instances compare by
    identity)."""
    error = None if step.error is None else (type(step.error).__name__, str(step.error))
    return (step.actor, type(step.effect).__name__, step.effect.args(), step.result, error)
