"""The default strategy is `auto` (scheduler/strategies/portfolio.py) everywhere a search
runs without one named: `check` and `compare` on the command line, the facade's check()
and compare(), the pytest fixture; and every result says which of its searches ran.

The verdicts are held against an independent fact: plain stateful DFS, an exhaustive
search of its own, reaches the same verdict on the same program (and the scenario's
expectation, from containerd's history, agrees); which search ended first is read from
the coverage record, and the text is checked to say it.
"""

from __future__ import annotations

import inspect
import json

import pytest
from unpack_race.scenarios import api
from unpack_race.scenarios.cli import build_parser, main
from unpack_race.scheduler.verdict import Verdict

RACE = "retry-after-cancel"
FAST = ("--no-overlap",)  # the four verdicts of containerd's history, in about a second


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [("check", RACE), ("compare",)])
def test_the_command_line_searches_with_auto_unless_told_otherwise(command):
    assert build_parser().parse_args(list(command)).strategy == "auto"


def test_the_facade_defaults_to_auto():
    # (the fixture's default: tests/plugin, whose JUnit record of a check says strategy auto)
    for function in (api.check, api.compare):
        assert inspect.signature(function).parameters["strategy"].default == "auto", function


@pytest.mark.parametrize("variant", ["stat-early-return", "prepare-with-lease"])
def test_a_check_without_a_strategy_runs_auto_and_reaches_plain_dfss_verdict(variant):
    default = api.check(RACE, variant, params={"overlap": False})
    dfs = api.check(RACE, variant, params={"overlap": False}, strategy="dfs")
    assert default.verdict is dfs.verdict is default.expected.verdict
    facts = default.result.coverage.facts
    assert facts.algorithm in facts.settings["portfolio"] and len(facts.settings["portfolio"]) == 2
    assert f"{facts.algorithm} ended first" in facts.notes[-1]


def test_a_pass_under_auto_says_which_search_ran_and_how_far_the_other_got(capsys):
    code, out, _ = run(capsys, "check", RACE, "--variant", "prepare-with-lease", *FAST, "--json", "-q")
    assert code == 0
    document = json.loads(out)
    coverage = document["result"]["coverage"]
    ran, (other,) = coverage["algorithm"], [a for a in coverage["settings"]["portfolio"] if a != coverage["algorithm"]]
    assert document["strategy"] == "auto" and document["result"]["verdict"] == "pass"
    said = document["result"]["claim"]
    assert said.startswith("exhaustive within bounds ") and f"{ran} ended first; {other} was stopped after" in said
    code, out, _ = run(capsys, "check", RACE, "--variant", "prepare-with-lease", *FAST, "-q")
    (verdict,) = [line for line in out.splitlines() if line.startswith("PASS: ")]
    assert f"{ran} ended first; {other} was stopped after" in verdict


def test_compare_runs_auto_by_default_and_its_header_says_which_search_ended_first_on_each_variant(capsys):
    code, out, _ = run(capsys, "compare", *FAST, "-q", "--json")
    assert code == 0
    document = json.loads(out)
    ended = {}
    for row in document["rows"]:
        ended.setdefault(row["coverage"]["algorithm"], []).append(row["variant"])
        assert row["coverage"]["algorithm"] in row["coverage"]["settings"]["portfolio"]
        assert "ended first" in row["claim"]
    assert document["strategy"].startswith("auto (")
    for algorithm, variants in ended.items():
        said = "every variant" if len(ended) == 1 else ", ".join(variants)
        assert f"{algorithm} on {said}" in document["strategy"]
    code, text, _ = run(capsys, "compare", *FAST, "-q")
    assert text.splitlines()[0].endswith(f"strategy: {document['strategy']}, stop at the first violation")


@pytest.mark.parametrize(("strategy", "kind"), [("dfs", "exhaustive"), ("bfs", "exhaustive"),
                                                ("dpor", "up-to-traces")])
def test_compare_takes_a_strategy_and_every_verdict_is_still_containerds(capsys, strategy, kind):
    code, out, _ = run(capsys, "compare", *FAST, "--strategy", strategy, "-q", "--json")
    document = json.loads(out)
    assert code == 0 and document["outcome"] == "as-expected"
    assert {row["coverage"]["kind"] for row in document["rows"]} == {kind}
    assert {row["coverage"]["settings"].get("portfolio") for row in document["rows"]} == {None}


def test_compare_refuses_an_option_its_strategy_does_not_take(capsys):
    code, out, err = run(capsys, "compare", "--no-state-cache")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--no-state-cache is an option of dfs, not of --strategy auto" in err and "add --strategy dfs" in err
    code, out, _ = run(capsys, "compare", *FAST, "--strategy", "dfs", "--no-state-cache", "-q", "--json")
    document = json.loads(out)
    assert code == 0 and document["strategy"] == "DFS without state caching"
    assert {row["verdict"] for row in document["rows"]} == {"violation", "pass"}
    assert all(row["verdict"] == Verdict(row["expected"]).value for row in document["rows"])
