"""-q, the default and -v on the command line: what each shows on stderr while the work
runs (progress, rows, cases, settings), that stdout carries only the result, and the bench
handing over its document after each row."""

from __future__ import annotations

import re

import pytest
from unpack_race.reports.documents import validate
from unpack_race.scenarios import bench, cli, regression_corpus
from unpack_race.scenarios.commands.progress import ERASE

RACE = ["check", "retry-after-cancel", "--variant", "prepare-with-lease"]
SAMPLED = [*RACE, "--strategy", "random", "--runs", "300", "--seed", "1"]
PROGRESS = re.compile(r"^  \[prepare-with-lease\] [\d,]+ executions")
BENCH = ["--only", "account-bad", "--seeds", "1", "--cap", "5", "--hypothesis-cap", "2", "--max-layers", "0",
         "--max-gc-runs", "0", "--seconds", "10", "--sections", "exhaustive", "sampling"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_quiet_shows_no_progress_and_the_same_result_as_by_default(capsys):
    code, out, err = run(capsys, *SAMPLED)
    quiet_code, quiet_out, quiet_err = run(capsys, *SAMPLED, "-q")
    assert quiet_err == "" and any(PROGRESS.match(line) for line in err.splitlines()), err
    strip = lambda text: [line for line in text.splitlines() if " steps in " not in line]  # noqa: E731 - timings
    assert (quiet_code, strip(quiet_out)) == (code, strip(out))
    assert run(capsys, *SAMPLED, "--quiet")[2] == ""  # the long name too


def test_the_hypothesis_search_shows_its_progress_too_and_finds_the_same_with_or_without_it(capsys):
    argv = ["check", "retry-after-cancel", "--variant", "stat-early-return", "--strategy", "hypothesis", "--runs", "60"]
    code, out, err = run(capsys, *argv)
    assert re.search(r"^  \[stat-early-return\] [\d,]+ executions of 60, ", err, re.M), err
    quiet_code, quiet_out, _ = run(capsys, *argv, "-q")
    strip = lambda text: [line for line in text.splitlines() if " steps in " not in line]  # noqa: E731 - timings
    assert (quiet_code, strip(quiet_out)) == (code, strip(out))  # the display changes nothing of the search


def test_progress_never_goes_to_stdout_and_in_a_pipe_is_whole_lines(capsys):
    code, out, err = run(capsys, *SAMPLED, "-v")
    assert "executions/s" not in out and "search:" not in out
    assert "\r" not in err and ERASE not in err  # capsys is no terminal: nothing is redrawn


def test_a_sampling_search_says_of_how_many_runs_and_about_how_long_is_left(capsys):
    _, _, err = run(capsys, *SAMPLED)
    line = next(line for line in err.splitlines() if PROGRESS.match(line))
    assert re.match(r"^  \[prepare-with-lease\] [\d,]+ executions of 300, \d+ s elapsed, "
                    r"(about [\d\w ]+ left|less than a second left), ", line), line


def test_a_time_budget_bounds_the_estimate_of_an_exhaustive_search(capsys):
    _, _, err = run(capsys, *RACE, "--max-seconds", "100")
    line = next(line for line in err.splitlines() if PROGRESS.match(line))
    assert ", at most 1 min " in line and " of " not in line.split("executions")[0], line


def test_verbose_shows_the_search_s_settings_first(capsys):
    _, _, err = run(capsys, *SAMPLED, "-v")
    assert err.splitlines()[0] == "  search: random (runs 300, seed 1); budget: none (to the end of the search)"
    _, _, err = run(capsys, *RACE, "--max-executions", "40", "-v")  # the default, auto, and its one option
    assert err.splitlines()[0] == "  search: auto (restore on); budget: 40 executions"
    _, _, err = run(capsys, *RACE, "--strategy", "dfs", "--max-executions", "40", "-v")
    assert err.splitlines()[0] == ("  search: dfs (preemption-bound none, restore on, sleep-sets off, state-caching on); budget: 40 executions")
    assert " executions of 40, " in err.splitlines()[1]  # (no estimate by default under state caching)
    _, _, err = run(capsys, *RACE, "--strategy", "dfs", "--max-executions", "40", "--estimate-probes", "20", "-v")
    assert err.splitlines()[1].startswith("  estimate: ")  # then the search's cost estimate (scheduler/estimate.py)
    assert " executions of 40, " in err.splitlines()[2]


def test_quiet_and_verbose_together_are_refused_in_one_line(capsys):
    code, out, err = run(capsys, *RACE, "-q", "-v")
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "not allowed with" in err, err


def test_a_bad_input_with_verbose_is_still_refused_in_one_line(capsys):
    code, out, err = run(capsys, "check", "retry-after-cancel", "--variant", "no-such-variant", "-v")
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("command", [name for name in cli.COMMANDS if name != "list"])
def test_every_command_that_works_a_while_takes_quiet_and_verbose(command):
    parser = next(a for a in cli.build_parser()._actions if a.dest == "command").choices[command]
    flags = {flag for action in parser._actions for flag in action.option_strings}
    assert {"-q", "--quiet", "-v", "--verbose"} <= flags


def test_the_compare_progress_says_which_variant_of_how_many(capsys):
    from unpack_race.model.variants import registered
    _, _, err = run(capsys, "compare", "--max-executions", "30")
    count = len(registered())
    for place, variant in enumerate(registered(), 1):
        assert f"  [{variant.name}, variant {place} of {count}] " in err, err


def test_the_corpus_shows_each_case_with_how_far_it_has_come_on_stderr_unless_quiet(monkeypatch, capsys, tmp_path):
    chosen = list(regression_corpus.cases())[:2]
    monkeypatch.setattr(regression_corpus, "cases", lambda: iter(chosen))
    code, out, err = run(capsys, "corpus", "--out", str(tmp_path))
    assert code == 0
    assert re.search(rf"^  \[0 of 2 cases, \d+ s elapsed\] {re.escape(chosen[0].filename)} \.\.\.$", err, re.M), err
    assert re.search(rf"^  \[1 of 2 cases, \d+ s elapsed, (about .+|less than a second) left\] "
                     rf"{re.escape(chosen[1].filename)} \.\.\.$", err, re.M), err
    assert ".schedule.json ..." not in out  # progress, not the result
    code, out, err = run(capsys, "corpus", "--check", "--out", str(tmp_path), "-q")
    assert code == 0 and err == ""


def test_the_bench_counts_its_rows_as_it_measures_them(capsys, tmp_path):
    code, out, err = run(capsys, "bench", "--out", str(tmp_path), *BENCH)
    assert code == 0
    lines = err.splitlines()
    # 5 exhaustive searches (dfs, dpor, bfs, auto, dfs with sleep sets), 8 samplers (random, PCT at 3 depths,
    # POS, URW, SURW, hypothesis): a bug to find
    assert lines[0] == "bench: 1 programs, 13 rows to measure"
    for done, line in enumerate(lines[1:], 1):
        assert f" [{done} of 13 rows, " in line, line
    assert len(lines) == 14
    assert run(capsys, "bench", "--out", str(tmp_path), *BENCH, "-q")[2] == ""
    verbose = run(capsys, "bench", "--out", str(tmp_path), *BENCH, "-v")[2].splitlines()
    assert verbose[0].startswith("  bench: seconds 10.0, seeds 1, cap 5, hypothesis-cap 2, ") and verbose[1:] == [
        line for line in verbose[1:] if line.startswith(("bench: ", "  account-bad "))]


def test_after_each_row_the_bench_hands_over_its_document_so_far_marked_partial(monkeypatch, tmp_path):
    kept = []
    settings = bench.settings(seconds=10, seeds=1, cap=5, hypothesis_cap=2, max_layers=0, max_gc_runs=0,
                              sections=["exhaustive", "sampling"], only=["account-bad"])
    whole = bench.run(settings, keep=kept.append)
    rows = lambda doc: [row for table in ("exhaustive", "sampling", "growth") for row in doc[table]]  # noqa: E731
    assert [len(rows(doc)) for doc in kept] == list(range(1, len(rows(whole)) + 1))
    assert all(rows(doc) == rows(whole)[:len(rows(doc))] for doc in kept)  # each the rows so far, as measured
    assert all(doc["partial"].startswith("still running when written") for doc in kept) and "partial" not in whole
    assert f"{len(rows(whole))} of {len(rows(whole))} rows measured" in kept[-1]["partial"]
    for doc in kept:
        validate({"format": "unpack-race.bench", "version": 1, "exit_code": 4, **doc, "command": "unpack-race bench"})


def test_lint_shows_each_variant_with_how_far_it_has_come_on_stderr_unless_quiet(capsys):
    code, out, err = run(capsys, "lint", "lastzero")
    assert code == 0 and re.fullmatch(r"  \[0 of 1 variants, \d+ s elapsed\] as-written \.\.\.\n", err), err
    assert "as-written ..." not in out  # progress, not the report
    assert run(capsys, "lint", "lastzero", "-q")[2] == ""
