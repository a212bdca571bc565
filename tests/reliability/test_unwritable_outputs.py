"""An `--out` directory that passed the up-front check can still refuse a file the command
writes into it: a file of that name that is a directory, a full disk. The command then
exits 2 with one line on stderr naming the file and why, never 3 (an internal error), and
leaves no temporary file behind."""

from __future__ import annotations

import errno

import pytest
from cli_harness import CORPUS
from unpack_race.scenarios import cli, regression_corpus
from unpack_race.scheduler import files
from unpack_race.scheduler.files import SUFFIX as PARTIAL_SUFFIX

SCHEDULE = CORPUS / "retry-after-cancel.stat-early-return-no-lease.schedule.json"
TINY_BENCH = ["--only", "account-bad", "--seeds", "1", "--cap", "5", "--hypothesis-cap", "2", "--max-layers", "0",
              "--max-gc-runs", "0", "--seconds", "5", "--sections", "exhaustive", "sampling"]


def refused_writing(capsys, tmp_path, argv: list[str], blocked: str) -> str:
    """Run `argv` with `--out tmp_path/out`, where the file `blocked` is a directory: exit 2,
    one line naming it; the line."""
    out = tmp_path / "out"
    (out / blocked).mkdir(parents=True)
    code = cli.main([*argv, "--out", str(out), "-q"])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "internal error" not in err, err
    line = err.splitlines()[0]
    assert line.startswith("unpack-race: --out ") and f": cannot write {blocked} (Is a directory); " in line, line
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(PARTIAL_SUFFIX)]
    return line


def test_check_whose_schedule_name_is_a_directory_exits_2(capsys, tmp_path):
    refused_writing(capsys, tmp_path, ["check", "retry-after-cancel", "--variant", "stat-early-return"],
                    "retry-after-cancel.stat-early-return.schedule.json")


def test_minimize_whose_result_name_is_a_directory_exits_2(capsys, tmp_path):
    refused_writing(capsys, tmp_path, ["minimize", str(SCHEDULE)],
                    "retry-after-cancel.stat-early-return-no-lease.min.schedule.json")


def test_compare_whose_markdown_name_is_a_directory_exits_2(capsys, tmp_path):
    refused_writing(capsys, tmp_path, ["compare", "--max-executions", "5"], "compare.md")


def test_a_bench_whose_json_name_is_a_directory_exits_2_at_its_first_row(capsys, tmp_path):
    refused_writing(capsys, tmp_path, ["bench", *TINY_BENCH], "bench.json")


def test_a_corpus_whose_file_name_is_a_directory_exits_2(monkeypatch, capsys, tmp_path):
    first = next(regression_corpus.cases())
    monkeypatch.setattr(regression_corpus, "cases", lambda: iter([first]))
    refused_writing(capsys, tmp_path, ["corpus"], first.filename)


def test_a_full_disk_is_one_line_naming_the_file_and_exit_2(monkeypatch, capsys, tmp_path):
    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    code = cli.main(["bench", *TINY_BENCH, "--out", str(tmp_path), "-q"])
    _, err = capsys.readouterr()
    assert code == 2 and err.endswith(": cannot write bench.json (No space left on device); clear the way for it, "
                                      "or choose another --out\n") and len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_the_one_line_is_all_of_stderr_with_quiet(capsys, tmp_path, flag):
    (tmp_path / "out" / "retry-after-cancel.stat-early-return.schedule.json").mkdir(parents=True)
    code = cli.main(["check", "retry-after-cancel", "--variant", "stat-early-return", "--out", str(tmp_path / "out"),
                     flag])
    assert code == 2 and len(capsys.readouterr().err.splitlines()) == 1
