"""DFS with state caching (and DPOR) restores the state at each branching point instead
of replaying its prefix (scheduler.restore); on every registered scenario, under every
variant (DPOR: the classics and the small containerd ones), it must be the replaying
search in all but the work: the same executions in the
same order, step for step, the same distinct states and transitions, the same verdict,
violation and counterexample, the same `sometimes` properties reached, and every step
the replaying search applied either applied or restored by the new one."""

from __future__ import annotations

import pytest
from toy_world import distinct_transitions
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.strategies import DepthFirst, Dpor
from unpack_race.scheduler.world_values import canonical

CLASSIC_NAMES = {c.name for c in CLASSICS}

#: the scenarios whose defaults take seconds, made smaller
SMALL = {"commit-already-exists": {"layers": 1}, "concurrent-pulls": {"layers": 1}}

CASES = [(name, variant, SMALL.get(name, {})) for name, sc in SCENARIOS.items() for variant in sc.variants]
CASES += [("retry-after-cancel", "prepare-with-lease", {"gc-policy": "any"}),
          ("retry-after-cancel", "prepare-without-lease", {"gc-policy": "any", "layers": 3})]


def run_view(run) -> tuple:
    return tuple(run_view_step(s) for s in run.steps) + (run.final_runnable, repr(run.ends), canonical(run.world))


def searched(name: str, variant: str, params: dict, strategy):
    sc = SCENARIOS[name]
    built = sc.build(variant, sc.resolve(params))
    runs = []
    result = explore(built.program, strategy, built.properties, bounds=built.bounds,
                     on_run=lambda run: runs.append(run_view(run)))
    return result, runs


#: DPOR's tree backtracks like DFS's and restores too; the scenarios where it is quick
DPOR_CASES = [(name, variant, {}) for name, sc in SCENARIOS.items() for variant in sc.variants
              if name in CLASSIC_NAMES or name in ("rootfs-apply-layers", "remap-saved state", "lease-deleted-under-pull")]


@pytest.mark.parametrize("name, variant, params", CASES, ids=[f"{n}-{v}-{p}" for n, v, p in CASES])
def test_restoring_explores_exactly_what_replaying_explores(name, variant, params):
    assert_restoring_agrees(name, variant, params, DepthFirst)


@pytest.mark.parametrize("name, variant, params", DPOR_CASES, ids=[f"{n}-{v}" for n, v, p in DPOR_CASES])
def test_restoring_dpor_explores_exactly_what_replaying_dpor_explores(name, variant, params):
    assert_restoring_agrees(name, variant, params, Dpor)


def assert_restoring_agrees(name, variant, params, strategy):
    replayed, replayed_runs = searched(name, variant, params, strategy(restore=False))
    restored, restored_runs = searched(name, variant, params, strategy(restore=True))
    assert replayed.coverage.facts.settings["restore"] is False and replayed.coverage.restored == 0
    assert restored.coverage.facts.settings["restore"] is True
    assert restored_runs == replayed_runs
    assert restored.verdict == replayed.verdict
    assert restored.violation == replayed.violation
    assert restored.found_in == replayed.found_in
    assert [run_view_step(s) for s in restored.counterexample] == [run_view_step(s) for s in replayed.counterexample]
    assert (restored.reached, restored.unreached) == (replayed.reached, replayed.unreached)
    old, new = replayed.coverage, restored.coverage
    assert (new.states, new.transitions, new.executions, new.complete, new.cut, new.finished) == \
           (old.states, old.transitions, old.executions, old.complete, old.cut, old.finished)
    assert new.steps + new.restored == old.steps
    assert new.steps <= old.steps


def run_view_step(step) -> tuple:
    """A step as a comparable value (a failure is an exception object, equal only to
    itself: compared by its text)."""
    return (step.index, step.actor, step.effect, repr(step.result), repr(step.error), step.footprint, repr(step.ended))


def test_at_retry_after_cancel_2_layers_1_gc_run_each_transition_is_executed_about_once():
    sc = SCENARIOS["retry-after-cancel"]
    built = sc.build("prepare-with-lease", sc.resolve({"layers": 2, "gc-runs": 1, "gc-policy": "any"}))
    states, transitions = distinct_transitions(built.program)  # a walk with the kernel alone
    restored = explore(built.program, DepthFirst()).coverage
    replayed = explore(built.program, DepthFirst(restore=False)).coverage
    assert (restored.states, restored.transitions) == (replayed.states, replayed.transitions) == (states, transitions)
    assert restored.steps / transitions <= 1.5
    assert replayed.steps / transitions > 1.5
    assert restored.steps_per_transition == restored.steps / transitions
