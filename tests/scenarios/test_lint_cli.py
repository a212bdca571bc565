"""`unpack-race lint`: exit 0 clean, 1 with the offending steps and the run that reaches
them, 2 on bad usage, 4 when the state budget runs out before every state is checked."""

from __future__ import annotations

from unpack_race.model import snapshotter
from unpack_race.model.variants import registered
from unpack_race.scenarios.cli import main
from unpack_race.scheduler.effect import Footprint


def test_a_clean_scenario_exits_0_and_says_what_was_checked(capsys):
    assert main(["lint", "lastzero", "--n", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lastzero [as-written] (n=2): clean\n")
    assert "(every reachable state)" in out


def test_without_a_variant_every_variant_is_linted(capsys):
    assert main(["lint", "retry-after-cancel", "--layers", "1", "--no-overlap"]) == 0
    out = capsys.readouterr().out
    for variant in (v.name for v in registered()):
        assert f"retry-after-cancel [{variant}] (layers=1, overlap=no" in out


def test_a_finding_exits_1_naming_the_offending_step_and_the_run_that_reaches_it(capsys, monkeypatch):
    original = snapshotter.Commit.footprint

    def forgetting_the_parent(self, world=None):
        found = original(self, world)
        return Footprint(found.reads, found.writes - snapshotter._parent_of(world, self.key))

    monkeypatch.setattr(snapshotter.Commit, "footprint", forgetting_the_parent)
    assert main(["lint", "retry-after-cancel", "--variant", "prepare-with-lease", "--layers", "2"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("retry-after-cancel [prepare-with-lease] (layers=2,")
    assert "undeclared-write: pull-1's step Commit(name='sha256:c2', key='extract-pull-1.1 sha256:c2'" in out
    assert "writes snapshot/sha256:c1 but its footprint does not declare it" in out
    assert "fix: add snapshot/sha256:c1 to the writes of Commit.footprint()" in out
    assert "the state is reached by" in out and "pull-1 commits 'extract-pull-1.0 sha256:c1' as sha256:c1" in out


def test_a_budget_that_runs_out_exits_4_and_says_so(capsys):
    assert main(["lint", "stack-bad", "--max-states", "200"]) == 4
    out = capsys.readouterr().out
    assert "NOT every reachable state: the budget of 200 states ran out" in out
    assert "raise --max-states" in out


def test_bad_usage_exits_2_with_one_line(capsys):
    for argv, expected in (
        (["lint", "no-such-scenario"], "unknown scenario 'no-such-scenario'"),
        (["lint", "retry-after-cancel", "--variant", "nope"], "has no variant 'nope'"),
        (["lint", "lastzero", "--max-states", "0"], "--max-states must be at least 1"),
        (["lint", "lastzero", "--layers", "2"], "has no parameter 'layers'"),
        (["lint"], "the following arguments are required: scenario"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("unpack-race: ") and expected in err and err.count("\n") == 1, err
