"""concurrent-pulls and commit-already-exists (scenarios/concurrent_pulls.py) reach the
verdicts containerd's code implies, by exhaustive search.

Where the expectations come from (each reasoned from containerd's code, not from a run):
- concurrent-pulls: the variants' definitions (containerd's history for issue 3787:
  PR 10723 and PR 10187 together fix it; model/variants.py), since a concurrent pull
  relies on a layer the way the retry does (containerd-semantics §5.3);
- commit-already-exists: PR 10187 says "any already exists errors should add the relevant
  key to the lease" (c7fb8a925); each half closes one path. Prepare's T1 path needs only
  pull-1 to commit sha256:c1 before pull-2 prepares it; the Commit path needs both pulls
  between Prepare and Commit of sha256:c1 at once, which the shared kmutex forbids
  (doUnpackFn holds sn://overlayfs/<chain ID> from before Prepare until after Commit).
  So: neither half, or the Commit half alone, fails with or without the kmutex; the
  Prepare half alone fails only without it; both halves hold.
"""

from __future__ import annotations

import pytest
from unpack_race.model.errdefs import AlreadyExists, NotFound
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2
from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.strategies import DepthFirst
from unpack_race.scheduler.verdict import Verdict

PULLS = scenario("concurrent-pulls")
SPLIT = scenario("commit-already-exists")

#: commit-already-exists: (variant, kmutex) -> a violation is expected (the module's docstring)
COMMIT_PATH = {
    ("prepare-without-lease", False): True, ("prepare-without-lease", True): True,
    ("commit-half-only", False): True, ("commit-half-only", True): True,
    ("prepare-half-only", False): True, ("prepare-half-only", True): False,
    ("prepare-with-lease", False): False, ("prepare-with-lease", True): False,
}


def search(sc, variant, **params):
    built = sc.build(variant, params)
    return explore(built.program, DepthFirst(state_caching=True), built.properties, bounds=built.bounds)


def fails_on_the_shared_layer(result) -> None:
    assert result.verdict == Verdict.VIOLATION
    assert result.violation.property == "no-missing-parent"
    last = result.counterexample[-1]
    assert last.actor == "pull-2"
    assert isinstance(last.effect, (PrepareT1, PrepareT2)) and isinstance(last.error, NotFound)
    assert str(last.error) == "parent snapshot sha256:c1 does not exist: not found"
    assert last.effect.key.endswith(" sha256:c2b")  # pull-2's own layer, on the shared base


@pytest.mark.parametrize("kmutex", [True, False], ids=["shared-kmutex", "no-kmutex"])
@pytest.mark.parametrize("variant", ["stat-early-return-no-lease", "stat-early-return", "prepare-without-lease"])
def test_a_concurrent_pull_relies_on_the_cancelled_pulls_layer_under_every_variant_but_the_fix(variant, kmutex):
    assert PULLS.expected(variant, {"kmutex": kmutex}).verdict == Verdict.VIOLATION
    fails_on_the_shared_layer(search(PULLS, variant, kmutex=kmutex))


@pytest.mark.parametrize("kmutex", [True, False], ids=["shared-kmutex", "no-kmutex"])
def test_the_fix_holds_for_concurrent_pulls_and_enters_the_window(kmutex):
    result = search(PULLS, "prepare-with-lease", kmutex=kmutex)
    assert result.verdict == Verdict.PASS
    assert set(result.reached) == {"second-pull-reuses-first-pulls-layer", "gc-sweeps-committed-layer"}


@pytest.mark.parametrize("kmutex", [False, True], ids=["no-kmutex", "shared-kmutex"])
@pytest.mark.parametrize("variant", ["prepare-without-lease", "prepare-half-only", "commit-half-only",
                                     "prepare-with-lease"])
def test_each_half_of_pr_10187_matters_where_its_path_can_occur(variant, kmutex):
    violates = COMMIT_PATH[(variant, kmutex)]
    assert SPLIT.expected(variant, {"kmutex": kmutex}).verdict == (Verdict.VIOLATION if violates else Verdict.PASS)
    result = search(SPLIT, variant, kmutex=kmutex)
    if violates:
        fails_on_the_shared_layer(result)
    else:
        assert result.verdict == Verdict.PASS


def test_with_only_the_prepare_half_the_counterexample_goes_through_commits_already_exists():
    steps = search(SPLIT, "prepare-half-only").counterexample
    commits = [s for s in steps if s.actor == "pull-2" and isinstance(s.effect, Commit)]
    assert commits and isinstance(commits[0].error, AlreadyExists)
    assert commits[0].effect.name == "sha256:c1" and commits[0].error.leased is False


def test_with_only_the_commit_half_the_counterexample_goes_through_prepares_target_check():
    steps = search(SPLIT, "commit-half-only").counterexample
    t1 = [s for s in steps if s.actor == "pull-2" and isinstance(s.effect, PrepareT1)
          and isinstance(s.error, AlreadyExists)]
    assert t1 and t1[0].effect.target == "sha256:c1" and t1[0].error.leased is False


def test_the_commit_path_is_sought_only_where_no_shared_kmutex_rules_it_out():
    without = SPLIT.build("prepare-with-lease", {"kmutex": False})
    assert "commit-finds-chain-committed" in {p.name for p in without.properties}
    result = search(SPLIT, "prepare-with-lease", kmutex=False)
    assert "commit-finds-chain-committed" in result.reached
    with_kmutex = SPLIT.build("prepare-with-lease", {"kmutex": True})
    assert "commit-finds-chain-committed" not in {p.name for p in with_kmutex.properties}
    assert [u.property for u in with_kmutex.unreachable] == ["commit-finds-chain-committed"]


def test_the_second_image_shares_at_most_all_of_the_firsts_layers():
    with pytest.raises(ParamError, match="shared: 3 is more than layers=2"):
        PULLS.resolve({"shared": 3})


@pytest.mark.parametrize("sc", [PULLS, SPLIT], ids=lambda s: s.name)
def test_without_gc_no_variant_can_see_a_missing_parent(sc):
    no_gc = {"gc-policy": "any", "gc-runs": 0}
    for variant in sc.variants:
        assert sc.expected(variant, no_gc).verdict == Verdict.PASS
    assert search(sc, sc.variants[0], **no_gc).verdict == Verdict.PASS


@pytest.mark.parametrize("sc", [PULLS, SPLIT], ids=lambda s: s.name)
def test_gc_runs_bound_nothing_under_the_gc_scheduler(sc):
    # the first pull's lease delete makes a collection due (scheduler.go: a deletion)
    params = {"gc-policy": "scheduler", "gc-runs": 0}
    assert sc.expected(sc.variants[0], params).verdict == Verdict.VIOLATION
    assert search(sc, sc.variants[0], **params).verdict == Verdict.VIOLATION
