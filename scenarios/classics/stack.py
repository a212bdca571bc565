"""stack-bad: a pop guarded by a flag that stays up after the stack empties.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/stack_bad.c (from the ESBMC
benchmarks), SIZE = 10.

The bug: t1 pushes 0..9, setting `flag = TRUE` after each push; t2 pops ten times,
each time only `if (flag)`, and asserts the pop did not underflow. The flag is never
lowered, so once t2 has popped everything pushed so far, its next pop underflows
(`assert(pop(arr)!=UNDERFLOW)` fails).

Scheduling points: main's creates of t1, t2 and its joins; ten lock/unlock pairs of m
in each thread. Every access to top, arr and flag is under m, so push (with its assert
and `flag = TRUE`) and pop (with its assert) run in the lock step.

Expected verdict: violation of no-assertion-failure.
"""

from __future__ import annotations

from unpack_race.scenarios.base import Expectation
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import (
    Lock,
    Section,
    Unlock,
    array,
    cell,
    assert_that,
    create_all,
    join_all,
    pthread_program,
)
from unpack_race.scheduler.verdict import Verdict

SIZE = 10
OVERFLOW = -1
UNDERFLOW = -2


def push(mem, x):
    if mem["top"] == SIZE:
        return OVERFLOW  # printf("stack overflow\n")
    mem[cell("arr", mem["top"])] = x  # stack[get_top()] = x;
    mem["top"] = mem["top"] + 1  # inc_top();
    return 0


def pop(mem):
    if mem["top"] == 0:  # get_top()==0
        return UNDERFLOW  # printf("stack underflow\n")
    mem["top"] = mem["top"] - 1  # dec_top();
    return mem[cell("arr", mem["top"])]  # return stack[get_top()];


def push_cs(mem, i):
    """assert(push(arr,i)!=OVERFLOW); flag=TRUE;"""
    assert_that(push(mem, i) != OVERFLOW, "push(arr,i)!=OVERFLOW", "the stack is full")
    mem["flag"] = 1


def pop_cs(mem):
    """if (flag) assert(pop(arr)!=UNDERFLOW);"""
    if mem["flag"]:
        assert_that(pop(mem) != UNDERFLOW, "pop(arr)!=UNDERFLOW", "flag is TRUE but the stack is empty")


def t1():
    for i in range(SIZE):
        yield Lock("m", then=Section(push_cs, (i,)))
        yield Unlock("m")


def t2():
    for _ in range(SIZE):
        yield Lock("m", then=Section(pop_cs))
        yield Unlock("m")


def stack_program():
    def main():
        yield from create_all(("t1", "t2"))
        yield from join_all(("t1", "t2"))

    shared = {"top": 0, "flag": 0, **array("arr", SIZE)}
    return pthread_program("stack-bad", shared, ("m",), [("t1", t1), ("t2", t2)], main)


class StackBad(Classic):
    asserts = True
    name = "stack-bad"
    summary = "SCTBench: pops guarded by a flag that never goes down underflow"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/stack_bad.c"
    bug = ("t2 pops whenever flag is set, and flag stays set after the stack empties: "
           "a pop that overtakes the pushes underflows")
    expectation = Expectation(Verdict.VIOLATION, "no-assertion-failure", "t2 can pop more than t1 has pushed")

    def program(self):
        return stack_program()

