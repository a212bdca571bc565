"""Exact probabilities that one run of a sampler hits a program's bug, by enumeration.

Test support for tests/quality/test_exact_hit_rates.py (issue 12, item 3). Everything
here drives the kernel (`Execution`) alone and states each sampler's law from its
definition, without the strategies' code, so that a measured hit rate can be checked
against it:

- random walk: at every choice each runnable actor moves with probability 1/|runnable|;
  p = the sum over the paths that reach the bug of the product of those factors;
- URW (Zhao et al., ASPLOS 2025, Algorithm 1), given the calibration's estimates e_a: an
  actor that has moved m_a times weighs max(e_a - m_a, 1), and moves with its weight over
  the runnable actors' total;
- PCT (Burckhardt et al., ASPLOS 2010) at depth d over a fixed k, as
  scheduler/strategies/pct.py documents its draw: the n actors get the priorities
  d..d+n-1 in a uniformly random order (n! orders), and min(d-1, k) distinct change
  points are drawn as an ordered sample of 1..k (k!/(k-d+1)! tuples), the i-th carrying
  priority i; a step is counted when more than one actor can move, and at counted step
  k_i the highest runnable actor drops to priority i before the highest runnable one
  moves. p = the share of the draws whose (deterministic) schedule hits the bug;
- POS (Yuan, Yang, Gu, CAV 2018): i.i.d. uniform labels on the next steps, the highest
  runnable moves, a racing next step's label is drawn afresh; folded over (state, the
  labels' order with the spent ones between them), in floating point (`pos_probability`).

"Hits the bug" is what the classics' properties report: a failed assert (the program
aborts at that step, `Execution.aborted`) or a deadlock (no actor can move and one is
left with work). The random walk and URW are folded over the state graph (the
probability of hitting the bug from a state depends only on the state, and for URW on
each actor's number of moves, which its history fixes), one kernel replay per state.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable
from fractions import Fraction

from unpack_race.scheduler.kernel import Execution, HistoryInterner
from unpack_race.scheduler.program import Program


def hit(execution: Execution) -> bool:
    """The execution, at a final state, hit the bug: a failed assert or a deadlock."""
    return execution.aborted is not None or execution.deadlocked()


class _Tree:
    """The execution tree, walked with the kernel alone: each state is reached by
    replaying its path from the start, and keyed by the world's fingerprint and each
    actor's interned history."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.interner = HistoryInterner()

    def at(self, path: tuple[str, ...]) -> Execution:
        execution = Execution(self.program, self.interner)
        for actor in path:
            execution.step(actor)
        return execution


def fold(program: Program, weights: Callable[[Execution], dict[str, Fraction]],
         hits: Callable[[Execution], bool] = hit) -> Fraction:
    """The probability of hitting the bug (`hits`, at a final state) for a walk that, at
    every state, moves each runnable actor with the probability `weights(execution)` gives
    it (they sum to 1), summed over the tree once per state (memoised on the state key)."""
    tree = _Tree(program)
    memo: dict[Hashable, Fraction] = {}

    def value(path: tuple[str, ...]) -> Fraction:
        execution = tree.at(path)
        key = execution.state_key()
        if key in memo:
            execution.close()
            return memo[key]
        runnable = execution.runnable()
        chances = weights(execution) if runnable else {}
        ended = Fraction(int(hits(execution))) if not runnable else None
        execution.close()
        if ended is not None:
            found = ended
        else:
            assert sum(chances.values()) == 1 and set(chances) == set(runnable)
            found = sum((chances[a] * value(path + (a,)) for a in runnable), Fraction(0))
        memo[key] = found
        return found

    return value(())


def random_walk_probability(program: Program) -> Fraction:
    """One random walk's exact chance of hitting the bug."""
    return fold(program, lambda e: {a: Fraction(1, len(e.runnable())) for a in e.runnable()})


def urw_probability(program: Program, estimates: dict[str, int],
                    hits: Callable[[Execution], bool] = hit) -> Fraction:
    """One URW run's exact chance of hitting the bug (`hits`, at a final state), given the
    calibration's estimates (actor -> its most steps in a calibration run)."""

    def weights(execution: Execution) -> dict[str, Fraction]:
        moved = {a: 0 for a in execution.runnable()}
        for step in execution.steps:
            if step.actor in moved:
                moved[step.actor] += 1
        weight = {a: max(estimates.get(a, 0) - moved[a], 1) for a in moved}
        total = sum(weight.values())
        return {a: Fraction(w, total) for a, w in weight.items()}

    return fold(program, weights, hits)


def max_counted_steps(program: Program) -> int:
    """The most steps with more than one runnable actor in any execution (PCT's k when
    it is exact), over the whole tree, memoised on the state key."""
    tree = _Tree(program)
    memo: dict[Hashable, int] = {}

    def most(path: tuple[str, ...]) -> int:
        execution = tree.at(path)
        key = execution.state_key()
        runnable = execution.runnable()
        execution.close()
        if key not in memo:
            counted = int(len(runnable) > 1)
            memo[key] = max((counted + most(path + (a,)) for a in runnable), default=0)
        return memo[key]

    return most(())


def pct_schedule_hits(program: Program, priorities: dict[str, int], change_points: dict[int, int]) -> bool:
    """Run PCT's deterministic schedule for one draw: the highest-priority runnable actor
    moves; at counted step c (a step where more than one actor can move) with a change
    point, that actor first drops to the change point's priority."""
    execution = Execution(program)
    priority = dict(priorities)
    counted = 0
    while True:
        runnable = execution.runnable()
        if not runnable:
            found = hit(execution)
            execution.close()
            return found
        if len(runnable) > 1:
            counted += 1
            if counted in change_points:
                priority[max(runnable, key=priority.__getitem__)] = change_points[counted]
        execution.step(max(runnable, key=priority.__getitem__))


def pct_draws(actors: tuple[str, ...], depth: int, k: int):
    """Every draw of PCT at `depth` over `k` counted steps, each equally likely:
    (priorities, change points)."""
    values = range(depth, depth + len(actors))
    for order in itertools.permutations(values):
        for points in itertools.permutations(range(1, k + 1), min(depth - 1, k)):
            yield dict(zip(actors, order)), {point: i for i, point in enumerate(points, start=1)}


def pct_draw_count(n: int, depth: int, k: int) -> int:
    return math.factorial(n) * math.perm(k, min(depth - 1, k))


def pct_probability(program: Program, depth: int, k: int) -> Fraction:
    """One PCT run's exact chance of hitting the bug at `depth` with change points drawn
    over 1..k: the share of the equally likely draws whose schedule hits it."""
    actors = program.actor_names()
    hits = sum(pct_schedule_hits(program, p, c) for p, c in pct_draws(actors, depth, k))
    return Fraction(hits, pct_draw_count(len(actors), depth, k))


class _Graph:
    """The state graph, built lazily with the kernel alone: for each state (keyed by the
    world's fingerprint and every actor's interned history) its runnable actors, its
    unfinished actors with their next steps' footprints there (the runnable ones among
    them), and whether it hits the bug if it is final; and for each move the state it
    leads to. Each state is replayed once,
    from the first path that reached it."""

    def __init__(self, program: Program, hits: Callable[[Execution], bool] = hit) -> None:
        self.tree, self.hits = _Tree(program), hits
        self.nodes: dict[Hashable, tuple] = {}
        self.moves: dict[tuple[Hashable, str], Hashable] = {}
        self.start = self._add(())

    def _add(self, path: tuple[str, ...]) -> Hashable:
        execution = self.tree.at(path)
        key = execution.state_key()
        if key not in self.nodes:
            runnable = execution.runnable()
            unfinished = execution.unfinished_choices()
            self.nodes[key] = (runnable, unfinished, {a: execution.footprint(a) for a in unfinished},
                               None if runnable else self.hits(execution), path)
        execution.close()
        return key

    def move(self, key: Hashable, actor: str) -> Hashable:
        """The state that `actor`'s step from state `key` leads to."""
        found = self.moves.get((key, actor))
        if found is None:
            found = self.moves[(key, actor)] = self._add(self.nodes[key][4] + (actor,))
        return found


def _kill(labels: tuple, actor: str) -> tuple:
    """The labels with `actor`'s live label spent: labels is (c0, a1, c1, ..., am, cm),
    the live labels a1 < ... < am from the lowest, c_i the spent ones in each gap."""
    i = labels.index(actor)
    return labels[:i - 1] + (labels[i - 1] + 1 + labels[i + 1],) + labels[i + 2:]


def _draws(labels: tuple, actors: list[str]) -> tuple[dict[tuple, int], int]:
    """Where fresh labels of `actors`, drawn one after another, can fall among the labels
    drawn so far (live and spent): each outcome with the number of equally likely
    sequences of places that give it, and the number of those sequences. The rank of a
    new i.i.d. continuous draw among the j labels before it is uniform over j + 1 places,
    whatever their order."""
    outcomes, sequences = {labels: 1}, 1
    total = sum(labels[0::2]) + len(labels) // 2
    for actor in actors:
        following: dict[tuple, int] = {}
        for before, count in outcomes.items():
            for g in range(0, len(before), 2):
                for below in range(before[g] + 1):
                    after = before[:g] + (below, actor, before[g] - below) + before[g + 1:]
                    following[after] = following.get(after, 0) + count
        outcomes, sequences, total = following, sequences * (total + 1), total + 1
    return outcomes, sequences


def pos_probability(program: Program, hits: Callable[[Execution], bool] = hit) -> float:
    """One POS run's chance of hitting the bug (Yuan, Yang, Gu, CAV 2018), from POS's
    definition: every unfinished actor's next step holds a label drawn i.i.d. uniform from
    [0, 1); the runnable actor with the highest label moves; its label is spent, and so is
    that of every other unfinished actor whose next step (in the state reached) races
    with the step taken (`Footprint.conflicts_with`, the step's footprint as it was
    taken), which draws a fresh one; so does every unfinished actor that has none.

    Only the labels' relative order decides, and the rank of each new draw among all the
    labels drawn before it, spent ones included, is uniform. So the law is a Markov chain
    over (state, the live labels' order with the number of spent labels in each gap
    between them), folded over it and memoised on both. The sum is in floating point (the
    Fractions took minutes; its rounding error is far below 1e-9)."""
    graph = _Graph(program, hits)
    memo: dict[tuple[Hashable, tuple], float] = {}

    def chance(key: Hashable, labels: tuple) -> float:
        runnable, _, _, ended, _ = graph.nodes[key]
        if ended is not None:
            return float(ended)
        found = memo.get((key, labels))
        if found is None:
            live = labels[1::2]
            chosen = max(runnable, key=live.index)
            taken = graph.nodes[key][2][chosen]
            child = graph.move(key, chosen)
            _, unfinished, pending, _, _ = graph.nodes[child]
            after = _kill(labels, chosen)
            fresh = []
            for actor in unfinished:
                if actor != chosen and actor in live and pending[actor].conflicts_with(taken):
                    after = _kill(after, actor)
                    fresh.append(actor)
            fresh += [a for a in unfinished if a not in live or a == chosen]
            outcomes, sequences = _draws(after, fresh)
            found = memo[(key, labels)] = sum(count * chance(child, o) for o, count in outcomes.items()) / sequences
        return found

    outcomes, sequences = _draws((0,), list(graph.nodes[graph.start][1]))
    return sum(count * chance(graph.start, o) for o, count in outcomes.items()) / sequences


# -- a binomial confidence interval ------------------------------------------------------------


def binomial_cdf(successes: int, n: int, p: float) -> float:
    """P(X <= successes) for X ~ Binomial(n, p), as a plain sum of the terms (computed
    through logarithms, so that n in the thousands does not overflow)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if successes >= n else 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(0, successes + 1):
        total += math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
    return min(total, 1.0)


def acceptance_interval(p: float, n: int, confidence: float = 0.99) -> tuple[int, int]:
    """The central interval [lo, hi] of hit counts that n runs with hit probability p
    land in with probability at least `confidence`: P(X < lo) <= alpha/2 and
    P(X > hi) <= alpha/2 with alpha = 1 - confidence, lo as large and hi as small as
    that allows (exact binomial tails: the test that Clopper-Pearson's interval inverts).
    The terms are summed from the pmf, computed through logarithms."""
    alpha = (1.0 - confidence) / 2.0
    if p <= 0.0:
        return 0, 0
    if p >= 1.0:
        return n, n
    log_p, log_q = math.log(p), math.log1p(-p)
    pmf = [math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
           for i in range(n + 1)]
    lo, below = 0, pmf[0]
    while lo < n and below <= alpha:  # P(X <= lo) <= alpha: lo is still in the lower tail
        lo += 1
        below += pmf[lo]
    hi, above = n, pmf[n]
    while hi > 0 and above <= alpha:  # P(X >= hi) <= alpha: hi is still in the upper tail
        hi -= 1
        above += pmf[hi]
    return lo, hi


def clopper_pearson(successes: int, n: int, confidence: float = 0.99) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval for a binomial proportion: the p whose tails
    put `successes` at alpha/2, found by bisection on the plain binomial sum (no scipy)."""
    alpha = (1.0 - confidence) / 2.0

    def bisect(f, lo: float, hi: float) -> float:
        for _ in range(60):
            mid = (lo + hi) / 2.0
            if f(mid):
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2.0

    lower = 0.0 if successes == 0 else bisect(lambda p: 1.0 - binomial_cdf(successes - 1, n, p) < alpha, 0.0, 1.0)
    upper = 1.0 if successes == n else bisect(lambda p: binomial_cdf(successes, n, p) > alpha, 0.0, 1.0)
    return lower, upper
