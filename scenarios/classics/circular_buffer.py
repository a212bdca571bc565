"""circular-buffer-bad: a consumer that counts its turns, not its items.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/circular_buffer_bad.c
(from the ESBMC benchmarks), BUFFER_MAX = 10, N = 7.

The bug: t1 inserts i into the buffer in its i-th turn if `send` is set, then passes
the token (`send = FALSE; receive = TRUE`); t2 removes an element in its i-th turn if
`receive` is set and asserts it is i. A turn in which t2 finds nothing to receive
still advances its i, so the next element removed is compared with the wrong turn.

Scheduling points: main's creates of t1, t2 and its joins; seven lock/unlock pairs of
m in each thread. The buffer, its indices and both flags are only touched under m
(main's initLog(10), send = TRUE, receive = FALSE precede the first create), so
insertLogElement and removeLogElement with their asserts run in the lock step.

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

BUFFER_MAX = 10
N = 7
ERROR = -1


def remove_log_element(mem):
    assert_that(mem["first"] >= 0, "first>=0")
    if mem["next"] > 0 and mem["first"] < mem["buffer_size"]:
        mem["first"] = mem["first"] + 1
        return mem[cell("buffer", mem["first"] - 1)]
    return ERROR


def insert_log_element(mem, b):
    if mem["next"] < mem["buffer_size"] and mem["buffer_size"] > 0:
        mem[cell("buffer", mem["next"])] = b
        mem["next"] = (mem["next"] + 1) % mem["buffer_size"]
        assert_that(mem["next"] < mem["buffer_size"], "next<buffer_size")
        return b
    return ERROR


def send_cs(mem, i):
    """if (send) { insertLogElement(i); send=FALSE; receive=TRUE; }"""
    if mem["send"]:
        insert_log_element(mem, i)
        mem["send"] = 0
        mem["receive"] = 1


def receive_cs(mem, i):
    """if (receive) { assert(removeLogElement()==i); receive=FALSE; send=TRUE; }"""
    if mem["receive"]:
        removed = remove_log_element(mem)
        assert_that(removed == i, "removeLogElement()==i", f"t2 removed {removed} in its turn i == {i}")
        mem["receive"] = 0
        mem["send"] = 1


def t1():
    for i in range(N):
        yield Lock("m", then=Section(send_cs, (i,)))
        yield Unlock("m")


def t2():
    for i in range(N):
        yield Lock("m", then=Section(receive_cs, (i,)))
        yield Unlock("m")


def circular_buffer_program():
    def main():
        yield from create_all(("t1", "t2"))
        yield from join_all(("t1", "t2"))

    # initLog(10); send=TRUE; receive=FALSE; precede the first pthread_create
    shared = {"first": 0, "next": 0, "buffer_size": BUFFER_MAX, "send": 1, "receive": 0,
              **array("buffer", BUFFER_MAX)}
    return pthread_program("circular-buffer-bad", shared, ("m",), [("t1", t1), ("t2", t2)], main)


class CircularBufferBad(Classic):
    asserts = True
    name = "circular-buffer-bad"
    summary = "SCTBench: a consumer checks each item against its turn count, not its item count"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/circular_buffer_bad.c"
    bug = ("t2's turn counter i advances even in turns where it receives nothing, so it asserts "
           "the wrong value for the next element it removes")
    expectation = Expectation(Verdict.VIOLATION, "no-assertion-failure", "t2 can take a turn before t1 has sent")

    def program(self):
        return circular_buffer_program()

