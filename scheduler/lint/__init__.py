"""The engine's soundness self-check: `lint(program, properties)`.

Partial-order reduction trusts the effects' footprints, state caching trusts the world's
fingerprint and the effects' `outcome_key`s. The lint checks all three, in every
reachable state within the program's bounds (up to `max_states`), and reports each
problem with the run that reaches it, the offending steps, and what to fix:

- `footprints`: every step's declared footprint covers what its `enabled()` and
  `apply()` really read and write, as a world that records every access sees it
  (`scheduler.recorder`, through the world's `RESOURCES` map);
- `commutation`: steps whose footprints do not conflict commute, and neither enables,
  disables or changes the footprint of the other;
- `disabling`: the same for what the kernel itself changes between two states: a crash
  stops its actor and starts its restarts, a step changes whether its actor's crash can
  be taken (scheduler.crashes);
- `fingerprints`: worlds with the same fingerprint are told apart by no step and no
  property (compared against a complete copy of the world);
- `state_keys`: states with the same state key behave the same;
- `locks`: a lock a footprint declares behaves as a mutex (never taken while held, given
  back by its holder, held as a function of the state), which DPOR's lock races rely on;
- `ignored_results`: no actor reads a result its effect says it ignores;
- `state_properties`: on_state properties read only what they declare.

What it cannot tell: accesses the recorder does not see (state outside the world), and
anything beyond the states it explored: a clean lint is a proof within the bounds, like
every exhaustive search here. See docs/lint.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from unpack_race.scheduler.lint.commutation import check_commutation
from unpack_race.scheduler.lint.disabling import check_disabling
from unpack_race.scheduler.lint.findings import (
    KINDS,
    Coverage,
    Finding,
    LintReport,
    ordered,
)
from unpack_race.scheduler.lint.fingerprints import check_fingerprints
from unpack_race.scheduler.lint.footprints import check_footprints
from unpack_race.scheduler.lint.locks import check_locks
from unpack_race.scheduler.lint.space import explore_states
from unpack_race.scheduler.lint.state_keys import check_state_keys
from unpack_race.scheduler.lint.state_properties import check_state_property_reads
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property

DEFAULT_MAX_STATES = 20_000

__all__ = ["DEFAULT_MAX_STATES", "KINDS", "Coverage", "Finding", "LintReport", "lint"]


def lint(program: Program, properties: Iterable[Property] = (), *, max_states: int = DEFAULT_MAX_STATES) -> LintReport:
    """Check `program`'s footprints, fingerprint and outcome keys (see the module
    docstring) in every state reachable within its bounds, up to `max_states`."""
    if max_states < 1:
        raise ValueError(f"max_states must be at least 1, got {max_states}")
    started = time.monotonic()
    space = explore_states(program, tuple(properties), max_states)
    found = space.found
    notes: list[str] = []
    footprints = pairs = key_groups = fingerprint_groups = 0
    if space.states:
        world = space.worlds[0]
        if space.resource_map is None:
            found.add(("resource-map", "none"), 0, lambda: Finding(
                "resource-map",
                f"{type(world).__name__} declares no resource map, so the footprints cannot be checked",
                f"give {type(world).__name__} a class attribute RESOURCES = ResourceMap(...) saying which footprint "
                f"resource each attribute is (see scheduler/resources.py)"))
            notes.append("footprints and state-property reads not checked: the world has no resource map")
        else:
            for problem in space.resource_map.problems(world):
                found.add(("resource-map", problem), 0, lambda: Finding(
                    "resource-map", problem, "complete the resource map: every attribute of the world is a "
                    "resource (Keyed or Scalar), a Constant, or WriteOnly bookkeeping"))
            footprints = check_footprints(space, found)
            check_state_property_reads(space, found)
        pairs = check_commutation(space, found) + check_disabling(space, found)
        check_locks(space, found)
        if space.states[0].fingerprint is None:
            notes.append("fingerprint and state keys not checked: the world has no fingerprint()")
        else:
            fingerprint_groups, apart = check_fingerprints(space, found)
            key_groups = check_state_keys(space, found, apart)
    unchecked = [p.name for p in space.on_state if p.reads is None]
    if unchecked:
        notes.append(f"reads not checked for {', '.join(unchecked)}: no reads declared")
    coverage = Coverage(
        states=len(space.states), expanded=sum(s.expanded for s in space.states), transitions=space.transitions,
        worlds=len(space.worlds), footprints=footprints, pairs=pairs, key_groups=key_groups,
        fingerprint_groups=fingerprint_groups, complete=space.complete, max_states=max_states,
        seconds=time.monotonic() - started, notes=tuple(notes))
    return LintReport(program.name, ordered(found.findings()), coverage)
