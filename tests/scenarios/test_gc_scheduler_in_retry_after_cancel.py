"""retry-after-cancel under its default gc-policy, `scheduler` (plugins/gc/scheduler.go,
model/gc_scheduler.py): the daemon is up and quiet when pull-1 starts, so a collection
is due only after a deletion (pull-1's abort Remove, a lease delete) and recurs after
each; and the verdicts of containerd's history hold under it and under the `any`
over-approximation.

The runs are enumerated by plain DFS (every interleaving, no reduction, no state
cache), and what each collection followed is read from its trace, not from the
scheduler's own bookkeeping."""

from __future__ import annotations

import pytest
from unpack_race.model.gc import GcCollect
from unpack_race.model.leases import DeleteLease, DeleteResource
from unpack_race.model.snapshotter import Remove
from unpack_race.model.variants import registered
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.strategies import DepthFirst
from unpack_race.scheduler.verdict import Verdict

SCENARIO = scenario("retry-after-cancel")
DELETIONS = (Remove, DeleteLease, DeleteResource)  # the db.dirty++ of snapshot.go L717, leases.go L123, L246


def runs(variant: str, **params):
    built = SCENARIO.build(variant, params)
    found = []
    result = explore(built.program.all_daemons(), DepthFirst(state_caching=False), on_run=found.append)
    assert result.coverage.finished
    return found


def collections_and_deletions(run):
    """For each collection in the run, how many deletions came since the one before."""
    since, counts = 0, []
    for step in run.steps:
        if isinstance(step.effect, DELETIONS) and step.ok:
            since += 1
        elif isinstance(step.effect, GcCollect):
            counts.append(since)
            since = 0
    return counts


def test_a_collection_comes_only_after_a_deletion_since_the_last_and_recurs():
    every = runs("prepare-with-lease", layers=1, overlap=False)
    per_run = [collections_and_deletions(r) for r in every]
    # scheduler.go L261: a tick with no deletion since the last collection (and nothing
    # else pending on a quiet daemon) skips
    assert all(count > 0 for counts in per_run for count in counts)
    # collections recur: some run has one after pull-1's abort and another after a
    # later lease delete
    assert max(len(counts) for counts in per_run) >= 2
    # and a collection due at the end of a run is not lost: no run ends with a deletion
    # that no collection followed
    assert all(_last_deletion_collected(r) for r in every)


def _last_deletion_collected(run) -> bool:
    last_deletion = max((s.index for s in run.steps if isinstance(s.effect, DELETIONS) and s.ok), default=-1)
    last_collection = max((s.index for s in run.steps if isinstance(s.effect, GcCollect)), default=-1)
    return last_collection > last_deletion


@pytest.mark.parametrize("policy", ["scheduler", "any"])
@pytest.mark.parametrize("variant", [v.name for v in registered()])
def test_the_verdicts_of_containerd_s_history_hold_under_the_policy(variant, policy):
    built = SCENARIO.build(variant, {"gc-policy": policy})
    result = explore(built.program, DepthFirst(state_caching=True), built.properties, bounds=built.bounds)
    expected = SCENARIO.expected(variant, {"gc-policy": policy})
    assert result.verdict == expected.verdict
    if expected.property is not None:
        assert result.violation.property == expected.property


def test_the_bounds_leave_out_gc_runs_where_they_bound_nothing():
    assert "gc-runs" not in SCENARIO.build("prepare-with-lease", {}).bounds
    assert "gc-runs=1" in SCENARIO.build("prepare-with-lease", {"gc-policy": "any"}).bounds


def test_gc_runs_zero_is_a_proof_only_where_it_stops_the_gc():
    assert SCENARIO.expected("stat-early-return", {"gc-policy": "any", "gc-runs": 0}).verdict == Verdict.PASS
    # under the scheduler gc-runs bounds nothing: the race is still there
    assert SCENARIO.expected("stat-early-return", {"gc-runs": 0}).verdict == Verdict.VIOLATION
