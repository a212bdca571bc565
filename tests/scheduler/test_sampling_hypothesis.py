"""The Hypothesis-driven search: every choice is a Hypothesis draw, so a failing
execution is shrunk and the counterexample reported is the short one; seeded, with no
example database, so the same seed gives the same examples."""

from __future__ import annotations

import functools
import re

import pytest
from toy_world import (
    Increment,
    Read,
    TalliedWrite,
    bank_account,
    no_lost_update,
    program,
    var,
)
from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import PASS, VACUOUS, VIOLATION, explore
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import always, on_state, on_step, sometimes
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies.hypothesis_search import (
    MAX_ACTORS,
    hypothesis_search,
)
from unpack_race.scheduler.strategies.replay import Replay
from unpack_race.scheduler.verdict import Verdict

NOISE_ACTORS, NOISE_STEPS = 4, 8


def racers_among_noise(noise_first: bool = True) -> Program:
    """Two racers each read the counter and write back what they read plus one; four
    noise actors each increment their own variable eight times. The lost update needs one
    specific interleaving of the racers' two steps (both reads before the second write);
    the 32 noise steps are irrelevant. The noise actors come first in program order, the
    order towards which choices shrink, so shrinking cannot get there by accident."""

    def racer():
        value = yield Read("counter")
        yield TalliedWrite("counter", value + 1, "writes")

    def noise(var: str):
        def body():
            for _ in range(NOISE_STEPS):
                yield Increment(var)

        return body

    noisy = [(f"n{i}", noise(f"x{i}")) for i in range(NOISE_ACTORS)]
    racers = [("t0", racer), ("t1", racer)]
    return program(
        "racers-among-noise",
        {"counter": 0, "writes": 0} | {f"x{i}": 0 for i in range(NOISE_ACTORS)},
        noisy + racers if noise_first else racers + noisy,
    )


def writes_are_counted():
    """In every state, the counter equals the number of writes so far, which the racers'
    writes tally in "writes" (a lost update shows at the second write)."""

    def holds(world) -> bool:
        return world.vars["counter"] == world.vars["writes"]

    return always("no-lost-update", on_state(holds, reads={var("counter"), var("writes")}), "every write counts")


def recorder(into: list[list[str]]):
    """An always-true property that records every execution's actor choices."""

    def holds(step) -> bool:
        if step.index == 0:
            into.append([])
        into[-1].append(step.actor)
        return True

    return always("recorder", on_step(holds))


# -- shrinking ----------------------------------------------------------------------------------

SEEDS = range(6)


@functools.cache
def search_racers(seed: int):
    return hypothesis_search(racers_among_noise(), [writes_are_counted()], runs=200, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_hypothesis_search_reports_a_shrunk_counterexample_that_still_violates(seed):
    program = racers_among_noise()
    result = search_racers(seed)
    assert result.verdict == VIOLATION
    assert result.violation.property == "no-lost-update"
    steps = result.counterexample
    # The lost update takes four steps (read, read, write, write) and shows at the fourth;
    # no shorter execution violates. Six leaves room for two stray noise steps, far below
    # the 36 steps of a whole execution, of which random choices run most before the race.
    assert 4 <= len(steps) <= 6
    assert sorted(s.actor for s in steps if s.actor in ("t0", "t1")) == ["t0", "t0", "t1", "t1"]
    # The claim says that shrinking took place, from how long to how long.
    first = int(re.search(r"the first violating example ran (\d+) steps", claim(result)).group(1))
    if first > len(steps):
        assert f"Hypothesis shrank it to {len(steps)} steps in " in claim(result)
    else:
        assert first == len(steps)
        assert f"the shrunk example runs {len(steps)} steps too" in claim(result)
    assert claim(result).startswith("sampled, not exhaustive: ")
    assert f"runs of Hypothesis-drawn choices, seed {seed}, bounds (none): violation of no-lost-update" in claim(result)
    examples = int(re.search(r"(\d+) runs of Hypothesis-drawn choices", claim(result)).group(1))
    shrinks = int(re.search(r"in (\d+) further executions", claim(result)).group(1))
    assert result.executions == examples + shrinks  # every execution counts, shrinking too
    # Replaying the reported steps violates the property again, at the last step.
    replay = Replay(tuple(ScheduledStep.of(s) for s in steps))
    again = explore(program, replay, [writes_are_counted()])
    assert again.verdict == VIOLATION
    assert again.violation.step_index == len(steps) - 1


def test_shrinking_does_shorten_the_first_violating_example():
    # Over a few seeds, the first violating example is long (random choices run many noise
    # steps first) and the reported one is short: shrinking, not luck, made it short.
    firsts = []
    for seed in SEEDS:
        result = search_racers(seed)
        firsts.append(int(re.search(r"ran (\d+) steps", claim(result)).group(1)))
        assert len(result.counterexample) <= 6
    assert max(firsts) > 12


def test_an_at_end_property_is_checked_too_and_its_counterexample_is_the_whole_short_execution():
    result = hypothesis_search(bank_account(locked=False), [no_lost_update()], runs=100, seed=1)
    assert result.verdict == VIOLATION
    assert result.violation.property == "no-lost-update"
    assert len(result.counterexample) == 4


# -- other verdicts -----------------------------------------------------------------------------


def test_a_correct_program_passes_and_the_claim_says_it_was_sampled():
    result = hypothesis_search(bank_account(locked=True), [no_lost_update()], runs=30, seed=2, bounds="toy")
    assert result.verdict == PASS
    match = re.fullmatch(r"sampled, not exhaustive: (\d+) runs of Hypothesis-drawn choices, seed 2, bounds toy: "
                         r"0 violations; no guarantee: runs whose choices Hypothesis draws; a counterexample it finds is shrunk", claim(result))
    assert match, claim(result)
    assert 1 <= int(match.group(1)) == result.executions <= 30
    assert result.counterexample == ()


def test_a_sometimes_property_never_reached_makes_the_search_vacuous():
    never = sometimes("counter-reaches-ten", on_state(lambda world: world.vars["balance"] == 10))
    result = hypothesis_search(bank_account(locked=True), [never], runs=10, seed=0)
    assert result.verdict == VACUOUS
    assert result.unreached == ("counter-reaches-ten",)
    assert claim(result).startswith("vacuous: never reached counter-reaches-ten; sampled, not exhaustive")


def test_ctrl_c_during_the_hypothesis_search_stops_it_with_what_was_covered_so_far():
    calls = []

    def interrupt_on_the_tenth_check(world) -> bool:
        calls.append(1)
        if len(calls) == 10:  # in the second example (four steps and the initial state each)
            raise KeyboardInterrupt
        return True

    with pytest.raises(Interrupted) as stopped:
        hypothesis_search(bank_account(locked=True), [always("ctrl-c", on_state(interrupt_on_the_tenth_check))],
                          runs=50, seed=0)
    assert len(calls) == 10  # nothing ran after the interrupt
    result = stopped.value.partial
    assert result.verdict == Verdict.INTERRUPTED
    assert result.executions == 1
    assert claim(result) == (
        "interrupted before a verdict; covered so far: sampled, not exhaustive: 1 runs of Hypothesis-drawn "
        "choices, seed 0, bounds (none): 0 violations; no guarantee: runs whose choices Hypothesis draws; a counterexample it finds is shrunk"
    )


def test_the_hypothesis_search_needs_at_least_one_example():
    with pytest.raises(ValueError, match="at least one example"):
        hypothesis_search(bank_account(locked=True), [], runs=0, seed=0)


def test_the_hypothesis_search_refuses_programs_with_more_actors_than_its_draws_keep_deterministic():
    crowd = bank_account(locked=False, deposits={f"d{i:03}": 1 for i in range(MAX_ACTORS + 1)})
    with pytest.raises(ValueError, match=f"101 actors; the Hypothesis search handles at most {MAX_ACTORS}"):
        hypothesis_search(crowd, [], runs=1, seed=0)


# -- determinism --------------------------------------------------------------------------------


def choices(seed: int) -> tuple[list[list[str]], str]:
    recorded: list[list[str]] = []
    result = hypothesis_search(racers_among_noise(), [recorder(recorded), writes_are_counted()], runs=50, seed=seed)
    return recorded, claim(result)


def test_the_same_hypothesis_seed_gives_the_same_sequence_of_actor_choices():
    first = choices(seed=7)
    assert len(first[0]) > 10
    assert choices(seed=7) == first


def test_different_hypothesis_seeds_give_different_actor_choices():
    assert choices(seed=1)[0] != choices(seed=2)[0]
