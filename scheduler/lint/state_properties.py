"""Checking what on_state properties read against what they declare.

A partial-order reduction can preserve an `on_state(holds, reads=...)` property only
because every step that writes one of its `reads` is kept in order with every other
(the visibility condition). So each such predicate is run, on every distinct world the
lint reached, against a recording copy (`scheduler.recorder`): every resource it reads
must be among its declared reads (`"*"` covers all), and it must write nothing.
Properties that declare no reads are not checked (DPOR refuses them anyway).
"""

from __future__ import annotations

from unpack_race.scheduler.effect import EVERYTHING
from unpack_race.scheduler.lint.findings import Collector, Finding
from unpack_race.scheduler.lint.space import StateSpace
from unpack_race.scheduler.recorder import recording
from unpack_race.scheduler.resources import All, Constant, Keyed, Scalar
from unpack_race.scheduler.world_values import copy_value


def check_state_property_reads(space: StateSpace, found: Collector) -> int:
    """Run every declared on_state property on every distinct world; return how many runs."""
    first_state = {}
    for state in space.states:
        first_state.setdefault(state.world, state)
    runs = 0
    declared = [p for p in space.on_state if p.reads is not None]
    for world_id, state in sorted(first_state.items()):
        for prop in declared:
            runs += 1
            proxy, recorder = recording(copy_value(space.worlds[world_id]), space.resource_map)
            try:
                prop.holds(proxy)
            except Exception:  # noqa: BLE001 - what it read before it raised still counts
                pass
            bad = {}
            for access in recorder.accesses:
                spec = space.resource_map.spec(access.attribute)
                if isinstance(spec, Constant) and not access.write:
                    continue
                if access.write:
                    bad.setdefault(f"writes {access.resource or access.where}", access.where)
                elif not isinstance(spec, (Keyed, Scalar)):
                    bad.setdefault(f"reads {access.where}", access.where)
                elif EVERYTHING not in prop.reads and (isinstance(access.resource, All) or access.resource not in prop.reads):
                    bad.setdefault(str(access.resource), access.where)
            if bad:
                items = sorted(bad)
                found.add(("state-property-reads", prop.name, tuple(items)), state.depth, lambda: Finding(
                    "state-property-reads",
                    f"property {prop.name} reads {', '.join(items)}, which its declared reads "
                    f"{{{', '.join(sorted(prop.reads))}}} leave out",
                    f"declare them: on_state(..., reads={{...}}); a reduction keeps in order only the steps that "
                    f"write the declared reads, so it may miss the states where {prop.name} fails",
                    path=space.path(state.id), details=tuple(f"{r}: {bad[r]}" for r in items)))
    return runs
