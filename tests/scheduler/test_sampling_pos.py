"""POS, partial order sampling (Yuan, Yang, Gu, CAV 2018): seeded and deterministic; the
runnable actor whose next step has the highest priority moves; after a step, only the
other actors' next steps that race with it (conflicting footprints) get new priorities."""

from __future__ import annotations

import attrs
import pytest
from toy_world import (
    Increment,
    Lock,
    Read,
    Recording,
    Unlock,
    Write,
    bank_account,
    no_lost_update,
    program,
    racy_counter,
)
from unpack_race.reports.claims import claim
from unpack_race.scheduler.choice_point import ChoicePoint
from unpack_race.scheduler.explore import PASS, VIOLATION, explore
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.strategies.pos import POS


def interleavings(program, runs: int, seed: int) -> list[tuple[str, ...]]:
    recording = Recording()
    explore(program, POS(runs=runs, seed=seed), on_run=recording)
    return recording.interleavings()


def test_the_same_pos_seed_gives_the_same_sequence_of_actor_choices():
    first = interleavings(racy_counter(3, rounds=2), runs=30, seed=42)
    assert len(first) == 30
    assert interleavings(racy_counter(3, rounds=2), runs=30, seed=42) == first


def test_different_pos_seeds_give_different_actor_choices():
    assert interleavings(racy_counter(3, rounds=2), 30, seed=1) != interleavings(racy_counter(3, rounds=2), 30, seed=2)


def test_pos_touches_no_global_random_state():
    import random

    random.seed(99)
    expected = random.random()
    random.seed(99)
    interleavings(racy_counter(3), runs=5, seed=3)
    assert random.random() == expected


# -- redraws ------------------------------------------------------------------------------------


def mixed_program() -> Program:
    """Steps on x, on y and on a lock, so that some steps race and others commute; the
    lock also blocks an actor now and then."""

    def writer():
        yield Write("x", 1)
        yield Lock("m")
        yield Write("y", 1)
        yield Unlock("m")

    def x_reader():
        yield Read("x")
        yield Read("x")

    def y_user():
        yield Lock("m")
        value = yield Read("y")
        yield Write("y", value + 1)
        yield Unlock("m")

    def loner():
        for _ in range(3):
            yield Increment("z")

    return program(
        "mixed", {"x": 0, "y": 0, "z": 0},
        [("writer", writer), ("x_reader", x_reader), ("y_user", y_user), ("loner", loner)], ("m",),
    )


@attrs.frozen
class Redraw:
    moved: str
    conflicting: frozenset[str]
    kept: frozenset[str]


def drive(seed: int) -> list[Redraw]:
    """Run one POS execution by hand, checking at every choice that the highest-priority
    runnable actor moves and that exactly the racing next steps got new priorities."""
    program = mixed_program()
    pos = POS(runs=1, seed=seed)
    assert pos.next_execution() is not None
    execution = Execution(program)
    seen: list[Redraw] = []
    before: dict[str, float] | None = None
    last: tuple[str, object] | None = None
    while runnable := execution.runnable():
        choice = pos.choose(ChoicePoint(execution))
        after = pos.priorities()
        assert choice == max(runnable, key=after.__getitem__)
        if last is not None:
            moved, footprint = last
            others = [a for a in execution.actors if a.name != moved and a.pending is not None]
            conflicting = frozenset(
                a.name for a in others if a.pending.footprint(execution.world).conflicts_with(footprint))
            kept = frozenset(a.name for a in others) - conflicting
            for name in conflicting:
                assert after[name] != before[name], f"{name} races with {moved}'s step but kept its priority"
            for name in kept:
                assert after[name] == before[name], f"{name} does not race with {moved}'s step but was redrawn"
            assert set(pos.redrawn()) == conflicting
            if execution.pending(moved) is not None:
                assert after[moved] != before[moved]  # its next step is a new event
            seen.append(Redraw(moved, conflicting, kept))
        last = (choice, execution.pending(choice).footprint(execution.world))
        before = after
        execution.step(choice)
    return seen


@pytest.mark.parametrize("seed", range(8))
def test_pos_redraws_the_priorities_of_racing_next_steps_only(seed):
    seen = drive(seed)
    assert any(r.conflicting for r in seen) and any(r.kept for r in seen)


def test_a_step_on_its_own_variable_redraws_nobody_and_a_write_redraws_its_readers():
    redraws = [r for seed in range(8) for r in drive(seed)]
    assert all(not r.conflicting for r in redraws if r.moved == "loner")
    writer_first = [r for r in redraws if r.moved == "writer" and "x_reader" in r.conflicting]
    assert writer_first  # Write x, with the reader's Read x pending, happened in some run


def test_pos_finds_the_lost_update_and_passes_the_locked_account():
    found = explore(bank_account(locked=False), POS(runs=50, seed=0), [no_lost_update()])
    assert found.verdict == VIOLATION
    assert "runs of POS, seed 0" in claim(found)
    locked = explore(bank_account(locked=True), POS(runs=40, seed=3), [no_lost_update()], bounds="toy")
    assert locked.verdict == PASS
    assert claim(locked) == "sampled, not exhaustive: 40 runs of POS, seed 3, bounds toy: 0 violations; no guarantee: runs sample partial orders more evenly than a random walk does, but none is promised"


def test_pos_needs_at_least_one_run():
    with pytest.raises(ValueError, match="at least one run"):
        POS(runs=0, seed=1)
