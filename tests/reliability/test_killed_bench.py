"""A bench killed outright (SIGKILL: no handler runs, nothing is written at the end) keeps
every row it measured: bench.json and bench.md are rewritten after each row, atomically,
marked partial."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from cli_harness import child_env
from unpack_race.reports.documents import validate
from unpack_race.scheduler.files import SUFFIX as PARTIAL_SUFFIX

#: a bench of a few rows on one small program, then a growth table that takes a while, so
#: that it is still running when its first row is on disk
BENCH = ["bench", "--only", "account-bad", "--seeds", "1", "--cap", "5", "--hypothesis-cap", "2",
         "--max-layers", "3", "--max-gc-runs", "2", "--seconds", "30"]


def test_a_bench_killed_after_its_first_row_keeps_it_in_files_that_validate_and_say_partial(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "unpack_race", *BENCH, "--out", str(out), "-q"], cwd=tmp_path,
                            env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out / "bench.md").exists():  # written after bench.json
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no bench.md within 120 s"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    proc.stderr.close()
    document = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    validate(document)
    assert document["exit_code"] == 4 and document["partial"].startswith("still running when written"), document
    measured = sum(len(document[table]) for table in ("exhaustive", "sampling", "growth"))
    assert measured >= 1 and f": {measured} of " in document["partial"]
    assert document["exhaustive"][0]["program"] == "account-bad"
    markdown = (out / "bench.md").read_text(encoding="utf-8")
    assert "**Partial**: still running when written" in markdown and "| account-bad |" in markdown


def test_the_next_write_removes_a_killed_bench_s_temporary_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    left = out / f".bench.json.{dead}{PARTIAL_SUFFIX}"  # as a writer killed between write and rename leaves it
    left.write_text("{")
    proc = subprocess.run([sys.executable, "-m", "unpack_race", *BENCH[:-6], "--max-layers", "0",
                           "--max-gc-runs", "0", "--seconds", "5", "--sections", "exhaustive", "sampling", "--out", str(out), "-q"],
                          cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert not left.exists()
