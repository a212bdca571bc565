"""The samplers' measured hit rates against the exact probabilities (issue 12, item 3).

For each classic small enough to enumerate, tests/scheduler/exact_hit_rates.py computes,
with the kernel alone and each sampler's law written from its definition, the exact
probability that one run hits the bug (a failed assert, which aborts the program, or a
deadlock). The real strategy then runs N seeded runs (one seed drives all N: a Sampling
strategy draws every run from one `random.Random(seed)`), and the number of runs that hit
the bug must lie in the central interval of Binomial(N, p) that holds the count with
probability 99% *for the whole family of cases*: each case's interval is at confidence
1 - 0.01/C for the C cases here (Bonferroni): the counts below which, and above which, at
most half of the rest lies (exact tails, summed from the pmf; the test that
Clopper-Pearson's interval inverts). A sampler outside it has a bug or a wrong claim.

Why not 99% per case: each case is one deterministic draw (the seed is fixed), and with
55 cases at 99% each, correct samplers fail one of them about four times in ten. With the
seed below, three cases do fall outside their own 99% interval: random walk on
token-ring-bad (314 hits of 2,000, z = +3.69), PCT depth 2 on account-bad (343, z =
-3.19) and URW on circular-buffer-bad (1,774, z = -2.69; over seeds 1-8 a mean square of
0.89). They were looked into, not hidden by another seed: those 2,000 random walks are,
draw for draw, the walks of a loop written with the kernel alone and the same
`random.Random`; over 40 other seeds that loop's z-scores have a mean square of 0.74, and
PCT depth 2's on account-bad over 30 seeds 1.17 (1 for an exact law). docs/classics.md's
table shows every case against its own 99% interval too.

- random walk and URW: over the state graph; URW given the estimates its calibration runs
  made (read from the strategy after its runs: they are the law's input, not its output);
- PCT at depth 1, 2, 3, with `k` given as the true maximum number of counted steps (the
  enumeration's), so that the change points are drawn over a fixed range;
- POS, from its definition (labels drawn i.i.d., the races' labels drawn afresh), as a
  Markov chain over the state and the labels' order with the spent labels between them
  (exact_hit_rates.pos_probability), on the classics where that chain stays small: its
  state grows with every label spent, so reorder-3 takes about two minutes and the
  larger ones longer;
- SURW is left out: its choice keeps an intended actor and a set of actors set aside
  across steps, and picks among the resources the calibration runs found shared, so its law
  is a Markov chain over (state, intention, set-aside actors, weights) that would restate
  surw.py line by line rather than check it from an independent definition.

The controls must fail: a walk biased towards the first runnable actor, measured against
the random walk's exact probability, PCT measured against its exact probability for a
wrong k, and a POS that never redraws a racing step's label (random priorities per step),
measured against POS's, all fall outside the interval.

The default cases keep to the classics whose PCT depth-3 draws number at most about
7,000 (reorder-3, twostage, account, deadlock01, lazy01, token-ring); the larger ones are
marked slow and run with UNPACK_RACE_SLOW=1. `python tests/quality/test_exact_hit_rates.py`
prints the table of docs/classics.md.
"""

from __future__ import annotations

import os
import sys
from fractions import Fraction
from pathlib import Path

import pytest

_SUPPORT = str(Path(__file__).resolve().parents[1] / "scheduler")  # as tests/conftest.py does, for a run by hand
if _SUPPORT not in sys.path:
    sys.path.insert(0, _SUPPORT)

from exact_hit_rates import (  # noqa: E402
    acceptance_interval,
    binomial_cdf,
    clopper_pearson,
    max_counted_steps,
    pct_probability,
    pos_probability,
    random_walk_probability,
    urw_probability,
)
from unpack_race.scenarios.classics import CLASSICS  # noqa: E402
from unpack_race.scheduler.explore import explore  # noqa: E402
from unpack_race.scheduler.kernel import Status  # noqa: E402
from unpack_race.scheduler.run import Run  # noqa: E402
from unpack_race.scheduler.strategies.pct import PCT  # noqa: E402
from unpack_race.scheduler.strategies.pos import POS  # noqa: E402
from unpack_race.scheduler.strategies.random_walk import RandomWalk  # noqa: E402
from unpack_race.scheduler.strategies.urw import URW  # noqa: E402

RUNS = 2000
SEED = 20261201
CONFIDENCE = 0.99
BY_NAME = {s.name: s for s in CLASSICS}
FAST = ["reorder-3-bad", "twostage-bad", "account-bad", "deadlock01-bad", "lazy01-bad", "token-ring-bad"]
SLOW = ["reorder-4-bad", "carter01-bad", "wronglock-3-bad", "circular-buffer-bad"]
SAMPLERS = ["random", "urw", "pct-d1", "pct-d2", "pct-d3"]
POS_FAST = ["twostage-bad", "account-bad", "deadlock01-bad"]  # POS's chain: seconds each
POS_SLOW = ["lazy01-bad", "reorder-3-bad"]  # half a minute and two minutes
slow = pytest.mark.skipif(not os.environ.get("UNPACK_RACE_SLOW"),
                          reason="a slow enumeration (minutes): run with UNPACK_RACE_SLOW=1")


def program(name):
    return BY_NAME[name].build("as-written", {}).program


def hit(run: Run) -> bool:
    """The run hit the bug: a failed assert aborted it, or it deadlocked (the programs'
    actors are run as daemons, so the deadlock is read from how they ended)."""
    return run.aborted or (run.finished and any(e.status is Status.RUNNING for e in run.ends))


def measure(prog, strategy) -> int:
    """How many of the strategy's runs hit the bug (its actors run as daemons and no
    property is checked, so that no run stops the others)."""
    runs: list[Run] = []
    explore(prog.all_daemons(), strategy, (), on_run=runs.append)
    assert len(runs) == strategy.runs and all(r.finished for r in runs)
    return sum(hit(r) for r in runs)


def exact_and_measured(name: str, sampler: str, runs: int = RUNS, seed: int = SEED) -> tuple[Fraction, int]:
    prog = program(name)
    if sampler == "random":
        return random_walk_probability(prog), measure(prog, RandomWalk(runs, seed))
    if sampler == "pos":
        return Fraction(pos_probability(prog)), measure(prog, POS(runs, seed))
    if sampler == "urw":
        strategy = URW(runs, seed)
        hits = measure(prog, strategy)
        return urw_probability(prog, strategy.estimates), hits
    depth = int(sampler.removeprefix("pct-d"))
    k = max_counted_steps(prog)
    return pct_probability(prog, depth, k), measure(prog, PCT(runs, seed, depth=depth, k=k))


CASES = (len(FAST) + len(SLOW)) * len(SAMPLERS) + len(POS_FAST) + len(POS_SLOW)
PER_CASE = 1.0 - (1.0 - CONFIDENCE) / CASES  # Bonferroni: the family of cases at 99%


def check(name: str, sampler: str) -> None:
    exact, hits = exact_and_measured(name, sampler)
    lo, hi = acceptance_interval(float(exact), RUNS, PER_CASE)
    assert lo <= hits <= hi, (
        f"{sampler} on {name}: {hits} of {RUNS} runs hit the bug, outside [{lo}, {hi}], the interval that holds "
        f"the count with probability {PER_CASE:.4%} if the exact probability {float(exact):.5f} is the sampler's "
        f"law: the sampler does not follow its stated law (or its law is stated wrongly)")


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("name", FAST)
def test_the_measured_hit_rate_is_within_the_99_percent_interval_of_the_exact_probability(name, sampler):
    check(name, sampler)


@slow
@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("name", SLOW)
def test_the_same_on_the_larger_classics(name, sampler):
    check(name, sampler)


@pytest.mark.parametrize("name", POS_FAST)
def test_pos_s_measured_hit_rate_is_within_the_interval_of_its_exact_probability(name):
    check(name, "pos")


@slow
@pytest.mark.parametrize("name", POS_SLOW)
def test_the_same_for_pos_on_the_larger_classics(name):
    check(name, "pos")


# -- the enumeration itself, on numbers worked by hand -----------------------------------------


def test_the_exact_random_walk_probability_of_account_bad_agrees_with_a_chain_written_here():
    # account-bad: main creates check_result, deposit, withdraw (in that order; no joins);
    # each thread locks m (its section runs in that step) and unlocks it. deposit's and
    # withdraw's sections set their done flags; check_result's asserts, and fails, iff
    # both flags are set when it locks. A thread is 0 (to lock), 1 (holds m), 2 (done).
    # The walk moves each runnable thread (and main while it has creates left) with equal
    # chance; this chain is written from the C source, not from the model.
    from functools import cache

    @cache
    def p(created: int, progress: tuple[int, int, int], holder: int | None) -> Fraction:
        moves: list[int | None] = [None] if created < 3 else []  # None: main's next create
        moves += [i for i in range(created) if progress[i] == 1 or (progress[i] == 0 and holder is None)]
        if not moves:
            return Fraction(0)  # all done, the assert never failed
        total = Fraction(0)
        for i in moves:
            if i is None:
                total += p(created + 1, progress, holder)
                continue
            after = progress[:i] + (progress[i] + 1,) + progress[i + 1:]
            if progress[i] == 0 and i == 0 and progress[1] >= 1 and progress[2] >= 1:
                total += 1  # check_result's lock sees both flags: the assert fails, the program aborts
            else:
                total += p(created, after, i if progress[i] == 0 else None)
        return total / len(moves)

    assert random_walk_probability(program("account-bad")) == p(0, (0, 0, 0), None)


def test_the_exact_pct_probability_at_depth_1_of_lazy01_counted_by_hand():
    # PCT at depth 1 has no change point: the highest-priority runnable thread always runs.
    # lazy01-bad: main creates thread1, thread2, thread3, then joins them; each thread locks
    # and unlocks one mutex, and thread3's lock step fails the assert iff thread1 and
    # thread2 have both locked before it. A thread with a higher priority than main runs
    # both its steps as soon as it is created (nobody else holds the mutex then); the others
    # run once main blocks on its first join, one at a time in priority order. So thread3
    # locks after both others iff main has the lowest priority (all three run as created,
    # thread3 last: 3! = 6 of the 24 orders) or thread3 has the lowest (it runs after
    # every other: 6 orders): 12 of 24.
    prog = program("lazy01-bad")
    assert pct_probability(prog, 1, max_counted_steps(prog)) == Fraction(12, 24)


def test_the_interval_is_the_binomial_s_central_99_percent():
    # For p = 1/2 and n = 100, the binomial's 0.5% tails lie below 37 and above 63:
    # P(X <= 36) is about 0.0033 and P(X <= 37) about 0.0060 (the normal approximation with
    # continuity correction gives Phi(-2.7) = 0.0035 and Phi(-2.5) = 0.0062).
    assert acceptance_interval(0.5, 100) == (37, 63)
    assert acceptance_interval(0.0, 2000) == (0, 0)
    # Clopper-Pearson for 0 successes has the closed form upper = 1 - (alpha/2)^(1/n)
    assert clopper_pearson(0, 100) == (0.0, pytest.approx(1 - 0.005 ** (1 / 100), abs=1e-9))
    # and in general its bounds put the observed count at exactly alpha/2 in each tail
    lower, upper = clopper_pearson(50, 100)
    assert 1 - binomial_cdf(49, 100, lower) == pytest.approx(0.005, abs=1e-9)
    assert binomial_cdf(50, 100, upper) == pytest.approx(0.005, abs=1e-9)
    assert lower < 0.5 < upper


# -- the controls: the same test must fail for a sampler that breaks its law ------------------


class BiasedWalk(RandomWalk):
    """A broken random walk: half the time it takes the first runnable actor."""

    def choose(self, point):
        if self.rng.random() < 0.5:
            return point.runnable[0]
        return super().choose(point)


def test_control_a_walk_biased_to_the_first_actor_falls_outside_the_random_walk_s_interval():
    prog = program("reorder-3-bad")
    exact = random_walk_probability(prog)
    hits = measure(prog, BiasedWalk(RUNS, SEED))
    lo, hi = acceptance_interval(float(exact), RUNS, PER_CASE)
    assert not lo <= hits <= hi, f"the biased walk hit {hits} of {RUNS}, inside [{lo}, {hi}]"


def test_control_pct_measured_against_its_probability_for_a_wrong_k_falls_outside():
    prog = program("reorder-3-bad")
    k = max_counted_steps(prog)
    wrong = pct_probability(prog, 3, 2 * k)  # change points drawn over twice the steps
    hits = measure(prog, PCT(RUNS, SEED, depth=3, k=k))
    lo, hi = acceptance_interval(float(wrong), RUNS, PER_CASE)
    assert not lo <= hits <= hi, f"PCT hit {hits} of {RUNS}, inside [{lo}, {hi}] of the wrong k's probability"


class POSWithoutRedraws(POS):
    """A broken POS: a step's label is drawn once, when it becomes an actor's next step,
    and never again when a step it races with is taken."""

    def _after_last_step(self, point):
        self._redrawn = ()
        if self._last is not None:
            del self._priorities[self._last[0]]
            self._last = None


def test_control_pos_without_its_redraws_falls_outside_pos_s_interval():
    prog = program("account-bad")
    exact = pos_probability(prog)
    hits = measure(prog, POSWithoutRedraws(RUNS, SEED))
    lo, hi = acceptance_interval(exact, RUNS, PER_CASE)
    assert not lo <= hits <= hi, f"POS without redraws hit {hits} of {RUNS}, inside [{lo}, {hi}]"


def test_pos_s_exact_probability_on_opposite_locks_worked_by_hand():
    # alice locks A then B, bob B then A (toy_world.opposite_locks); a lock step writes its
    # mutex, so the two first steps do not race. Say alice's label a0 beats bob's b0 (half
    # the draws; bob's case is the mirror). Alice takes A and draws a1 for her lock of B;
    # bob keeps b0, which lost to a0. It deadlocks iff bob moves next, b0 > a1:
    # P(a1 < b0 | b0 < a0) = P(a1 < b0 < a0) / P(b0 < a0) = (1/6) / (1/2) = 1/3. A law that
    # forgot the spent label a0 (b0 and a1 as two fresh draws) would say 1/2, the walk's.
    from toy_world import opposite_locks

    assert pos_probability(opposite_locks()) == pytest.approx(1 / 3, abs=1e-12)
    assert random_walk_probability(opposite_locks()) == Fraction(1, 2)


# -- the table of docs/classics.md ------------------------------------------------------------


def table(names) -> str:
    lines = ["| classic | sampler | exact p | measured (hits / runs) | 99% interval of hits | within | "
             f"{PER_CASE:.2%} (family 99%) interval | within | Clopper-Pearson 99% of the rate |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in names:
        for sampler in SAMPLERS + (["pos"] if name in POS_FAST + POS_SLOW else []):
            exact, hits = exact_and_measured(name, sampler)
            lo, hi = acceptance_interval(float(exact), RUNS, CONFIDENCE)
            flo, fhi = acceptance_interval(float(exact), RUNS, PER_CASE)
            cp_lo, cp_hi = clopper_pearson(hits, RUNS, CONFIDENCE)
            shown = ("floating point" if sampler == "pos" else
                     f"{exact.numerator}/{exact.denominator}" if exact.denominator < 10**6 else "a fraction")
            lines.append(f"| {name} | {sampler} | {float(exact):.4f} ({shown}) | {hits / RUNS:.4f} ({hits} / {RUNS}) "
                         f"| [{lo}, {hi}] | {'yes' if lo <= hits <= hi else 'NO'} | [{flo}, {fhi}] "
                         f"| {'yes' if flo <= hits <= fhi else 'NO'} | [{cp_lo:.4f}, {cp_hi:.4f}] |")
            print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/quality/test_exact_hit_rates.py [slow]
    print(table(FAST + (SLOW if sys.argv[1:] == ["slow"] else [])))


def test_the_random_walk_hits_issue_3787_as_often_as_its_exact_probability_says():
    # retry-after-cancel / stat-early-return under the GC scheduler: the exact probability
    # that one walk sees the missing parent, by dynamic programming over the state graph
    # (sampling_measurements.exact_random_walk: a transition's own step decides; 1 in 968,
    # docs/sampling.md), against 10,000 seeded walks that run on past it (no property
    # stops them), a hit being a walk with a step that saw the missing parent.
    from sampling_measurements import exact_random_walk
    from unpack_race.scenarios.invariants import saw_missing_parent
    from unpack_race.scenarios.registry import scenario

    exact, _ = exact_random_walk("scheduler")
    prog = scenario("retry-after-cancel").build("stat-early-return", {}).program
    runs: list[Run] = []
    explore(prog.all_daemons(), RandomWalk(10_000, SEED), (), on_run=runs.append)
    hits = sum(any(saw_missing_parent(step) for step in run.steps) for run in runs)
    lo, hi = acceptance_interval(float(exact), len(runs), CONFIDENCE)
    assert len(runs) == 10_000 and lo <= hits <= hi, (hits, lo, hi, float(exact))


def test_urw_hits_issue_3787_as_often_as_its_exact_probability_says():
    # The same for URW, whose law (exact_hit_rates.urw_probability) is folded over the
    # state graph given the estimates its calibration made (read from the strategy after
    # its runs: the law's input). About 5% of URW's runs see the missing parent, fifty
    # times the random walk's share (docs/sampling.md).
    from unpack_race.scenarios.invariants import saw_missing_parent
    from unpack_race.scenarios.registry import scenario

    prog = scenario("retry-after-cancel").build("stat-early-return", {}).program.all_daemons()
    runs: list[Run] = []
    strategy = URW(2_000, SEED)
    explore(prog, strategy, (), on_run=runs.append)
    hits = sum(any(saw_missing_parent(step) for step in run.steps) for run in runs)
    exact = urw_probability(prog, strategy.estimates,
                            lambda execution: any(saw_missing_parent(step) for step in execution.steps))
    lo, hi = acceptance_interval(float(exact), len(runs), CONFIDENCE)
    assert len(runs) == 2_000 and lo <= hits <= hi, (hits, lo, hi, float(exact), strategy.estimates)
