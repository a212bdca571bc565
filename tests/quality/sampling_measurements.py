"""Runs-to-first-violation of the sampling strategies, the measurements behind the
budgets in test_sampling_finds_bugs.py. Not a test: run it by hand,

    python tests/quality/sampling_measurements.py [CAP] [SEEDS] [GC-POLICY]
    python tests/quality/sampling_measurements.py every-depth-3-draw
    python tests/quality/sampling_measurements.py every-draw DEPTH GC-POLICY STEPS
    python tests/quality/sampling_measurements.py exact-random-walk GC-POLICY

The first prints, for PCT depth 1 to 6, POS and a random walk on retry-after-cancel /
stat-early-return with default parameters (but the GC policy, `scheduler` unless given),
the runs each seed 0..SEEDS-1 needed to find the first violation (None: not within CAP
runs), their median (a capped seed counts as CAP + 1) and how many seeds hit the cap. The
numbers are deterministic: the same on every machine, for a given model and strategy
code. The second runs PCT depth 3 under every draw it can make under gc-policy any (each
order of the priorities, each ordered pair of change points among 42 counted steps, more
than any run counts) and prints how many violate: none. The third does the same for any
depth and policy, over STEPS counted steps (it also prints the most counted steps any of
its runs had, which STEPS must exceed): under gc-policy scheduler, depth 2 over 60 steps
finds none either. The fourth computes, by dynamic programming over the program's state
graph, the exact probability that one random walk hits the missing parent (docs/sampling.md)."""

from __future__ import annotations

import itertools
import math
import statistics
import sys
from fractions import Fraction

from unpack_race.scenarios.invariants import saw_missing_parent
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.explore import VIOLATION, explore
from unpack_race.scheduler.strategies import RandomWalk
from unpack_race.scheduler.strategies.pct import PCT
from unpack_race.scheduler.state_graph import state_graph
from unpack_race.scheduler.strategies.pos import POS


def runs_to_first_violation(make, seeds: int, policy: str = "scheduler",
                            expected: str = "no-missing-parent") -> list[int | None]:
    built = scenario("retry-after-cancel").build("stat-early-return", {"gc-policy": policy})
    found: list[int | None] = []
    for seed in range(seeds):
        result = explore(built.program, make(seed), built.properties, bounds=built.bounds)
        if result.verdict == VIOLATION:
            assert result.violation.property == expected, result.violation
            found.append(result.executions)
        else:
            found.append(None)
    return found


class FixedDraw(PCT):
    """PCT with the priorities and change points given instead of drawn."""

    def __init__(self, depth: int, priorities: tuple[int, ...], points: tuple[int, ...]) -> None:
        super().__init__(runs=1, seed=0, depth=depth, k=max(points, default=1))
        self.fixed = priorities, points

    def begin_run(self) -> None:
        super().begin_run()  # its own draw, replaced here
        priorities, points = self.fixed
        self._priorities = dict(zip(self._names, priorities))
        self._initial = dict(self._priorities)
        self._change_points = {point: i for i, point in enumerate(points, start=1)}


def every_draw(depth: int = 3, steps: int = 42, policy: str = "any") -> tuple[int, int, int]:
    """(violating runs, runs, the most counted steps of any run) over every draw of PCT
    `depth` on the scenario."""
    built = scenario("retry-after-cancel").build("stat-early-return", {"gc-policy": policy})
    actors = len(built.program.actors)
    violating = total = most = 0
    for priorities in itertools.permutations(range(depth, depth + actors)):
        for points in itertools.permutations(range(1, steps + 1), depth - 1):
            total += 1
            strategy = FixedDraw(depth, priorities, points)
            result = explore(built.program, strategy, built.properties)
            violating += result.verdict == VIOLATION
            most = max(most, strategy._most)
    return violating, total, most


def exact_random_walk(policy: str = "scheduler") -> tuple[Fraction, int]:
    """(the probability that one random walk hits the missing parent, the states): a
    random walk's next step depends only on the state, and a terminating program's state
    graph is acyclic, so P(s) is the mean, over the runnable actors, of 1 where the
    actor's step from s sees the missing parent and of P(next state) elsewhere."""
    built = scenario("retry-after-cancel").build("stat-early-return", {"gc-policy": policy})
    graph = state_graph(built.program)
    hit: dict = {}
    for state in reversed(_topological(graph)):
        out = graph.edges.get(state, {})
        hit[state] = (sum((Fraction(1) if saw_missing_parent(step) else hit[child]) for child, step in out.values())
                      / len(out)) if out else Fraction(0)
    return hit[graph.root], graph.states


def _topological(graph) -> list:
    """The states, each before every state it leads to (the graph is acyclic)."""
    order, seen = [], set()
    stack = [(graph.root, False)]
    while stack:
        state, done = stack.pop()
        if done:
            order.append(state)
            continue
        if state in seen:
            continue
        seen.add(state)
        stack.append((state, True))
        stack.extend((child, False) for child, _ in graph.edges.get(state, {}).values() if child not in seen)
    return order[::-1]


def main(cap: int = 2000, seeds: int = 20, policy: str = "scheduler") -> None:
    makers = {f"PCT d={d}": (lambda d: lambda seed: PCT(runs=cap, seed=seed, depth=d))(d) for d in range(1, 7)}
    makers["POS"] = lambda seed: POS(runs=cap, seed=seed)
    makers["random walk"] = lambda seed: RandomWalk(runs=cap, seed=seed)
    for name, make in makers.items():
        found = runs_to_first_violation(make, seeds, policy)
        median = statistics.median(cap + 1 if n is None else n for n in found)
        capped = sum(n is None for n in found)
        print(f"{name:12} median {median:>7} capped {capped:>2}/{seeds}  {found}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["every-depth-3-draw"]:
        violating, total, most = every_draw(3)
        print(f"PCT depth 3, every draw: {violating} of {total} runs violate (at most {most} counted steps)")
    elif sys.argv[1:2] == ["exact-random-walk"]:
        p, states = exact_random_walk(*sys.argv[2:3])
        print(f"one random walk hits the missing parent with probability {float(p):.3g} (1 run in {float(1 / p):,.0f};"
              f" median runs to the first hit {math.log(0.5) / math.log(1 - float(p)):,.0f}), over {states:,} states")
    elif sys.argv[1:2] == ["every-draw"]:
        depth, policy, steps = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        violating, total, most = every_draw(depth, steps, policy)
        print(f"PCT depth {depth} under gc-policy {policy}, every draw over {steps} counted steps: "
              f"{violating} of {total} runs violate (at most {most} counted steps)")
    else:
        main(*(int(a) for a in sys.argv[1:3]), *sys.argv[3:4])
