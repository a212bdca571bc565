"""DFS with state caching and sleep sets (strategies/sleep_dfs.py) against DFS with state
caching alone, which visits every reachable state and takes every transition out of each
(checked against brute force in test_state_caching_agrees_with_plain_dfs.py): sleep sets
must prune transitions only, never states.

- On random programs (toy_world) and on every registered scenario and variant: the same
  reachable world states, the same number of distinct states, the same verdict and
  violated property, the same `sometimes` properties reached; never more executions or
  transitions.
- On actors that share nothing, every state is entered exactly once: the transitions
  taken are the states less one, and the states are the product of (steps + 1) over the
  actors, counted here by hand.
- Restoring and replaying explore exactly the same.
(Brute-force agreement on final states, values and deadlocks, crashes and restarts
included, is in test_dpor_soundness.py and test_crashes.py, which run this search too.)
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from toy_world import ProgramSpec, build, independent_program, program_specs
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scheduler.explore import PASS, explore
from unpack_race.scheduler.properties import always, on_state
from unpack_race.scheduler.strategies import DepthFirst, SleepSetDepthFirst
from unpack_race.scheduler.strategies.registry import OptionError, make_dfs


def searched(program, strategy, properties=()):
    seen: set = set()

    def record(world) -> bool:
        seen.add(world.fingerprint())
        return True

    result = explore(program, strategy, [*properties, always("record-every-state", on_state(record))])
    return result, seen


def assert_prunes_transitions_only(plain, plain_seen, sleepy, sleepy_seen, where: str) -> None:
    assert sleepy.verdict == plain.verdict, where
    assert (sleepy.violation is None) == (plain.violation is None), where
    if plain.verdict is PASS:
        assert sleepy_seen == plain_seen, f"{where}: sleep sets lost {len(plain_seen - sleepy_seen)} world states"
        assert sleepy.states == plain.states, f"{where}: distinct states differ"
        assert sleepy.coverage.transitions <= plain.coverage.transitions, where
        assert sleepy.executions <= plain.executions, where
    assert sleepy.reached == plain.reached, where


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=program_specs())
def test_sleep_sets_keep_every_state_of_a_random_program(spec: ProgramSpec):
    plain, plain_seen = searched(build(spec).all_daemons(), DepthFirst())
    sleepy, sleepy_seen = searched(build(spec).all_daemons(), SleepSetDepthFirst())
    assert_prunes_transitions_only(plain, plain_seen, sleepy, sleepy_seen, repr(spec))


@pytest.mark.parametrize("sizes", [(1, 1), (2, 2, 1), (3, 1, 2), (2, 2, 2, 1)])
def test_on_actors_that_share_nothing_every_state_is_entered_once(sizes):
    result = explore(independent_program(sizes), SleepSetDepthFirst())
    states = math.prod(n + 1 for n in sizes)  # each actor anywhere between its first step and its last
    assert result.states == states
    assert result.coverage.transitions == states - 1
    plain = explore(independent_program(sizes), DepthFirst())
    assert plain.states == states and plain.coverage.transitions > states - 1  # (the test can tell them apart)


SMALL = {"commit-already-exists": {"layers": 1}, "concurrent-pulls": {"layers": 1}}
CASES = [(name, variant, SMALL.get(name, {})) for name, sc in SCENARIOS.items() for variant in sc.variants]
CASES += [("retry-after-cancel", "prepare-with-lease", {"gc-policy": "any"}),
          ("retry-after-cancel", "stat-early-return", {"gc-policy": "any", "layers": 3})]


@pytest.mark.parametrize("name, variant, params", CASES, ids=[f"{n}-{v}-{p}" for n, v, p in CASES])
def test_sleep_sets_agree_with_state_caching_on_every_scenario(name, variant, params):
    sc = SCENARIOS[name]
    built = sc.build(variant, sc.resolve(params))
    plain, plain_seen = searched(built.program, DepthFirst(), built.properties)
    built = sc.build(variant, sc.resolve(params))
    sleepy, sleepy_seen = searched(built.program, SleepSetDepthFirst(), built.properties)
    assert_prunes_transitions_only(plain, plain_seen, sleepy, sleepy_seen, f"{name} {variant} {params}")
    if plain.violation is not None:
        assert sleepy.violation.property == plain.violation.property


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=program_specs())
def test_restoring_and_replaying_explore_the_same(spec: ProgramSpec):
    restored = explore(build(spec).all_daemons(), SleepSetDepthFirst(restore=True))
    replayed = explore(build(spec).all_daemons(), SleepSetDepthFirst(restore=False))
    assert (restored.executions, restored.states, restored.coverage.transitions, dict(restored.coverage.cut)) == (
        replayed.executions, replayed.states, replayed.coverage.transitions, dict(replayed.coverage.cut))
    assert restored.steps + restored.coverage.restored == replayed.steps


def test_the_result_says_sleep_sets_ran_and_the_option_refuses_what_it_cannot_do():
    result = explore(independent_program((1, 1)), make_dfs(sleep_sets=True))
    assert result.coverage.facts.algorithm == "DFS with state caching and sleep sets"
    assert result.coverage.facts.settings["sleep_sets"] is True
    for bad in (dict(state_caching=False), dict(preemption_bound=2)):
        with pytest.raises(OptionError, match="--sleep-sets goes with state caching"):
            make_dfs(sleep_sets=True, **bad)
