"""account-bad: a checker asserts the wrong arithmetic on a bank balance.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/account_bad.c (from the
ESBMC benchmarks).

The bug: main sets x = 1, y = 2, z = 4, balance = x; deposit adds y and withdraw takes
z, each under m; check_result asserts `balance == (x - y) - z` once both are done. The
balance is then x + y - z = -1, not -5: any schedule where check_result locks m after
both others fails the assert.

Scheduling points: main's pthread_create of check_result, deposit, withdraw (in the
source's order; main never joins and returns; its return does not end the other
threads here, see docs/classics.md); each thread's lock and unlock of m. Every access
to balance and the done flags is under m, and x, y, z are set by main before the first
create, so all of them run in the lock step, as does check_result's assert.

Expected verdict: violation of no-assertion-failure.
"""

from __future__ import annotations

from unpack_race.scenarios.base import Expectation
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import (
    Lock,
    Section,
    Unlock,
    assert_that,
    create_all,
    pthread_program,
)
from unpack_race.scheduler.verdict import Verdict


def deposit_cs(mem):
    """balance = balance + y; deposit_done = 1;"""
    mem["balance"] = mem["balance"] + mem["y"]
    mem["deposit_done"] = 1


def withdraw_cs(mem):
    """balance = balance - z; withdraw_done = 1;"""
    mem["balance"] = mem["balance"] - mem["z"]
    mem["withdraw_done"] = 1


def check_result_cs(mem):
    """if (deposit_done && withdraw_done) assert(balance == (x - y) - z);"""
    if mem["deposit_done"] and mem["withdraw_done"]:
        balance, expected = mem["balance"], (mem["x"] - mem["y"]) - mem["z"]
        assert_that(balance == expected, "balance == (x - y) - z", f"balance is {balance}, (x - y) - z is {expected}")


def critical(section):
    def body():
        yield Lock("m", then=Section(section))
        yield Unlock("m")

    return body


def account_program():
    order = ("check_result", "deposit", "withdraw")  # pthread_create(&t3 ...), (&t1 ...), (&t2 ...)

    def main():
        yield from create_all(order)

    threads = [
        ("check_result", critical(check_result_cs)),
        ("deposit", critical(deposit_cs)),
        ("withdraw", critical(withdraw_cs)),
    ]
    # main's x = 1; y = 2; z = 4; balance = x; precede its first pthread_create
    shared = {"x": 1, "y": 2, "z": 4, "balance": 1, "deposit_done": 0, "withdraw_done": 0}
    return pthread_program("account-bad", shared, ("m",), threads, main)


class AccountBad(Classic):
    asserts = True
    name = "account-bad"
    summary = "SCTBench: a checker asserts the wrong balance after a deposit and a withdrawal"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/account_bad.c"
    bug = ("the assert expects x - y - z but a deposit of y and a withdrawal of z leave x + y - z; "
           "it fails whenever check_result runs after both")
    expectation = Expectation(Verdict.VIOLATION, "no-assertion-failure", "check_result can run after deposit and withdraw")

    def program(self):
        return account_program()

