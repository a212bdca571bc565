"""SURW, selectively uniform random walk: Zhao, Wolff, Mathur, Roychoudhury, "Selectively
uniform concurrency testing", ASPLOS 2025 (Algorithm 2; Fray's `SURWScheduler` and the
paper's own scheduler, github.com/zhaohuanqdcn/SURW `src/main.zig`, follow it).

URW (urw.py) samples whole interleavings uniformly, but most steps of a program do not
matter for its bugs: only the order of the steps that touch shared resources does. SURW is
uniform over the interleavings of a selected set of *interesting* steps, and schedules the
others by random priorities:

1. The calibration runs (calibration.py: a seeded random walk and one fixed-priority run
   per actor, off the record) record every step's footprint. A resource two or more actors
   touch in them is shared (except the kernel's `~abort`, which every step of a program that
   aborts on a failure reads); at most `resources` of them (a seeded choice, 20 as in Fray)
   are selected. A step is interesting when its footprint, in the state where it is taken,
   reads or writes a selected resource (a step that touches everything touches them all).
   Each actor's weight is the most interesting steps it took in a calibration run.
2. At every choice SURW picks, among the runnable actors not set aside, the one with the
   highest priority; an actor without one draws a uniform random priority first. If its
   pending step is not interesting, it moves and draws a new priority before its next
   uninteresting step (the paper's `rp` scheduler, its configuration `rp-urw`; Fray picks
   uniformly instead). If it is interesting, and no actor is *intended* yet, one is drawn
   among the candidates with probability proportional to their weights; the picked actor
   moves only if it is the intended one (its weight then drops by one, floored at 1, no
   actor is intended any more, and the actors set aside come back); otherwise it is set
   aside and the next is picked. The intended actor is never set aside, so it is picked in
   the end. If it can no longer move (it blocked or finished), the intention is dropped and
   the actors set aside come back.
So each interesting step goes to an actor drawn by the interesting steps it has left, which
is URW's rule applied to the interesting steps alone. Random priorities, unlike a random
walk, let an actor wait many steps in a row (one whose priority is low waits until the
others' new draws fall below it): a cancel that must come late is likelier.

What is and is not guaranteed: the interleavings of the interesting steps are uniform when
the weights are exact and no actor blocks; the uninteresting steps follow random
priorities. Nothing is promised about finding a bug. Seeded with a private
`random.Random(seed)`: the same seed gives the same runs in any process, and nothing global
is touched (the selected resources are drawn from a sorted list).
"""

from __future__ import annotations

from unpack_race.scheduler.choice_point import ChoicePoint
from unpack_race.scheduler.coverage import Facts, Kind
from unpack_race.scheduler.effect import EVERYTHING, Footprint
from unpack_race.scheduler.program import ABORT
from unpack_race.scheduler.strategies.base import ALL_SCOPES, Sampling
from unpack_race.scheduler.strategies.calibration import calibration_runs, most_steps
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
        self._priority: dict[str, float] = {}  # the current run's random priorities

    def start(self, actors, dry_run) -> None:
        runs = calibration_runs(actors, dry_run, self.rng)
        users: dict[str, set[str]] = {}
        for run in runs:
            for step in run.steps:
                for resource in step.footprint.touched:
                    users.setdefault(resource, set()).add(step.actor)
        # ~abort is the kernel's (Program.aborts_on): every step reads it, no program data is in it
        shared = sorted(r for r, who in users.items() if len(who) > 1 and r not in (EVERYTHING, ABORT))
        self.selected = frozenset(self.rng.sample(shared, min(self.resources, len(shared))))
        self.weights = most_steps(runs, actors, lambda step: self._interesting(step.footprint))

    def _interesting(self, footprint: Footprint) -> bool:
        resources = footprint.touched
        return EVERYTHING in resources or not resources.isdisjoint(self.selected)

    def begin_run(self) -> None:
        self._weight = dict(self.weights)
        self._aside, self._intended, self._priority = set(), None, {}

    def choose(self, point: ChoicePoint) -> str:
        if self._intended is not None and self._intended not in point.runnable:  # it blocked or finished
            self._intended = None
            self._aside.clear()
        while True:  # ends: each turn moves an actor or sets one aside, and the intended one is never set aside
            candidates = tuple(a for a in point.runnable if a not in self._aside)
            for actor in candidates:  # drawn in program order, so a seed fixes them
                if actor not in self._priority:
                    self._priority[actor] = self.rng.random()
            picked = max(candidates, key=self._priority.__getitem__)
            if not self._interesting(point.footprint(picked)):
                del self._priority[picked]  # it draws again before its next step
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
            f"up to {self.resources} shared resources (chosen by n + 1 calibration runs) only where the estimates "
            "of those steps are exact and no actor blocks; the other steps follow random priorities",
        )
