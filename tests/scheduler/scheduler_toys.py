"""Generic toy programs for the scheduler tests: counters, a bank account, locks.

Nothing here knows about containerd; the point is that the engine runs any model. The
module has a distinctive name because tests/ has no __init__.py files: pytest puts
this directory on sys.path and the tests import it as `from scheduler_toys import ...`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import attrs

from unpack_race.scheduler.effect import Effect, Failure, Footprint
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.properties import at_end
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.traces import final_state

# -- the world -----------------------------------------------------------------------


@attrs.define
class Shared:
    """Integer variables and named locks (lock -> holder)."""

    vars: dict[str, int] = attrs.field(factory=dict)
    locks: dict[str, str] = attrs.field(factory=dict)

    def fingerprint(self) -> Hashable:
        return (tuple(sorted(self.vars.items())), tuple(sorted(self.locks.items())))


# -- effects -------------------------------------------------------------------------


class InsufficientFunds(Failure):
    """A withdrawal larger than the balance."""


@attrs.frozen
class Read(Effect):
    var: str

    def apply(self, world: Shared) -> int:
        return world.vars[self.var]

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={self.var})


@attrs.frozen
class Write(Effect):
    var: str
    value: int

    def apply(self, world: Shared) -> None:
        world.vars[self.var] = self.value

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={self.var})


@attrs.frozen
class TalliedWrite(Effect):
    """A write that also counts itself in the variable `tally` (a ghost variable that
    lets a property of the state say how many writes there were)."""

    var: str
    value: int
    tally: str

    def apply(self, world: Shared) -> None:
        world.vars[self.var] = self.value
        world.vars[self.tally] += 1

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={self.var, self.tally})


def tallied_racy_counter(actors: int = 2) -> Program:
    """The racy counter whose writes count themselves in the ghost variable "writes"."""

    def body():
        value = yield Read("counter")
        yield TalliedWrite("counter", value + 1, "writes")

    return Program(
        "tallied-racy-counter",
        lambda: Shared({"counter": 0, "writes": 0}),
        tuple(_actor(f"t{i}", body) for i in range(actors)),
    )


@attrs.frozen
class Increment(Effect):
    """An atomic read-modify-write; returns the new value."""

    var: str

    def apply(self, world: Shared) -> int:
        world.vars[self.var] += 1
        return world.vars[self.var]

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={self.var}, writes={self.var})


@attrs.frozen
class Withdraw(Effect):
    """Atomically take `amount` from `var` into the "withdrawn" tally, or fail."""

    var: str
    amount: int

    def apply(self, world: Shared) -> int:
        balance = world.vars[self.var]
        if balance < self.amount:
            raise InsufficientFunds(f"{self.var} holds {balance}, cannot withdraw {self.amount}")
        world.vars[self.var] = balance - self.amount
        world.vars["withdrawn"] += self.amount
        return world.vars[self.var]

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={self.var}, writes={self.var, "withdrawn"})


@attrs.frozen
class Acquire(Effect):
    """Take a lock; disabled while someone holds it."""

    lock: str
    owner: str

    def enabled(self, world: Shared) -> bool:
        return self.lock not in world.locks

    def blocked_on(self, world: Shared) -> str:
        return f"lock {self.lock} is held by {world.locks[self.lock]}"

    def apply(self, world: Shared) -> None:
        world.locks[self.lock] = self.owner

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={f"lock:{self.lock}"})


@attrs.frozen
class Release(Effect):
    lock: str
    owner: str

    def apply(self, world: Shared) -> None:
        holder = world.locks.pop(self.lock)
        assert holder == self.owner, f"{self.owner} released {self.lock} held by {holder}"

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={f"lock:{self.lock}"})


@attrs.frozen
class Audit(Effect):
    """Read several variables at once. Its argument is a frozenset of strings, whose
    iteration order depends on PYTHONHASHSEED: schedules and traces must not."""

    accounts: frozenset[str]

    def apply(self, world: Shared) -> int:
        return sum(world.vars[a] for a in self.accounts)

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads=self.accounts)


# -- programs ------------------------------------------------------------------------


def _actor(name: str, body, daemon: bool = False) -> ActorSpec:
    return ActorSpec(name, body, daemon)


def independent_program(sizes: Iterable[int]) -> Program:
    """Actor a<i> increments its own variable x<i> sizes[i] times: nothing conflicts and
    every effect is always enabled."""
    sizes = tuple(sizes)

    def body(var: str, n: int):
        def run():
            for _ in range(n):
                yield Increment(var)

        return run

    return Program(
        f"independent{sizes}",
        lambda: Shared({f"x{i}": 0 for i in range(len(sizes))}),
        tuple(_actor(f"a{i}", body(f"x{i}", n)) for i, n in enumerate(sizes)),
    )


def racy_counter(actors: int = 2, rounds: int = 1) -> Program:
    """Each actor reads the counter, then writes back what it read plus one."""

    def body():
        for _ in range(rounds):
            value = yield Read("counter")
            yield Write("counter", value + 1)

    return Program(
        "racy-counter",
        lambda: Shared({"counter": 0}),
        tuple(_actor(f"t{i}", body) for i in range(actors)),
    )


def locked_counter(actors: int = 2, rounds: int = 1) -> Program:
    """The racy counter with the read-modify-write under a lock."""

    def make(name: str):
        def body():
            for _ in range(rounds):
                yield Acquire("m", name)
                value = yield Read("counter")
                yield Write("counter", value + 1)
                yield Release("m", name)

        return body

    return Program(
        "locked-counter",
        lambda: Shared({"counter": 0}),
        tuple(_actor(f"t{i}", make(f"t{i}")) for i in range(actors)),
    )


INITIAL_BALANCE = 100
DEPOSITS = {"alice": 10, "bob": 20}


def bank_account(locked: bool, deposits: dict[str, int] = DEPOSITS) -> Program:
    """Depositors read the balance and write back balance + amount (a lost update waits
    to happen), optionally under the account's lock."""

    def make(name: str, amount: int):
        def body():
            if locked:
                yield Acquire("account", name)
            balance = yield Read("balance")
            yield Write("balance", balance + amount)
            if locked:
                yield Release("account", name)

        return body

    return Program(
        "bank-locked" if locked else "bank",
        lambda: Shared({"balance": INITIAL_BALANCE}),
        tuple(_actor(name, make(name, amount)) for name, amount in sorted(deposits.items())),
    )


def no_lost_update(deposits: dict[str, int] = DEPOSITS):
    expected = INITIAL_BALANCE + sum(deposits.values())
    return at_end(
        "no-lost-update",
        lambda end: end.world.vars["balance"] == expected,
        f"the final balance is {expected}",
        explain=lambda end: f"balance is {end.world.vars['balance']}",
    )


def opposite_locks() -> Program:
    """alice takes A then B; bob takes B then A: the textbook deadlock."""

    def make(name: str, first: str, second: str):
        def body():
            yield Acquire(first, name)
            yield Acquire(second, name)
            yield Release(second, name)
            yield Release(first, name)

        return body

    return Program(
        "opposite-locks",
        Shared,
        (_actor("alice", make("alice", "A", "B")), _actor("bob", make("bob", "B", "A"))),
    )


def waiter_on_closed_gate(daemon: bool) -> Program:
    """A worker increments twice; a watcher waits for a lock that someone outside the
    program holds forever, so the watcher never moves."""

    def worker():
        yield Increment("x")
        yield Increment("x")

    def watcher():
        yield Acquire("gate", "watcher")

    return Program(
        "closed-gate",
        lambda: Shared({"x": 0}, {"gate": "the outside world"}),
        (_actor("worker", worker), _actor("watcher", watcher, daemon=daemon)),
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

    return Program(
        "spender-and-depositor",
        lambda: Shared({"balance": 40, "withdrawn": 0}),
        (_actor("spender", spender), _actor("depositor", depositor)),
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

    return Program(
        "audited-bank",
        lambda: Shared({a: 10 for a in sorted(accounts)} | {"audit": 0}),
        (  # the two actors that race on alice's account last, so DFS meets the race soon
            _actor("bob", depositor("bob", 2)),
            _actor("auditor", auditor),
            _actor("alice", depositor("alice", 1)),
            _actor("carol", depositor("alice", 3)),
        ),
    )


# -- observing a search ---------------------------------------------------------------


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
    """A step as comparable data (Failure instances compare by identity)."""
    error = None if step.error is None else (type(step.error).__name__, str(step.error))
    return (step.index, step.actor, type(step.effect).__name__, step.effect.args(), step.result, error)
