"""A lost update too long to draw: two threads each add 1 to a shared counter ROUNDS
times, a read and a write per round, and the counter ends short. `lost_update_schedule()`
is the run where t1 reads, t2 does all its rounds, and t1 writes its stale value and goes
on: 4 * ROUNDS steps, more than the swimlane draws (reports/figures/swimlane.MAX_STEPS)."""

from __future__ import annotations

from unpack_race.scenarios.base import Built, Expectation, Scenario
from unpack_race.scheduler import at_end
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.schedule import Schedule
from unpack_race.scheduler.shared_memory import Read, Write, pthread_program
from unpack_race.scheduler.verdict import Verdict

ROUNDS = 110


def add_rounds():
    for _ in range(ROUNDS):
        x = yield Read("x")
        yield Write("x", x + 1)


def counter():
    return pthread_program("long-counter", {"x": 0}, [], [("t1", add_rounds), ("t2", add_rounds)])


every_update_counted = at_end("every-update-counted", lambda end: end.world.vars["x"] == 2 * ROUNDS,
                              "the counter counts every update")


class LongCounter(Scenario):
    name, summary, params, variants = "long-counter", "a lost update in a long run", (), ("racy",)

    def build(self, variant, params):
        return Built(counter(), (every_update_counted,), f"2 threads, {ROUNDS} rounds each")

    def expected(self, variant, params):
        return Expectation(Verdict.VIOLATION)


def lost_update_schedule() -> Schedule:
    execution = Execution(counter())
    for actor in ["t1"] + ["t2"] * (2 * ROUNDS) + ["t1"] * (2 * ROUNDS - 1):
        execution.step(actor)
    return Schedule.of(LongCounter.name, "racy", {}, execution.steps)
