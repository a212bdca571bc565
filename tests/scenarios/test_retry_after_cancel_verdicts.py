"""The registered variants on retry-after-cancel reach containerd's verdicts, by search."""

from __future__ import annotations

import pytest
from toy_world import count_executions, shortest_violation
from unpack_race.model.errdefs import NotFound
from unpack_race.model.snapshotter import PrepareT1, PrepareT2
from unpack_race.model.variants import registered
from unpack_race.reports.claims import claim
from unpack_race.scenarios import invariants
from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.state_graph import count_interleavings
from unpack_race.scheduler.strategies import BreadthFirst, DepthFirst, Dpor, RandomWalk
from unpack_race.scheduler.verdict import Verdict

SCENARIO = scenario("retry-after-cancel")
UNSAFE = tuple(v.name for v in registered() if v.violates == "no-missing-parent")  # as each definition says
SAFE = tuple(v.name for v in registered() if v.violates is None)


def check(variant, strategy=None, **params):
    built = SCENARIO.build(variant, params)
    return explore(built.program, strategy or DepthFirst(state_caching=True), built.properties, bounds=built.bounds)


@pytest.mark.parametrize("variant", UNSAFE)
def test_every_variant_but_the_fix_lets_the_retry_prepare_on_a_swept_parent(variant):
    result = check(variant)
    assert result.verdict == Verdict.VIOLATION
    assert result.violation.property == "no-missing-parent"
    last = result.counterexample[-1]
    assert last.actor == "pull-2"
    assert isinstance(last.effect, (PrepareT1, PrepareT2))
    assert isinstance(last.error, NotFound)
    assert str(last.error) == "parent snapshot sha256:c1 does not exist: not found"
    # the race window: a GC swept sha256:c1 before the failing Prepare
    assert any(s.actor == "gc" and "sha256:c1" in s.result.swept_snapshots for s in result.counterexample[:-1])


@pytest.mark.parametrize("variant", SAFE)
def test_every_variant_expected_to_be_safe_is_exhaustively_free_of_the_race(variant):
    assert check(variant).verdict == Verdict.PASS


def test_the_fixed_code_is_exhaustively_free_of_the_race_and_enters_the_window():
    result = check("prepare-with-lease")
    assert result.verdict == Verdict.PASS
    assert claim(result).startswith("exhaustive within bounds layers=2, overlap=yes, gc-policy=scheduler")
    assert set(result.reached) == {"retry-reuses-cancelled-layer", "gc-sweeps-committed-layer"}
    assert f"{result.states} distinct states" in claim(result)


def test_the_stat_early_return_counterexample_skips_the_layer_without_a_lease():
    steps = check("stat-early-return").counterexample
    stat = [s for s in steps if s.actor == "pull-2" and s.effect.name == "Stat" and s.ok]
    assert stat and stat[0].effect.key == "sha256:c1"
    assert "no lease is taken" in stat[0].narrate()


def test_without_pr_10187_the_prepare_already_exists_path_is_unleased():
    steps = check("prepare-without-lease").counterexample
    t1 = [s for s in steps if s.actor == "pull-2" and isinstance(s.effect, PrepareT1) and s.error]
    assert t1 and str(t1[0].error) == 'target snapshot "sha256:c1": already exists'
    assert "NOT added to any lease" in t1[0].narrate()


@pytest.mark.parametrize(
    "params",
    [dict(overlap=False), {"gc-policy": "dirty"}, {"gc-policy": "any"}, dict(kmutex=False), dict(layers=3)],
    ids=["no-overlap", "gc-only-when-dirty", "gc-at-any-step", "no-kmutex", "three-layers"],
)
def test_the_verdicts_hold_across_scenario_parameters(params):
    for variant in UNSAFE[1:]:
        assert check(variant, **params).violation.property == "no-missing-parent"
    if params != dict(layers=3):  # three layers take ~15 s exhaustively; see the benchmark
        assert check("prepare-with-lease", **params).verdict == Verdict.PASS


def test_a_single_layer_is_a_proof_that_the_race_cannot_occur_not_a_vacuous_run():
    # One layer: the only Prepare has no parent, and once a pull commits sha256:c1 it
    # reaches CreateImage without looking at its ctx again, so no GC can sweep it; the
    # scenario does not seek gc-sweeps-committed-layer there (the retry still finds c1).
    result = check("stat-early-return", layers=1)
    assert result.verdict == Verdict.PASS
    assert result.reached == ("retry-reuses-cancelled-layer",) and result.unreached == ()


def test_without_gc_the_run_is_a_pass_that_still_enters_the_retry_window():
    # No GC: nothing is ever swept, so no parent can go missing, under any variant; the
    # retry still finds the layer the cancelled pull committed.
    result = check("stat-early-return", **{"gc-policy": "any", "gc-runs": 0})
    assert result.verdict == Verdict.PASS
    assert result.reached == ("retry-reuses-cancelled-layer",) and result.unreached == ()


def test_a_random_walk_finds_the_race_when_gc_follows_deletions():
    # With gc-policy=any a uniform random walk almost always spends the one GC run in the
    # first few steps, before anything is committed (100,000 runs never reached the
    # window); when GC runs only while the database is dirty it finds the race.
    result = check("stat-early-return", RandomWalk(runs=20_000, seed=0), **{"gc-policy": "dirty"})
    assert result.verdict == Verdict.VIOLATION
    assert result.violation.property == "no-missing-parent"


def test_a_random_walk_labels_its_pass_as_sampled():
    passed = check("prepare-with-lease", RandomWalk(runs=3000, seed=1), **{"gc-policy": "dirty"})
    assert passed.verdict == Verdict.PASS
    assert claim(passed).startswith("sampled, not exhaustive: 3000 runs of random walk, seed 1")


def test_a_random_walk_that_never_enters_the_window_is_vacuous_not_a_pass():
    result = check("prepare-with-lease", RandomWalk(runs=300, seed=0), **{"gc-policy": "any"})
    assert result.verdict == Verdict.VACUOUS
    assert "gc-sweeps-committed-layer" in result.unreached


def test_state_caching_finds_the_same_first_counterexample_as_plain_dfs():
    # plain DFS explores in the same order; it only re-explores states already seen
    cached = check("stat-early-return", overlap=False)
    plain = check("stat-early-return", DepthFirst(state_caching=False), overlap=False)
    assert plain.verdict == cached.verdict == Verdict.VIOLATION
    assert [s.effect for s in plain.counterexample] == [s.effect for s in cached.counterexample]
    assert plain.executions >= cached.executions


def preemptions_by_hand(steps) -> int:
    """Musuvathi and Qadeer's preemptions, counted by replaying the steps with the kernel:
    a step whose actor differs from the previous step's while that one could still move."""
    execution, count = Execution(SCENARIO.build("stat-early-return", {}).program), 0
    for k, step in enumerate(steps):
        if k and step.actor != steps[k - 1].actor and steps[k - 1].actor in execution.runnable():
            count += 1
        execution.step(step.actor)
    return count


def test_breadth_first_search_reports_a_shortest_counterexample_and_its_preemptions():
    shortest = check("stat-early-return", BreadthFirst())
    depth_first = check("stat-early-return")
    assert shortest.verdict == Verdict.VIOLATION and shortest.violation.property == "no-missing-parent"
    # the fewest steps to a Prepare on a missing parent, by a breadth-first search of the
    # kernel's states written in the test (shared_memory.shortest_violation)
    fewest = shortest_violation(SCENARIO.build("stat-early-return", {}).program,
                                lambda step: not invariants.NO_MISSING_PARENT.holds(step))
    assert len(shortest.counterexample) == fewest <= len(depth_first.counterexample)
    assert shortest.preemptions == preemptions_by_hand(shortest.counterexample)
    # DPOR reaches the same verdicts; on the fixed code it proves the same as state caching
    assert check("stat-early-return", Dpor()).violation.property == "no-missing-parent"
    fixed = check("prepare-with-lease", Dpor(), overlap=False)
    assert fixed.verdict == Verdict.PASS and "up to Mazurkiewicz equivalence" in claim(fixed)
    # and runs fewer executions than brute force, whose count on the state graph is the
    # number of interleavings that the kernel alone enumerates
    built = SCENARIO.build("prepare-with-lease", {"overlap": False})
    brute = count_executions(built.program)
    assert count_interleavings(built.program).interleavings == brute
    assert fixed.executions < brute


@pytest.mark.parametrize("line", ["1.6", "1.6.39", "1.7", "1.7.25"])
@pytest.mark.parametrize("variant", ["stat-early-return", "prepare-with-lease"])
def test_every_release_line_keeps_the_verdicts_of_containerds_history(variant, line):
    # containerd fixed issue 3787 on every line at once, by the same removal of the Stat early return (PR 10723
    # on main, its cherry-picks PR 10763 into 1.7.23 and PR 10764 into 1.6.37), each on top of PR 10187's
    # backport: its history gives the verdicts one expectation per variant, whatever the line; the x/sync and
    # the 1.6 wait without abort change the steps, not the verdict
    result = check(variant, release=line)
    assert result.verdict == (Verdict.PASS if variant == "prepare-with-lease" else Verdict.VIOLATION)


@pytest.mark.parametrize("variant", ["stat-early-return", "prepare-with-lease"])
def test_a_retry_asked_for_before_the_cancel_keeps_the_verdicts(variant):
    result = check(variant, order="retry-then-cancel")
    assert result.verdict == (Verdict.PASS if variant == "prepare-with-lease" else Verdict.VIOLATION)


def test_a_retry_before_the_cancel_without_overlap_is_refused_with_the_reason():
    with pytest.raises(ParamError, match="order=retry-then-cancel and overlap=no contradict each other"):
        SCENARIO.resolve({"order": "retry-then-cancel", "overlap": False})

