"""The runs a uniform sampler (urw.py, surw.py) makes off the record before its first run,
to estimate how many steps each actor takes.

URW and SURW weigh each actor by the steps it has left (Zhao et al., ASPLOS 2025), so they
need each actor's length before they start. The paper and Fray count the steps of one
calibration run. One random walk is a poor estimate when an actor's length depends on the
schedule. In retry-after-cancel a random walk moves the kubelet half the time while
pull-1 runs, so it cancels pull-1 within its first few steps: pull-1 counts 3 to 5 of its
22 steps. URW then weighs the kubelet (2) against pull-1 (3), so the cancel comes early
again. That is why URW found the race in 2 of 20 seeds, fewer than the plain random walk.

The calibration here is n + 1 runs: one seeded random walk, and for each actor a run with
fixed priorities in which that actor comes first (the program order, rotated to start at
it). The highest runnable actor always moves. So each actor runs at least once as far as
it can before the others get in its way, and an actor that another can cut short (pull-1,
cancelled) is measured whole. An actor's estimate is the most steps it took in any of these
runs (`most_steps`). A rotation that never ends, because its first actor spins waiting for
one that never gets to move, raises no error: it is left out
(the step limit ends it with a `ProtocolError`, caught here).

Nothing here is random except the first run, which draws from the sampler's own
`random.Random`, so the same seed gives the same calibration in any process.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence

from unpack_race.scheduler.kernel import ProtocolError, Step
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.strategies.base import DryRun


def calibration_runs(actors: Sequence[str], dry_run: DryRun, rng: random.Random) -> tuple[Run, ...]:
    """The calibration runs: a random walk drawn from `rng`, then one fixed-priority run per
    actor, each with that actor first (see the module docstring)."""
    runs = [dry_run(lambda point: point.runnable[rng.randrange(len(point.runnable))])]
    for first in range(len(actors)):
        rank = {actor: place for place, actor in enumerate((*actors[first:], *actors[:first]))}
        try:
            runs.append(dry_run(lambda point, rank=rank: min(point.runnable, key=lambda a: rank.get(a, len(rank)))))
        except ProtocolError:  # the first actor loops while it holds the highest priority
            continue
    return tuple(runs)


def most_steps(runs: Sequence[Run], actors: Sequence[str],
               counted: Callable[[Step], bool] = lambda step: True) -> dict[str, int]:
    """Actor -> the most `counted` steps it took in any of `runs` (program order)."""
    tallies = [Counter(step.actor for step in run.steps if counted(step)) for run in runs]
    return {actor: max((tally[actor] for tally in tallies), default=0) for actor in actors}
