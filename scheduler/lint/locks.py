"""Checking the locks the footprints declare (`Footprint.acquires`, `.releases`), on
which DPOR's lock races rest.

DPOR races a step that takes a lock with the previous step that took it, not with the
unlock between them (strategies/dpor.py, `_clock`: Nidhugg's LOCK_SUC). That is sound
only if a declared lock behaves as a mutex: it cannot be taken while it is held, so the
unlock could never have been overtaken, and the step found by walking back from the
unlock is the one that took the lock it gave back. So, over the explored states, with the
locks held at the initial state none and each step adding what it acquires (held by its
actor) and removing what it releases:

- a step never acquires a lock that is held (a "lock" that does not wait is not one);
- a step releases only a lock its own actor holds;
- the locks held, and by whom, are a function of the state: every path to it agrees;
- every lock a step declares is among the resources it writes, so that two steps on one
  lock are dependent.
"""

from __future__ import annotations

from unpack_race.scheduler.effect import EVERYTHING
from unpack_race.scheduler.lint.findings import Collector, Finding
from unpack_race.scheduler.lint.outcomes import footprint_taken, show_footprint
from unpack_race.scheduler.lint.space import StateSpace

ADVICE = ("declare acquires/releases only on a step that takes or gives back a mutex the way pthread_mutex_lock and "
          "pthread_mutex_unlock do (a lock step is disabled while another actor holds it), and write the lock's "
          "resource in both (Footprint.of(..., acquires=...), scheduler/effect.py)")


def check_locks(space: StateSpace, found: Collector) -> int:
    """Check every transition's declared locks; return how many transitions declare one."""
    held: dict[int, dict[str, str]] = {0: {}} if space.states else {}  # state id -> lock -> holder
    checked = 0
    for state in space.states:  # in the order found: a state's first parent comes before it
        now = held.get(state.id)
        if now is None:
            continue
        world = space.worlds[state.world]
        for name, transition in state.transitions.items():
            fp = footprint_taken(space.program, transition.effect, world, transition.actor, transition.ends,
                                 transition.aborts)
            after = now
            if fp.acquires or fp.releases:
                checked += 1
                said = f"{transition.actor}'s step {transition.effect.describe()}"

                def report(problem: str, tag: str, said=said, fp=fp) -> None:
                    found.add(("locks", tag, type(transition.effect).__name__), state.depth, lambda: Finding(
                        "locks", f"{said} {problem}", ADVICE, path=space.path(state.id),
                        details=(f"{said}: {show_footprint(fp)}",
                                 f"locks held here: {_show(now)}")))

                if EVERYTHING not in fp.writes:
                    for lock in sorted((fp.acquires | fp.releases) - fp.writes):
                        report(f"declares lock {lock} but does not write it", "unwritten")
                for lock in sorted(fp.releases):
                    if now.get(lock) != transition.actor:
                        report(f"releases {lock}, which {_holder(now, lock)}", "release")
                for lock in sorted(fp.acquires - fp.releases):
                    if lock in now:
                        report(f"acquires {lock} while {now[lock]} holds it: the step does not wait for the lock",
                               "acquire")
                after = {lock: holder for lock, holder in now.items() if lock not in fp.releases}
                after.update((lock, transition.actor) for lock in fp.acquires - fp.releases)
            if transition.target is None:
                continue
            before = held.setdefault(transition.target, after)
            if before != after:
                target = space.states[transition.target]
                found.add(("locks", "state"), target.depth, lambda target=target, after=after, before=before: Finding(
                    "locks", f"the locks held are not a function of the state: two runs reach one state holding "
                             f"{_show(before)} and {_show(after)}", ADVICE, path=space.path(target.id),
                    details=(f"the second run: {' '.join(s.actor for s in (*space.path(state.id), transition.step))}",)))
    return checked


def _show(held: dict[str, str]) -> str:
    return ", ".join(f"{lock} by {holder}" for lock, holder in sorted(held.items())) or "none"


def _holder(held: dict[str, str], lock: str) -> str:
    return f"{held[lock]} holds" if lock in held else "nobody holds"
