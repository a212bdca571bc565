"""Checking that footprints cover what steps touch.

In every explored state, for every actor's pending effect (enabled or not), the lint
runs `enabled()`, and for an enabled one `apply()` (then the program's on_exit hook if
the step is the actor's last), on a recording copy of the world (`scheduler.recorder`),
and compares what they read and wrote with the footprint the kernel would record there:

- every resource read must be among the declared reads or writes (`"*"` covers all;
  reading a whole keyed attribute, by iterating it, needs `"*"`);
- every resource written must be among the declared writes;
- `enabled()` writes nothing; nothing writes a `Constant` or reads a `WriteOnly`
  attribute; every attribute touched is in the resource map;
- the on_exit hook writes only `exit/<actor>`.
`footprint()`'s own reads are not checked: it is evaluated in the state, as the kernel
evaluates it. The recorded run must also end as the real step did (else the recording
itself changed the step's behaviour, which is reported: the check could not vouch).
"""

from __future__ import annotations

from typing import Any

from unpack_race.scheduler.crashes import owner
from unpack_race.scheduler.effect import EVERYTHING, Effect, Failure, Footprint
from unpack_race.scheduler.lint.findings import Collector, Finding
from unpack_race.scheduler.lint.outcomes import footprint_taken, show_footprint
from unpack_race.scheduler.lint.space import Pending, State, StateSpace, Transition
from unpack_race.scheduler.recorder import Access, recording, unwrap
from unpack_race.scheduler.resources import All, Constant, ResourceMap, WriteOnly
from unpack_race.scheduler.world_values import canonical, copy_value


def check_footprints(space: StateSpace, found: Collector) -> int:
    """Record every pending step once per distinct world; return how many were checked."""
    resource_map = space.resource_map
    checked: set[tuple] = set()
    for state in space.states:
        if not state.expanded:
            continue
        for pending in state.pending:
            if pending.effect is None or state.aborted:  # after an abort no step is taken
                continue
            transition = state.transitions.get(pending.actor)
            ends = transition is not None and transition.ends
            key = (state.world, pending.actor, pending.effect, pending.enabled, ends)
            if key in checked:
                continue
            checked.add(key)
            _check(space, resource_map, state, pending, transition, found)
    return len(checked)


def _check(space: StateSpace, resource_map: ResourceMap, state: State, pending: Pending,
           transition: Transition | None, found: Collector) -> None:
    world = space.worlds[state.world]
    actor, effect = pending.actor, pending.effect
    ends = transition is not None and transition.ends
    aborts = transition is not None and transition.aborts
    declared = footprint_taken(space.program, effect, copy_value(world), actor, ends, aborts)
    report = _Reporter(space, state, actor, effect, declared, found)

    proxy, recorder = recording(copy_value(world), resource_map)
    try:
        now_enabled = bool(effect.enabled(proxy))
    except Exception as err:  # noqa: BLE001
        report.unfaithful(f"its enabled() raises {type(err).__name__}: {err} on the recording world")
        return
    if now_enabled != pending.enabled:
        report.unfaithful("its enabled() answers differently on the recording world")
        return
    report.accesses("enabled()", recorder.accesses, resource_map)

    if not pending.enabled:
        return
    target = copy_value(world)
    proxy, recorder = recording(target, resource_map)
    try:
        outcome = ("result", canonical(unwrap(effect.apply(proxy))))
    except Failure as error:
        outcome = ("error", type(error).__name__, str(error))
    except Exception as err:  # noqa: BLE001
        report.unfaithful(f"its apply() raises {type(err).__name__}: {err} on the recording world")
        return
    if transition is not None and outcome != transition.outcome:
        report.unfaithful("its apply() ends differently on the recording world")
        return
    report.accesses("apply()", recorder.accesses, resource_map)
    if ends and space.program.on_exit is not None:
        proxy, recorder = recording(target, resource_map)
        space.program.on_exit(proxy, owner(actor, effect))
        report.on_exit(recorder.accesses, resource_map)


def covered(resource: Any, footprint: Footprint, write: bool) -> bool:
    """Whether `footprint` declares the access."""
    if EVERYTHING in footprint.writes or (not write and EVERYTHING in footprint.reads):
        return True
    if isinstance(resource, All):
        return False
    return resource in footprint.writes or (not write and resource in footprint.reads)


class _Reporter:
    """Turns one step's recorded accesses into findings."""

    def __init__(self, space: StateSpace, state: State, actor: str, effect: Effect, declared: Footprint,
                 found: Collector) -> None:
        self.space, self.state, self.actor, self.effect = space, state, actor, effect
        self.declared, self.found = declared, found
        self.name = type(effect).__name__
        self.world_class = type(space.worlds[state.world]).__name__

    def _add(self, key, kind: str, summary: str, advice: str, details=()) -> None:
        state = self.state
        self.found.add(key, state.depth, lambda: Finding(
            kind, summary, advice, path=self.space.path(state.id), details=tuple(details),
            steps=(f"{self.actor}: {self.effect.describe()}",)))

    def unfaithful(self, what: str) -> None:
        self._add(("model-error", "recorder", self.name), "model-error",
                  f"{self.actor}'s step {self.effect.describe()} cannot be recorded faithfully: {what}",
                  "the lint could not check this step's footprint; does the effect test the type of a "
                  "world attribute, or keep a world value between steps?")

    def accesses(self, phase: str, accesses: list[Access], resource_map: ResourceMap) -> None:
        missing_reads: dict[str, list[Access]] = {}
        missing_writes: dict[str, list[Access]] = {}
        for access in accesses:
            spec = resource_map.spec(access.attribute)
            if spec is None:
                self._add(("resource-map", access.attribute), "resource-map",
                          f"{self.actor}'s step {self.effect.describe()} touches {access.where}, which "
                          f"{self.world_class}.RESOURCES does not describe",
                          f"say what world.{access.attribute} is in {self.world_class}.RESOURCES "
                          f"(Keyed, Scalar, Constant or WriteOnly)")
            elif isinstance(spec, Constant):
                if access.write:
                    self._add(("constant-written", self.name, access.attribute), "constant-written",
                              f"{self.actor}'s step {self.effect.describe()} writes {access.where}, which "
                              f"{self.world_class}.RESOURCES calls Constant()",
                              f"map world.{access.attribute} to a resource and declare the write in "
                              f"{self.name}.footprint(), or stop writing it")
            elif isinstance(spec, WriteOnly):
                if not access.write:
                    self._add(("write-only-read", self.name, access.attribute), "write-only-read",
                              f"{self.actor}'s step {self.effect.describe()} reads {access.where}, which "
                              f"{self.world_class}.RESOURCES calls WriteOnly()",
                              f"a write-only attribute is left out of the fingerprint, so nothing may read "
                              f"it: map world.{access.attribute} to a resource (and fingerprint it), or "
                              f"stop reading it")
            elif access.write and phase == "enabled()":
                self._add(("enabled-writes", self.name), "enabled-writes",
                          f"{self.actor}'s step {self.effect.describe()} writes {access.where} in enabled()",
                          "enabled() is asked of every pending step in every state and must not change "
                          "the world: move the write into apply()")
            elif not covered(access.resource, self.declared, access.write):
                (missing_writes if access.write else missing_reads).setdefault(str(access.resource), []).append(access)
        for write, missing in ((False, missing_reads), (True, missing_writes)):
            if missing:
                self._undeclared(phase, write, missing)

    def _undeclared(self, phase: str, write: bool, missing: dict[str, list[Access]]) -> None:
        verb, kind = ("writes", "undeclared-write") if write else ("reads", "undeclared-read")
        resources = sorted(missing)
        attributes = frozenset(a.attribute for accesses in missing.values() for a in accesses)
        needs_all = any(isinstance(a.resource, All) for accesses in missing.values() for a in accesses)
        details = [f"{resource}: {missing[resource][0].where} in {phase}" for resource in resources]
        details.append(f"its footprint there: {show_footprint(self.declared)}")
        listed = ", ".join(resources)
        if needs_all:
            fix = (f"a step that goes through a whole collection touches every entry of it: declare "
                   f"{'writes' if write else 'reads'} of \"*\" in {self.name}.footprint(), or touch only the "
                   f"entries it needs")
        else:
            fix = f"add {listed} to the {verb[:-1]}s of {self.name}.footprint()"
        why = ("a reduction that trusts the footprint (DPOR) takes this step as independent of every step "
               "that touches " + ("them" if len(resources) > 1 else "it") + ", and may skip orders that matter")
        self._add((kind, self.name, attributes), kind,
                  f"{self.actor}'s step {self.effect.describe()} {verb} {listed} but its footprint does not "
                  f"declare {'them' if len(resources) > 1 else 'it'}",
                  f"{fix}; {why}", details)

    def on_exit(self, accesses: list[Access], resource_map: ResourceMap) -> None:
        own = f"exit/{owner(self.actor, self.effect)}"
        bad = sorted({str(a.resource) for a in accesses
                      if (a.write and a.resource != own) or (not a.write and not covered(a.resource, self.declared, False))})
        if bad:
            self._add(("on-exit", tuple(bad)), "on-exit",
                      f"the program's on_exit hook, run when {self.actor}'s step {self.effect.describe()} ends "
                      f"it, touches {', '.join(bad)}",
                      f"the kernel adds only {own} to that step's footprint: make on_exit write only {own}")
