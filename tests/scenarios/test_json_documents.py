"""`--json` on every command: stdout carries exactly one JSON document that validates
against its shipped schema (reports/schemas/), names its format and version, and agrees
with the text the same command prints without --json (its verdicts and its exit code);
the text goes to stderr; bad input (exit 2) prints no document; an interrupted command's
document is marked partial.

The verdicts held against are containerd's history (the four variants of
retry-after-cancel: only the fix of 1.6.37, 1.7.23 and 2.0.0, prepare-with-lease, never
loses a parent) and a corpus file's own `expect` object, not the documents' renderers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import ValidationError
from unpack_race.reports import documents
from unpack_race.scenarios import cli, regression_corpus
from unpack_race.scenarios.api import Budget, Interrupted, checking, comparing
from unpack_race.scenarios.commands import bench_command

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "scenarios" / "corpus"
SCHEDULE = CORPUS / "retry-after-cancel.stat-early-return-no-lease.schedule.json"

#: containerd's history (issue 3787): the variant and the verdict its code reaches with default parameters
HISTORY = {
    "stat-early-return-no-lease": ("violation", "no-missing-parent"),
    "stat-early-return": ("violation", "no-missing-parent"),
    "prepare-without-lease": ("violation", "no-missing-parent"),
    "prepare-with-lease": ("pass", None),
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def document_of(capsys, command: str, *argv: str) -> tuple[int, dict, str]:
    """`command ARGV --json`: its exit code, its one document (checked against the schema
    and the envelope) and its stderr."""
    code, out, err = run(capsys, command, *argv, "--json")
    doc = json.loads(out)  # the whole of stdout is one document
    documents.validate(doc)
    assert doc["format"] == f"unpack-race.{command}" and doc["version"] == documents.VERSION == 1
    assert doc["exit_code"] == code, (doc["exit_code"], code, err)
    return code, doc, err


# -- every command ------------------------------------------------------------------------


def test_every_command_has_json_and_a_shipped_schema_and_a_case_here():
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for name in cli.COMMANDS:
        assert "--json" in subparsers[name]._option_string_actions, f"`{name}` has no --json"
    assert set(documents.schema_names()) == {*cli.COMMANDS, "model-error"}  # any command's, when the model raised
    assert set(CASES) == set(cli.COMMANDS)  # a new command needs a case below


def test_the_schemas_are_valid_and_refuse_a_document_without_its_format_or_version(capsys):
    code, doc, _ = document_of(capsys, "list")
    for field in ("format", "version", "exit_code"):
        broken = {k: v for k, v in doc.items() if k != field}
        with pytest.raises((ValidationError, KeyError)):
            documents.validate(broken)
    with pytest.raises(ValidationError):
        documents.validate({**doc, "version": 2})
    with pytest.raises(ValidationError):
        documents.validate({**doc, "unexpected": 1})


def case_list(capsys, tmp_path):
    code, doc, err = document_of(capsys, "list")
    assert code == 0 and err == ""
    scenarios = {s["name"]: s for s in doc["scenarios"]}
    variants = {v["name"]: v for v in scenarios["retry-after-cancel"]["variants"]}
    assert {name: (v["expected"]["verdict"], v["expected"]["property"]) for name, v in variants.items()} == HISTORY
    assert variants["prepare-with-lease"]["releases"] == "containerd 1.6.37+, 1.7.23+, 2.0.0+"
    text = run(capsys, "list")[1]
    names = [line.split()[1].rstrip(":") for line in text.splitlines() if line.startswith("scenario ")]
    assert names == list(scenarios)


def case_check(capsys, tmp_path):
    for variant, (verdict, prop) in HISTORY.items():
        out = tmp_path / variant
        code, doc, err = document_of(capsys, "check", "retry-after-cancel", "--variant", variant, "--quiet",
                                     "--out", str(out))
        result = doc["result"]
        assert (result["verdict"], (result["violation"] or {}).get("property")) == (verdict, prop)
        assert code == (1 if verdict == "violation" else 0) and doc["as_expected"] is True
        assert f"{verdict.upper()}: {result['claim']}" in err  # the text went to stderr
        text_code, text, _ = run(capsys, "check", "retry-after-cancel", "--variant", variant, "--quiet",
                                 "--out", str(out))
        assert text_code == code and f"{verdict.upper()}: {result['claim']}" in text
        if verdict == "violation":
            written = Path(doc["counterexample"]["schedule"])
            assert written.parent == out and json.loads(written.read_text())["variant"] == variant
            assert len(doc["counterexample"]["steps"]) == len(json.loads(written.read_text())["steps"])
        else:
            assert doc["counterexample"] is None and result["coverage"]["finished"] is True


def case_compare(capsys, tmp_path):
    code, doc, err = document_of(capsys, "compare", "--quiet", "--out", str(tmp_path))
    assert code == 0 and doc["outcome"] == "as-expected" and "every verdict is the expected one" in err
    assert {r["variant"]: (r["verdict"], r["property"]) for r in doc["rows"]} == HISTORY
    assert json.loads((tmp_path / "compare.json").read_text()) == doc  # one renderer: the file is the document
    for row in doc["rows"]:
        if row["verdict"] == "violation":
            assert Path(row["schedule"]).is_file()


def case_replay(capsys, tmp_path):
    expect = json.loads(SCHEDULE.read_text())["expect"]
    code, doc, _ = document_of(capsys, "replay", str(SCHEDULE))
    assert doc["mode"] == "strict" and code == 1 and doc["result"]["verdict"] == "violation"
    assert doc["result"]["violation"]["property"] == expect[doc["variant"]]["property"]
    assert len(doc["steps"]) == doc["scheduled_steps"] == len(json.loads(SCHEDULE.read_text())["steps"])
    assert run(capsys, "replay", str(SCHEDULE))[0] == code

    code, doc, _ = document_of(capsys, "replay", str(SCHEDULE), "--all-variants")
    assert doc["mode"] == "all-variants" and code == 0 and doc["all_as_expected"] is True
    assert {v["variant"]: v["verdict"] for v in doc["variants"]} == {
        name: {"verdict": e["verdict"], "property": e.get("property")} for name, e in expect.items()}
    assert [v["variant"] for v in doc["variants"] if v["recorded"]] == ["stat-early-return-no-lease"]
    text_code, text, _ = run(capsys, "replay", str(SCHEDULE), "--all-variants")
    assert text_code == code and "every verdict is the expected one" in text


def case_minimize(capsys, tmp_path):
    longer = tmp_path / "longer.schedule.json"  # a counterexample as the search found it, not yet minimal
    assert run(capsys, "check", "retry-after-cancel", "--variant", "stat-early-return", "--quiet",
               "--out", str(tmp_path))[0] == 1
    found = tmp_path / "retry-after-cancel.stat-early-return.schedule.json"
    found.rename(longer)
    out = tmp_path / "min" / "longer.min.schedule.json"  # into the directory --out names, after the input
    code, doc, err = document_of(capsys, "minimize", str(longer), "--out", str(out.parent))
    assert code == 0 and doc["improved"] is True and doc["written"] == str(out)
    recorded = json.loads(out.read_text())["steps"]
    assert doc["after"]["steps"] == len(doc["steps"]) == len(recorded) < doc["before"]["steps"] == len(
        json.loads(longer.read_text())["steps"])
    assert doc["violation"]["property"] == "no-missing-parent"
    assert f"after:  {doc['after']['steps']} steps, {doc['after']['preemptions']} preemptions" in err
    assert run(capsys, "replay", str(out))[0] == 1  # what was written still violates


def case_explain(capsys, tmp_path):
    code, doc, err = document_of(capsys, "explain", str(SCHEDULE))
    assert code == 0 and err == ""
    assert doc["violation"]["property"] == "no-missing-parent" and doc["scenario"] == "retry-after-cancel"
    text = run(capsys, "explain", str(SCHEDULE))[1]
    assert f"no-missing-parent is violated at step {doc['violation']['step']}." in text
    assert f"{len(doc['graph']['edges'])} edges" in text


def case_lint(capsys, tmp_path):
    code, doc, _ = document_of(capsys, "lint", "account-bad")
    assert code == 0 and all(x["clean"] and x["complete"] for x in doc["linted"])
    text_code, text, _ = run(capsys, "lint", "account-bad")
    assert text_code == code
    for x in doc["linted"]:
        assert f"account-bad [{x['variant']}] ({x['bounds']}): clean" in text
        assert f"checked {x['coverage']['states']:,} states (every reachable state)" in text


def case_corpus(capsys, tmp_path):
    code, doc, err = document_of(capsys, "corpus", "--check", "--out", str(CORPUS))
    shipped = sorted(p.name for p in CORPUS.glob("*.schedule.json"))
    assert code == 0 and doc["mode"] == "check" and doc["up_to_date"] is True and doc["files"] == shipped
    assert f"corpus in {CORPUS} is up to date ({len(shipped)} files)" in err
    code, doc, _ = document_of(capsys, "corpus", "--out", str(tmp_path / "fresh"))
    assert code == 0 and doc["mode"] == "regenerate" and doc["marker"] is None
    assert sorted(p.name for p in (tmp_path / "fresh").glob("*.schedule.json")) == doc["files"] == shipped


BENCH = ["--only", "reorder-3-bad", "--seeds", "1", "--cap", "5", "--hypothesis-cap", "2", "--max-layers", "0",
         "--max-gc-runs", "0", "--seconds", "10", "--sections", "exhaustive", "sampling", "--quiet"]


def case_bench(capsys, tmp_path):
    code, doc, _ = document_of(capsys, "bench", "--out", str(tmp_path), *BENCH)
    assert code == 0 and "partial" not in doc
    assert json.loads((tmp_path / "bench.json").read_text()) == doc  # one renderer: the file is the document
    dfs = next(r for r in doc["exhaustive"] if r["strategy"] == "dfs")
    assert dfs["program"] == "reorder-3-bad" and dfs["verdict"] == "violation"  # the bug SCTBench seeded


def case_draw(capsys, tmp_path):
    code, doc, err = document_of(capsys, "draw", str(SCHEDULE), "--happens-before", "--out", str(tmp_path))
    assert code == 0 and doc["figure"] == "happens-before" and doc["variant"] == "stat-early-return-no-lease"
    assert [Path(f).suffix for f in doc["files"]] == [".svg", ".png", ".dot", ".graphml"]
    assert all(Path(f).parent == tmp_path and Path(f).is_file() for f in doc["files"])
    text_code, text, _ = run(capsys, "draw", str(SCHEDULE), "--happens-before", "--out", str(tmp_path))
    assert text_code == code and text.splitlines() == [f"wrote {f}" for f in doc["files"]] == err.splitlines()


def case_report(capsys, tmp_path):
    canonical = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"
    code, doc, err = document_of(capsys, "report", str(canonical), "--out", str(tmp_path))
    assert code == 0 and doc["violation"]["property"] == "no-missing-parent"
    verdicts = {v["variant"]: (v["verdict"], v["property"]) for v in doc["variants"]}
    assert verdicts == HISTORY  # the 2024 reproduction replayed under each variant: only prepare-with-lease passes
    page = Path(doc["written"])
    assert page.name == "retry-after-cancel.stat-early-return.html" and page.stat().st_size == doc["bytes"]
    assert f"report written: {page} ({doc['bytes']} bytes" in err
    text_code, text, _ = run(capsys, "report", str(canonical), "--out", str(tmp_path))
    assert text_code == 0 and f"report written: {page}" in text


CASES = {"list": case_list, "check": case_check, "replay": case_replay, "compare": case_compare,
         "minimize": case_minimize, "explain": case_explain, "corpus": case_corpus, "bench": case_bench,
         "lint": case_lint, "draw": case_draw, "report": case_report}


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_json_validates_and_agrees_with_the_text(capsys, tmp_path, command):
    CASES[command](capsys, tmp_path)


def test_a_vacuous_sample_s_document_says_so_with_exit_5(capsys):
    # 300 random walks that spend the one GC run before any commit, under gc-policy any
    # (tests/scenarios/test_where_the_race_cannot_occur.py shows it on the recorded walks)
    code, doc, err = document_of(capsys, "check", "retry-after-cancel", "--variant", "prepare-with-lease",
                                 "--gc-policy", "any", "--strategy", "random", "--runs", "300", "--seed", "1",
                                 "--quiet")
    assert code == 5 and doc["result"]["verdict"] == "vacuous" and err.startswith("VACUOUS: ")
    assert doc["result"]["unreached"] == ["gc-sweeps-committed-layer"] and doc["not_sought"] == []
    assert doc["result"]["coverage"]["kind"] == "sampled" and doc["result"]["executions"] == 300


# -- errors and interrupts -------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["check", "nope", "--variant", "stat-early-return"],
                                  ["replay", "/nonexistent/x.json"],
                                  ["lint", "retry-after-cancel", "--max-states", "0"]])
def test_bad_input_prints_no_document_and_one_line(capsys, argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("unpack-race: ")


def test_an_interrupted_compare_prints_its_partial_document_and_exits_4(monkeypatch, capsys, tmp_path):
    real, calls = comparing.run_search, []

    def third_interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(comparing, "run_search", third_interrupted)
    code, doc, err = document_of(capsys, "compare", "--quiet", "--out", str(tmp_path))
    assert code == 4 and err.splitlines()[-1] == "unpack-race: interrupted"
    assert doc["outcome"] == "interrupted"
    assert doc["partial"].startswith("INTERRUPTED while searching prepare-without-lease")
    assert {r["variant"]: (r["verdict"], r["property"]) for r in doc["rows"]} == {
        v: HISTORY[v] for v in ("stat-early-return-no-lease", "stat-early-return")}
    assert json.loads((tmp_path / "compare.json").read_text())["partial"] == doc["partial"]


def test_an_interrupted_corpus_prints_its_partial_document_and_exits_4(monkeypatch, capsys, tmp_path):
    chosen = list(regression_corpus.cases())[:3]
    monkeypatch.setattr(regression_corpus, "cases", lambda: iter(chosen))
    real, calls = regression_corpus.generate, []

    def third_interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(regression_corpus, "generate", third_interrupted)
    code, doc, _ = document_of(capsys, "corpus", "--out", str(tmp_path))
    assert code == 4 and doc["partial"].startswith("interrupted after 2 of 3 cases")
    assert doc["unfinished"] == [chosen[2].filename] and doc["marker"] == str(tmp_path / regression_corpus.PARTIAL)


def test_an_interrupted_check_prints_what_it_covered_as_a_partial_document_and_exits_4(monkeypatch, capsys):
    real = checking.run_search

    def interrupted_after_two_executions(built, strategy, budget, progress, options, *estimate, **more):
        raise Interrupted(real(built, strategy, Budget(max_executions=2), progress, options, *estimate, **more))

    monkeypatch.setattr(checking, "run_search", interrupted_after_two_executions)
    code, doc, err = document_of(capsys, "check", "retry-after-cancel", "--variant", "stat-early-return", "--quiet")
    assert code == 4 and err.splitlines()[-1] == "unpack-race: interrupted"
    assert doc["partial"] == "interrupted before a verdict" and doc["counterexample"] is None
    assert doc["result"]["executions"] == 2 and doc["result"]["coverage"]["finished"] is False


def test_an_interrupted_bench_prints_bench_json_s_partial_document_and_exits_4(monkeypatch, capsys, tmp_path):
    real, rows = bench_command.progress_line, []

    def second_row_interrupted(event, row):
        if event != "programs":
            rows.append(row)
            if len(rows) == 2:
                raise KeyboardInterrupt
        return real(event, row)

    monkeypatch.setattr(bench_command, "progress_line", second_row_interrupted)
    argv = [a for a in BENCH if a != "--quiet"]  # the progress lines (on stderr) are where it stops
    code, doc, _ = document_of(capsys, "bench", "--out", str(tmp_path), *argv)
    assert code == 4 and doc["exhaustive"] == rows and doc["partial"].startswith("interrupted during")
    assert json.loads((tmp_path / "bench.json").read_text()) == doc
