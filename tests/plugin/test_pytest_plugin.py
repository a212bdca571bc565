"""The pytest plugin (scenarios/pytest_plugin.py), run on inner test files with pytester:
a proof passes; a violation fails with the narrated counterexample, the kept schedule's
path and the command that replays it; the next run replays the kept schedule before any
search, and removes it once it no longer fails; the JUnit XML carries the coverage record;
a user's own Scenario object works like a registered one; and under pytest-xdist (when
installed) every worker keeps and replays its own schedules.

The verdicts expected of retry-after-cancel come from containerd's history (README,
"Variants"): stat-early-return (containerd before PR 10723) loses the parent snapshot to GC
(`parent snapshot sha256:c1 does not exist: not found`), prepare-with-lease (PR 10723 on
top of PR 10187, containerd 1.6.37, 1.7.23, 2.0.0) does not.
"""

from __future__ import annotations

import json

import re
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path


import pytest
from unpack_race.scenarios import api
from unpack_race.scenarios.cli import main
from unpack_race.scheduler.schedule import Schedule

PLUGIN = "unpack_race.scenarios.pytest_plugin"
FAST = {"overlap": False}  # the retry starts after the cancelled pull returns: a smaller search
MISSING_PARENT = "parent snapshot sha256:c1 does not exist: not found"

RACE_TESTS = """
def test_the_fix_is_safe(unpack_race_check):
    unpack_race_check("retry-after-cancel", "prepare-with-lease", params={"overlap": False})

def test_the_variant_before_the_fix_is_safe(unpack_race_check):
    unpack_race_check("retry-after-cancel", "stat-early-return", params={"overlap": False})
"""

#: a user's own scenario, in the inner test file: a reader that accepts only the values in
#: ACCEPTED of x, which a writer sets to WRITTEN (the outer test writes both)
USER_SCENARIO = """
from unpack_race.scenarios.base import Expectation
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import Read, Write, assert_that, pthread_program
from unpack_race.scheduler.verdict import Verdict

ACCEPTED, WRITTEN = {accepted}, {written}

def writer():
    yield Write("x", WRITTEN)

def reader():
    seen = yield Read("x")
    assert_that(seen in ACCEPTED, "x is accepted", f"reader read x == {{seen}}")

class Flag(Classic):
    name, summary, source, bug = "my-flag", "a user's own scenario", "tests/plugin", "the reader may see the write"
    expectation, asserts = Expectation(Verdict.PASS), True

    def program(self):
        return pthread_program("my-flag", {{"x": 0}}, (), [("writer", writer), ("reader", reader)])

def test_the_reader_accepts_what_it_reads(unpack_race_check):
    unpack_race_check(Flag(), "as-written")
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", PLUGIN, "-p", "no:cacheprovider", *args)


def kept(pytester: pytest.Pytester) -> list:
    return sorted((pytester.path / ".unpack-race").glob("*.schedule.json"))


def properties(xml_path, test: str) -> list[dict[str, str]]:
    """The unpack_race.* properties of one test case in a JUnit XML file, one dict per check."""
    (case,) = [c for c in ET.parse(xml_path).getroot().iter("testcase") if c.get("name") == test]
    checks: list[dict[str, str]] = []
    for prop in case.iter("property"):
        name = prop.get("name").removeprefix("unpack_race.")
        if name == "scenario":
            checks.append({})
        checks[-1][name] = prop.get("value")
    return checks


def test_a_proof_passes_and_a_violation_fails_with_the_narration_the_schedule_and_the_replay_command(pytester):
    pytester.makepyfile(test_race=RACE_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    (path,) = kept(pytester)
    assert path.name.startswith("retry-after-cancel.stat-early-return.")
    assert ("unpack-race: retry-after-cancel under stat-early-return: expected pass, "
            "found violation of no-missing-parent") in out
    assert "Counterexample, " in out and f"pull-2 Prepare('extract-pull-2.0 sha256:c2', parent=sha256:c1) T2 fails: " \
                                        f"{MISSING_PARENT}" in out
    assert "How each actor ends if the run goes on" in out
    assert f"Schedule kept in the database: {path} (replayed first on the next run)" in out
    assert f"  replay it: unpack-race replay {path}" in out
    # the command it prints does replay the violation
    assert main(["replay", str(path)]) == 1
    assert Schedule.load(path).variant == "stat-early-return"


def test_the_next_run_replays_the_kept_schedule_before_any_search(pytester, monkeypatch):
    pytester.makepyfile(test_race=RACE_TESTS)
    run(pytester).assert_outcomes(passed=1, failed=1)
    (path,) = kept(pytester)
    searches = []
    real_check = api.check
    monkeypatch.setattr(api, "check", lambda *a, **k: searches.append(a[1]) or real_check(*a, **k))

    second = run(pytester, "--junitxml", "second.xml")
    second.assert_outcomes(passed=1, failed=1)
    out = second.stdout.str()
    assert ("expected pass, found violation of no-missing-parent, replayed from the database before any search: "
            f"{path}") in out
    assert " steps) under variant stat-early-return, " in out and MISSING_PARENT in out  # the replay, narrated
    assert "The schedule stays in the database until it no longer fails this check." in out
    assert (f"unpack-race: 1 test(s) failed from a schedule replayed from the database ({path.parent}) before any "
            f"search: test_race.py::test_the_variant_before_the_fix_is_safe") in out
    assert searches == ["prepare-with-lease"]  # the failing check searched nothing
    assert kept(pytester) == [path]
    (replayed,) = properties(pytester.path / "second.xml", "test_the_variant_before_the_fix_is_safe")
    assert replayed["source"] == "database" and replayed["kind"] == "single-run"
    assert replayed["executions"] == "1" and replayed["schedule"] == str(path)


def test_the_junit_xml_carries_the_coverage_record_of_every_check(pytester):
    pytester.makepyfile(test_race=RACE_TESTS + """
def test_sampled(unpack_race_check):
    from unpack_race.scenarios.api import Budget
    unpack_race_check("retry-after-cancel", "prepare-with-lease", strategy="random", seed=7,
                      budget=Budget(max_executions=20), expect="budget")
""")
    result = run(pytester, "--junitxml", "out.xml")
    result.assert_outcomes(passed=2, failed=1)
    assert "incompatible" not in result.stdout.str()  # record_property's warning under xunit2
    xml = pytester.path / "out.xml"
    (proof,) = properties(xml, "test_the_fix_is_safe")
    direct = api.check("retry-after-cancel", "prepare-with-lease", params=FAST).result
    settings = json.loads(proof.pop("settings"))
    assert proof == {  # the default strategy, auto: the record of the search that ended first
        "scenario": "retry-after-cancel", "variant": "prepare-with-lease", "strategy": "auto",
        "algorithm": direct.coverage.facts.algorithm, "kind": direct.coverage.kind.value, "seed": "none",
        "bounds": direct.coverage.bounds, "executions": str(direct.executions), "states": str(direct.states),
        "verdict": "pass", "source": "search",
    }
    assert settings == direct.coverage.facts.settings and len(settings["portfolio"]) == 2
    assert proof["algorithm"] in settings["portfolio"]
    (violation,) = properties(xml, "test_the_variant_before_the_fix_is_safe")
    assert violation["verdict"] == "violation" and violation["source"] == "search"
    assert violation["schedule"] == str(kept(pytester)[0])
    (sampled,) = properties(xml, "test_sampled")
    assert sampled["strategy"] == "random" and sampled["kind"] == "sampled" and sampled["seed"] == "7"
    assert sampled["executions"] == "20" and sampled["verdict"] == "budget"


def test_expect_scenario_holds_each_variant_to_its_own_expected_verdict(pytester):
    pytester.makepyfile(test_verdicts="""
import pytest

@pytest.mark.parametrize("variant", ["stat-early-return", "prepare-with-lease"])
def test_verdict(unpack_race_check, variant):
    unpack_race_check("retry-after-cancel", variant, params={"overlap": False}, expect="scenario")

def test_a_violation_expected_of_the_fix(unpack_race_check):
    unpack_race_check("retry-after-cancel", "prepare-with-lease", params={"overlap": False}, expect="violation")
""")
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "unpack-race: retry-after-cancel under prepare-with-lease: expected violation, found pass",
        "PASS: exhaustive within bounds *0 violations; the default search ran 2 exhaustive searches side by side*"
        " ended first; * was stopped after *",
    ])
    assert kept(pytester) == []  # a pass has no schedule to keep


@pytest.mark.parametrize("fix", ["the reader accepts the write", "the writer writes what the reader accepts"])
def test_a_users_scenario_is_kept_and_replayed_and_its_schedule_removed_once_it_no_longer_fails(pytester, fix):
    pytester.makepyfile(test_flag=USER_SCENARIO.format(accepted=(0,), written=1))
    first = run(pytester)
    first.assert_outcomes(failed=1)
    (path,) = kept(pytester)
    assert path.name.startswith("my-flag.as-written.")
    reference = f"{(pytester.path / 'test_flag.py').resolve()}:Flag"  # the test file's own class, loaded by name
    first.stdout.fnmatch_lines(["*expected pass, found violation of no-assertion-failure",
                                f"  replay it: unpack-race replay {path} --scenario {reference}"])
    replayed = pytester.run(sys.executable, "-m", "unpack_race", "replay", str(path), "--scenario", reference)
    assert replayed.ret == 1, replayed.stderr.str()  # the command the failure gives replays the violation
    replayed.stdout.fnmatch_lines(["VIOLATION: *"])
    run(pytester).stdout.fnmatch_lines(["*replayed from the database before any search: *my-flag.as-written.*"])

    accepted, written = ((0, 1), 1) if fix == "the reader accepts the write" else ((0,), 0)
    pytester.makepyfile(test_flag=USER_SCENARIO.format(accepted=accepted, written=written))
    fixed = run(pytester)
    fixed.assert_outcomes(passed=1)
    assert "replayed from the database" not in fixed.stdout.str()
    assert kept(pytester) == []


def test_a_kept_schedule_that_another_check_expects_stays_for_the_check_it_fails(pytester):
    # the same check (scenario, variant, params, properties) expected to pass and expected
    # to be containerd's violation: the second test leaves the first one's schedule alone
    pytester.makepyfile(test_race=RACE_TESTS + """
def test_the_variant_before_the_fix_loses_the_parent(unpack_race_check):
    unpack_race_check("retry-after-cancel", "stat-early-return", params={"overlap": False}, expect="scenario")
""")
    run(pytester).assert_outcomes(passed=2, failed=1)
    (path,) = kept(pytester)
    second = run(pytester)
    second.assert_outcomes(passed=2, failed=1)
    assert "replayed from the database before any search" in second.stdout.str()
    assert kept(pytester) == [path]


def test_the_database_directory_is_chosen_by_the_option_or_the_ini_setting(pytester):
    pytester.makepyfile(test_race=RACE_TESTS)
    pytester.makeini("[pytest]\nunpack_race_database = from-ini\n")
    run(pytester).assert_outcomes(passed=1, failed=1)
    assert len(list((pytester.path / "from-ini").glob("*.schedule.json"))) == 1
    other = pytester.mkdir("sub") / "elsewhere"
    with pytest.MonkeyPatch.context() as patch:  # a relative option is relative to where pytest starts
        patch.chdir(other.parent)
        run(pytester, "--unpack-race-database", "elsewhere", str(pytester.path)).assert_outcomes(passed=1, failed=1)
    assert len(list(other.glob("*.schedule.json"))) == 1
    assert not (pytester.path / ".unpack-race").exists()


def test_bad_input_fails_the_test_with_one_line(pytester):
    pytester.makepyfile(test_bad="""
def test_unknown_variant(unpack_race_check):
    unpack_race_check("retry-after-cancel", "no-such-variant")

def test_unknown_expectation(unpack_race_check):
    unpack_race_check("retry-after-cancel", "prepare-with-lease", expect="safe")
""")
    result = run(pytester)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "unpack-race: scenario retry-after-cancel has no variant 'no-such-variant'; its variants are: *",
        "unpack-race: expect='safe' is not a verdict; give 'scenario', an Expectation, or one of 'pass', *",
    ], consecutive=False)


def test_under_pytest_xdist_each_worker_keeps_its_schedules_and_the_next_run_replays_them(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_race=textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("variant", ["stat-early-return-no-lease", "stat-early-return", "prepare-without-lease",
                                             "prepare-with-lease"])
        def test_safe(unpack_race_check, variant):
            unpack_race_check("retry-after-cancel", variant, params={"overlap": False})
        """))
    first = pytester.runpytest_subprocess("-p", PLUGIN, "-p", "no:cacheprovider", "-n", "2", "--junitxml", "a.xml")
    first.assert_outcomes(passed=1, failed=3)
    names = [p.name.split(".")[1] for p in kept(pytester)]
    assert sorted(names) == ["prepare-without-lease", "stat-early-return", "stat-early-return-no-lease"]
    second = pytester.runpytest_subprocess("-p", PLUGIN, "-p", "no:cacheprovider", "-n", "2", "--junitxml", "b.xml")
    second.assert_outcomes(passed=1, failed=3)
    second.stdout.fnmatch_lines(["unpack-race: 3 test(s) failed from a schedule replayed from the database *"])
    for variant in names:
        (check,) = properties(pytester.path / "b.xml", f"test_safe[{variant}]")
        assert check["source"] == "database"


def test_the_readme_example_runs_as_written(pytester):
    section = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", section.split("## pytest plugin", 1)[1], re.S).group(1)
    assert len(example.strip().splitlines()) < 15
    pytester.makepyfile(test_readme=example)
    run(pytester).assert_outcomes(passed=3)


def test_a_scenario_of_one_variant_and_a_users_file_by_reference_need_nothing_more(pytester):
    """account-bad is SCTBench's: its one variant loses a deposit (the benchmark's bug),
    so the scenario's own expectation is a violation; the flag file's reader accepts
    only 0, which the write of 1 breaks."""
    pytester.makepyfile(flag_model=USER_SCENARIO.format(accepted=(0,), written=1).split("def test_")[0])
    pytester.makepyfile(test_refs="""
def test_one_variant(unpack_race_check):
    unpack_race_check("account-bad", expect="scenario")

def test_by_reference(unpack_race_check):
    unpack_race_check("flag_model.py:Flag", expect="violation")
""")
    run(pytester).assert_outcomes(passed=2)
