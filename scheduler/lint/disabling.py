"""Checking, on the explored states themselves, that a step which changes whether another
choice can be taken is dependent on it (independent steps neither enable nor disable each
other: Godefroid, LNCS 1032, 1996).

`commutation` checks it on copies of the world, which is all an effect's `enabled()` looks
at. Some of these changes are the kernel's, not the world's, and show only between two
states of the space: a crash stops its actor, whose pending step disappears, and starts
the actors that restart it, whose first step appears (scheduler.crashes); a step of a
crashable actor changes whether its crash can be taken. So, for every step c out of an
explored state S into S', and every other choice d (an actor, or a crash):

- if d has a step pending in S, and in S' it has none, or it is enabled in one state and
  not in the other, then c's and d's footprints in S must conflict;
- if d has no step pending in S and one in S' (an actor that c started), then c's
  footprint in S must conflict with d's in S'.

For the program's own effects this agrees with `commutation` (the world decides); for
crashes and restarts it checks the footprints the kernel adds (`Program.footprint`).
"""

from __future__ import annotations

from unpack_race.scheduler.lint.findings import Collector, Finding
from unpack_race.scheduler.lint.outcomes import footprint_taken, show_footprint
from unpack_race.scheduler.lint.space import Pending, State, StateSpace, Transition


def check_disabling(space: StateSpace, found: Collector) -> int:
    """Check every transition against every other choice; return how many pairs."""
    checked = 0
    for state in space.states:
        if not state.expanded:
            continue
        for name, transition in state.transitions.items():
            if transition.target is None:
                continue
            after = {p.actor: p for p in space.states[transition.target].pending}
            for pending in state.pending:
                if pending.actor == name:
                    continue
                later = after.get(pending.actor)
                if pending.effect is None:
                    if later is not None and later.effect is not None:
                        checked += 1
                        _check(space, state, transition, later, True, found)
                    continue
                gone = later is None or later.effect is None
                if gone or later.enabled != pending.enabled:
                    checked += 1
                    _check(space, state, transition, pending, False, found, gone)
    return checked


def _ends(state: State, actor: str) -> bool:
    transition = state.transitions.get(actor)
    return transition is not None and transition.ends


def _aborts(state: State, actor: str) -> bool:
    transition = state.transitions.get(actor)
    return transition is not None and transition.aborts


def _check(space: StateSpace, state: State, transition: Transition, other: Pending, started: bool,
           found: Collector, gone: bool = False) -> None:
    world = space.worlds[state.world]
    mover = footprint_taken(space.program, transition.effect, world, transition.actor, transition.ends,
                            transition.aborts)
    target = space.states[transition.target]
    where = target if started else state
    theirs = footprint_taken(space.program, other.effect, space.worlds[where.world], other.actor,
                             _ends(where, other.actor), _aborts(where, other.actor))
    if mover.conflicts_with(theirs):
        return
    if started:
        change = "starts"
    elif gone:
        change = "stops"
    else:
        change = "enables" if not other.enabled else "disables"
    said = f"{transition.actor}'s step {transition.effect.describe()}"
    their = f"{other.actor}'s step {other.effect.describe()}"
    found.add(("enabling", change, type(transition.effect).__name__, type(other.effect).__name__), state.depth,
              lambda: Finding(
                  "enabling", f"{said} {change} {their}, though their footprints do not conflict",
                  "a reduction (DPOR) takes steps whose footprints do not conflict as independent; a step that "
                  "starts, stops, enables or disables another must share a resource with it (for a crash: the "
                  "kernel's ~alive/<actor>, Program.footprint)",
                  path=space.path(state.id),
                  details=(f"{said}: {show_footprint(mover)}", f"{their}: {show_footprint(theirs)}"),
                  steps=(f"{transition.actor}: {transition.effect.describe()}",
                         f"{other.actor}: {other.effect.describe()}")))
