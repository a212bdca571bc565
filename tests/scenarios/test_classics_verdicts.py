"""Each classic reaches its expected verdict by exhaustive search, with a counterexample
that shows its bug; the bug-free ones pass with and without state caching; all of them
are registered and work from the command line.

Parametric programs are searched at their defaults (lastzero N=3, indexer N=2,
filesystem N=2) and, with state caching, at N=3 too."""

from __future__ import annotations

import json

import pytest
from unpack_race.reports.claims import claim
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.cli import main
from unpack_race.scenarios.registry import SCENARIOS, scenario
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.strategies import DepthFirst
from unpack_race.scheduler.verdict import Verdict

BY_NAME = {s.name: s for s in CLASSICS}

# the actor whose step breaks the property, for the programs with an assert
FAILING_ACTOR = {
    "reorder-3-bad": "checkThread0",
    "reorder-4-bad": "checkThread0",
    "reorder-5-bad": "checkThread0",
    "twostage-bad": "funcB0",
    "wronglock-3-bad": "funcA0",
    "account-bad": "check_result",
    "lazy01-bad": "thread3",
    "token-ring-bad": "t4",
    "stack-bad": "t2",
    "circular-buffer-bad": "t2",
}
DEADLOCKING = {"deadlock01-bad": {"thread1", "thread2"}, "carter01-bad": {"t1", "t2"}}
BUG_FREE = ("lastzero", "indexer", "filesystem")


def search(name, caching=True, **params):
    sc = BY_NAME[name]
    built = sc.build("as-written", params)
    return explore(built.program, DepthFirst(state_caching=caching), built.properties, bounds=built.bounds)


def test_the_suite_holds_the_twelve_sctbench_programs_and_the_three_dpor_benchmarks():
    assert [s.name for s in CLASSICS] == [
        "reorder-3-bad", "reorder-4-bad", "reorder-5-bad", "twostage-bad", "wronglock-3-bad",
        "account-bad", "deadlock01-bad", "lazy01-bad", "carter01-bad", "token-ring-bad", "stack-bad",
        "circular-buffer-bad", "lastzero", "indexer", "filesystem",
    ]
    for sc in CLASSICS:
        assert sc.variants == ("as-written",)
        assert sc.source.startswith(("SCTBench benchmarks/concurrent-software-benchmarks/", "Abdulla", "Flanagan"))
        assert (sc.bug == "") == (sc.name in BUG_FREE)


@pytest.mark.parametrize("name", sorted(FAILING_ACTOR))
def test_dfs_with_state_caching_finds_the_failing_assert(name):
    result = search(name)
    expect = BY_NAME[name].expected("as-written", {})
    assert (expect.verdict, expect.property) == (Verdict.VIOLATION, "no-assertion-failure")
    assert result.verdict == Verdict.VIOLATION
    assert result.violation.property == "no-assertion-failure"
    assert result.counterexample[-1].actor == FAILING_ACTOR[name]
    assert "failed" in result.violation.message


@pytest.mark.parametrize("name", sorted(DEADLOCKING))
def test_dfs_with_state_caching_finds_the_deadlock(name):
    result = search(name)
    assert BY_NAME[name].expected("as-written", {}).property == "no-deadlock"
    assert result.verdict == Verdict.VIOLATION
    assert result.violation.property == "no-deadlock"
    for thread in DEADLOCKING[name]:
        assert f"{thread} waits to Lock" in result.violation.message


@pytest.mark.parametrize("name", BUG_FREE)
@pytest.mark.parametrize("n", [None, 3])
def test_dfs_with_state_caching_proves_the_dpor_benchmarks_bug_free(name, n):
    params = {} if n is None else {"n": n}
    result = search(name, **params)
    assert BY_NAME[name].expected("as-written", params).verdict == Verdict.PASS
    assert result.verdict == Verdict.PASS, claim(result)
    assert claim(result).startswith(f"exhaustive within bounds n={n or BY_NAME[name].params[0].default}")


@pytest.mark.parametrize("name", BUG_FREE)
def test_the_bug_free_programs_get_the_same_verdict_with_and_without_state_caching(name):
    cached, plain = search(name, caching=True), search(name, caching=False)
    assert cached.verdict == plain.verdict == Verdict.PASS
    assert cached.reached == plain.reached
    assert cached.executions < plain.executions


def test_lastzero_s_search_makes_the_reader_skip_a_written_element():
    result = search("lastzero")
    assert result.reached == ("reader-skips-a-written-element",)


def test_the_reorder_counterexample_reads_one_setter_write_without_the_other():
    steps = search("reorder-3-bad").counterexample
    reads = [(s.effect.var, s.result) for s in steps if s.actor == "checkThread0"]
    assert ("a", 1) in reads and ("b", 0) in reads
    assert [s.effect.name for s in steps if s.actor == "main"] == ["Create", "Create", "Create"]


def test_the_account_counterexample_checks_after_both_deposit_and_withdraw():
    steps = search("account-bad").counterexample
    order = [s.actor for s in steps if s.effect.name == "Lock"]
    assert order[-1] == "check_result" and {"deposit", "withdraw"} <= set(order[:-1])
    assert "balance is -1, (x - y) - z is -5" in steps[-1].narrate()


# -- registry and command line ------------------------------------------------------------------


def test_every_classic_is_registered_under_its_name():
    for sc in CLASSICS:
        assert scenario(sc.name) is SCENARIOS[sc.name] is sc


def test_unpack_race_list_shows_every_classic_with_its_expected_verdict(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for sc in CLASSICS:
        assert f"scenario {sc.name}: " in out
    assert "--n N (1..20, default 3): writer threads" in out


def test_unpack_race_check_finds_reorder_3_bad_and_its_schedule_replays(capsys, tmp_path):
    assert main(["check", "reorder-3-bad", "--variant", "as-written", "--out", str(tmp_path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "checkThread0: assert(0) failed" in out
    path = tmp_path / "reorder-3-bad.as-written.schedule.json"
    data = json.loads(path.read_text())
    assert data["scenario"] == "reorder-3-bad" and data["params"] == {}
    assert data["steps"][0] == {"actor": "main", "effect": "Create", "args": {"child": "setThread0"}}
    assert main(["replay", str(path)]) == 1
    assert "VIOLATION: every assert in the C source holds" in capsys.readouterr().out


def test_unpack_race_check_passes_lastzero_with_a_chosen_n_and_refuses_an_unknown_variant(capsys):
    assert main(["check", "lastzero", "--variant", "as-written", "--n", "2", "--quiet"]) == 0
    assert "PASS: exhaustive within bounds n=2" in capsys.readouterr().out
    assert main(["check", "lastzero", "--variant", "fixed", "--quiet"]) == 2
    assert "scenario lastzero has no variant 'fixed'; its variants are: as-written" in capsys.readouterr().err
