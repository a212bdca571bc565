"""SURW, selectively uniform random walk: Zhao, Wolff, Mathur, Roychoudhury, "Selectively
uniform concurrency testing", ASPLOS 2025 (Algorithm 2; Fray's `SURWScheduler` follows it).

URW (urw.py) samples whole interleavings uniformly, but most steps of a program do not
matter for its bugs: only the order of the steps that touch shared resources does. SURW is
uniform over the interleavings of a selected set of *interesting* steps, and lets the
others run as a plain random walk schedules them:

1. One calibration run (a seeded random walk, off the record) records every step's
   footprint. A resource two or more actors touch is shared (except the kernel's `~abort`,
   which every step of a program that aborts on a failure reads); at most `resources` of them
   (a seeded choice, 20 as in Fray) are selected. A step is interesting when its footprint,
   in the state where it is taken, reads or writes a selected resource (a step that touches
   everything touches them all). Each actor's weight is the number of its interesting steps
   in the calibration run.
2. At every choice SURW picks a runnable actor uniformly among those not set aside. If its
   pending step is not interesting, it moves. If it is, and no actor is *intended* yet, one
   is drawn among the candidates with probability proportional to their weights; the picked
   actor moves only if it is the intended one (its weight then drops by one, floored at 1,
   no actor is intended any more, and the actors set aside come back); otherwise it is set
   aside and another is picked. The intended actor is never set aside, so it is picked in
   the end. If it can no longer move (it blocked or finished), the intention is dropped
   and the actors set aside come back.
So each interesting step goes to an actor drawn by the interesting steps it has left, which
is URW's rule applied to the interesting steps alone.

What is and is not guaranteed: the interleavings of the interesting steps are uniform when
the weights are exact and no actor blocks; the uninteresting steps follow a random walk.
Nothing is promised about finding a bug. Seeded with a private `random.Random(seed)`: the
same seed gives the same runs in any process, and nothing global is touched (the selected
resources are drawn from a sorted list).
"""

from __future__ import annotations

from collections import Counter

from unpack_race.scheduler.choice_point import ChoicePoint
from unpack_race.scheduler.coverage import Facts, Kind
from unpack_race.scheduler.effect import EVERYTHING, Footprint
from unpack_race.scheduler.program import ABORT
from unpack_race.scheduler.strategies.base import ALL_SCOPES, Sampling
from unpack_race.scheduler.strategies.urw import CITATION, weighted_choice

#: how many shared resources SURW selects at most (Fray's `take(20)`)
RESOURCES = 20


class SURW(Sampling):
    """Sampled: `runs` runs of SURW, seeded with `seed`, uniform over the interleavings of
    the steps that touch up to `resources` shared resources (see the module docstring)."""

    def __init__(self, runs: int, seed: int, resources: int = RESOURCES) -> None:
        super().__init__(runs, seed, "SURW")
        if resources < 1:
            raise ValueError(f"SURW selects at least one shared resource, got resources={resources}")
        self.resources = resources
        self.selected: frozenset[str] = frozenset()
        self.weights: dict[str, int] = {}
        self._weight: dict[str, int] = {}
        self._aside: set[str] = set()
        self._intended: str | None = None

    def start(self, actors, dry_run) -> None:
        walk = dry_run(lambda point: point.runnable[self.rng.randrange(len(point.runnable))])
        users: dict[str, set[str]] = {}
        for step in walk.steps:
            for resource in step.footprint.touched:
                users.setdefault(resource, set()).add(step.actor)
        # ~abort is the kernel's (Program.aborts_on): every step reads it, no program data is in it
        shared = sorted(r for r, who in users.items() if len(who) > 1 and r not in (EVERYTHING, ABORT))
        self.selected = frozenset(self.rng.sample(shared, min(self.resources, len(shared))))
        counted = Counter(step.actor for step in walk.steps if self._interesting(step.footprint))
        self.weights = {actor: counted.get(actor, 0) for actor in actors}

    def _interesting(self, footprint: Footprint) -> bool:
        resources = footprint.touched
        return EVERYTHING in resources or not resources.isdisjoint(self.selected)

    def begin_run(self) -> None:
        self._weight = dict(self.weights)
        self._aside, self._intended = set(), None

    def choose(self, point: ChoicePoint) -> str:
        if self._intended is not None and self._intended not in point.runnable:  # it blocked or finished
            self._intended = None
            self._aside.clear()
        while True:  # ends: each turn moves an actor or sets one aside, and the intended one is never set aside
            candidates = tuple(a for a in point.runnable if a not in self._aside)
            picked = candidates[self.rng.randrange(len(candidates))]
            if not self._interesting(point.footprint(picked)):
                return picked
            if self._weight.get(picked, 0) < 1:  # more interesting steps than the estimate: keep it drawable
                self._weight[picked] = 1
            if self._intended is None:
                weight = {a: self._weight.get(a, 0) for a in candidates}
                drawable = tuple(a for a in candidates if weight[a] > 0)
                self._intended = weighted_choice(self.rng, drawable, weight)
            if picked == self._intended:
                self._weight[picked] = max(self._weight[picked] - 1, 1)
                self._aside.clear()
                self._intended = None
                return picked
            self._aside.add(picked)

    def facts(self) -> Facts:
        return Facts(
            Kind.SAMPLED, "SURW (selectively uniform random walk)", CITATION,
            {"runs": self.runs, "seed": self.seed, "resources": self.resources}, ALL_SCOPES,
            "no guarantee of finding a bug: each run is uniform over the interleavings of the steps that touch "
            f"up to {self.resources} shared resources (chosen by one calibration run) only where the estimates of "
            "those steps are exact and no actor blocks; the other steps follow a random walk",
        )
