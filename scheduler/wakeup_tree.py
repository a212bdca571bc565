"""Wakeup trees: the ordered trees of actor sequences that optimal DPOR keeps at each
state of the current path (Abdulla, Aronis, Jonsson and Sagonas, "Optimal dynamic
partial order reduction", POPL 2014, section 6; "Source sets: a foundation for optimal
dynamic partial order reduction", JACM 64(4) 2017, section 7).

A wakeup sequence is a list of events, each an actor with the footprint its step has
there. A tree's branches are explored in the order they were added (the ≺ order), and a
branch is followed to its end before the tree's next branch is begun, so a reversed
race is explored along the sequence that reverses it, not from one initial actor as
source sets do: that is what leaves no sleep-set-blocked execution.

`insert` follows the paper's insertion: walk down the tree along the first child that
is a weak initial of what is left of the sequence; stop (the sequence is covered) at a
leaf or when nothing is left; else add the rest as the last child where the walk
stopped. An actor p is a *weak initial* of a sequence w (p in WI(w)) when p's first step
in w depends on no earlier step of w, or p has no step in w and its next step is
independent of every step of w: then some extension of p.w' is equivalent to some
extension of w.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from unpack_race.scheduler.effect import Footprint

Event = tuple[str, Footprint]  # an actor and the footprint of its step there


@attrs.define(eq=False)
class WakeupNode:
    """One step of a wakeup tree: the actor that takes it, the footprint its step has
    there, and the steps that may follow it, in the order they are to be explored."""

    actor: str
    footprint: Footprint
    children: list[WakeupNode] = attrs.field(factory=list)


def chain(events: Sequence[Event]) -> list[WakeupNode]:
    """The one-branch tree of a sequence (as a list of root children)."""
    children: list[WakeupNode] = []
    for actor, footprint in reversed(events):
        children = [WakeupNode(actor, footprint, children)]
    return children


def weak_initial(actor: str, footprint: Footprint, events: Sequence[Event]) -> bool:
    """Whether `actor`, whose next step has `footprint`, is a weak initial of `events`.

    When the actor has a step in `events`, its first one is an initial if no earlier
    event conflicts with it (a happens-before chain into it would end with an event that
    conflicts with it directly, so the direct check suffices). When it has none, it is a
    weak initial if its next step is independent of them all."""
    first = _first_step(actor, events)
    if first is None:
        return not any(footprint.conflicts_with(step) for _, step in events)
    step = events[first][1]
    return not any(step.conflicts_with(events[k][1]) for k in range(first))


def _first_step(actor: str, events: Sequence[Event]) -> int | None:
    for i, (other, _) in enumerate(events):
        if other == actor:
            return i
    return None


def without_first(actor: str, events: Sequence[Event]) -> list[Event]:
    """`events` without the actor's first step (unchanged if it has none: then the actor
    is independent of them all, being a weak initial)."""
    i = _first_step(actor, events)
    return list(events) if i is None else list(events[:i]) + list(events[i + 1:])


def insert(children: list[WakeupNode], events: Sequence[Event]) -> bool:
    """Insert a wakeup sequence into the tree whose root children are `children`, unless
    a branch already covers it. Returns whether the tree grew."""
    rest = list(events)
    while rest:
        for child in children:
            if weak_initial(child.actor, child.footprint, rest):
                rest = without_first(child.actor, rest)
                if not child.children:
                    return False  # a leaf: exploring it from here covers the sequence
                children = child.children
                break
        else:
            children.extend(chain(rest))
            return True
    return False
