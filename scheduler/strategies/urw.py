"""URW, uniform random walk: Zhao, Wolff, Mathur, Roychoudhury, "Selectively uniform
concurrency testing", ASPLOS 2025 (Algorithm 1; shuttle's `UrwRandomScheduler` follows it).

A plain random walk picks every runnable actor with the same probability, so an
interleaving in which a short actor's step comes late among a long actor's many steps is
exponentially unlikely. URW weighs each runnable actor by the number of steps it has
left: if actor i has r_i steps to go, it moves next with probability r_i / (r_1 + ... + r_n).
Multiplying these along a run gives every interleaving the same probability,
r_1! ... r_n! / (r_1 + ... + r_n)!, one over the number of interleavings: the walk is
uniform.

The steps each actor has left are not known before running. The paper and shuttle count
them in one calibration run; here the calibration is a seeded random walk and one fixed-priority
run per actor, off the record (their properties are not checked and they are not counted
as runs), and an actor's estimate is the most steps it took in any of them
(calibration.py says why: one random walk cuts a cancellable actor short). Every run starts
from those counts and takes one off the actor that moves, never going below 1 (an actor
that runs longer than its estimate keeps weight 1, as shuttle does).

What is and is not guaranteed: the uniformity holds when the estimates are exact for every
run and every actor stays runnable until it finishes. An actor that blocks (on a lock, a
join, an event) leaves the choice to the others, and an actor whose steps depend on the
schedule makes the estimate wrong; then the walk is only close to uniform, and nothing is
promised about finding a bug. Seeded with a private `random.Random(seed)`: the same seed
gives the same runs in any process, and nothing global is touched.
"""

from __future__ import annotations

from unpack_race.scheduler.choice_point import ChoicePoint
from unpack_race.scheduler.coverage import Facts, Kind
from unpack_race.scheduler.strategies.base import ALL_SCOPES, Sampling
from unpack_race.scheduler.strategies.calibration import calibration_runs, most_steps

CITATION = "Zhao, Wolff, Mathur, Roychoudhury, Selectively uniform concurrency testing, ASPLOS 2025"


def weighted_choice(rng, actors: tuple[str, ...], weight: dict[str, int]) -> str:
    """One of `actors`, each with probability proportional to its weight (every weight is
    at least 1), drawn with one `rng.randrange`, so a seed fixes the draw."""
    total = sum(weight[a] for a in actors)
    drawn = rng.randrange(total)
    for actor in actors:
        drawn -= weight[actor]
        if drawn < 0:
            return actor
    raise AssertionError("unreachable: the draw is below the total weight")


class URW(Sampling):
    """Sampled: `runs` uniform random walks, seeded with `seed`, each actor weighed by the
    steps it has left as the calibration runs estimate them (see the module docstring)."""

    def __init__(self, runs: int, seed: int) -> None:
        super().__init__(runs, seed, "URW")
        self.estimates: dict[str, int] = {}  # actor -> the most steps it took in a calibration run
        self._left: dict[str, int] = {}

    def start(self, actors, dry_run) -> None:
        self.estimates = most_steps(calibration_runs(actors, dry_run, self.rng), actors)  # program order

    def begin_run(self) -> None:
        self._left = {actor: max(count, 1) for actor, count in self.estimates.items()}

    def choose(self, point: ChoicePoint) -> str:
        for actor in point.runnable:
            self._left.setdefault(actor, 1)
        chosen = weighted_choice(self.rng, point.runnable, self._left)
        self._left[chosen] = max(self._left[chosen] - 1, 1)
        return chosen

    def facts(self) -> Facts:
        return Facts(
            Kind.SAMPLED, "URW (uniform random walk)", CITATION, {"runs": self.runs, "seed": self.seed}, ALL_SCOPES,
            "no guarantee of finding a bug: each run is a walk that weighs every runnable actor by its steps left "
            "(estimated by n + 1 calibration runs); it samples interleavings uniformly only where the estimates are "
            "exact and no actor blocks",
        )
