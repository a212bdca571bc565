"""Ctrl-C (SIGINT) and SIGTERM end the whole command, whichever command and whenever they
come: exit 4, one line on stderr ("unpack-race: interrupted", naming SIGTERM), never a
traceback, what was finished printed and written, marked partial, and no temporary file
left behind.

Each command runs as a child process (`python -m unpack_race`, as a user runs it) and is
sent the signal at a point drawn at random (a fixed seed per case, so a failure is
reproduced): during the imports (the first second), or once its work has visibly started
(its first progress line) plus a random delay. The interpreter's own start-up, before
any line of unpack-race runs (up to about 0.1 s here), is Python's: a signal then ends in
Python's traceback or the signal's default action, and is not tested. What the command must have printed and
written then is checked: the rows or cases finished, the partial marks, and for the
corpus that a `--check` afterwards reports no false regression.

The in-process tests pin what the child tests cannot make certain: the comparison, the
corpus and the bench interrupted at a chosen point, a budget that runs out in compare and
corpus (exit 4), and signals held while files are written.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_harness import CORPUS, child_env
from unpack_race.model.variants import registered
from unpack_race.scenarios import cli, interrupts, regression_corpus
from unpack_race.scenarios.api import comparing
from unpack_race.scenarios.commands import bench_command
from unpack_race.scheduler.files import SUFFIX as PARTIAL_SUFFIX

SCHEDULE = str(CORPUS / "retry-after-cancel.stat-early-return-no-lease.schedule.json")
BIG = ["--layers", "5", "--gc-runs", "3", "--gc-policy", "any"]  # a state space no search finishes within seconds
INTERRUPTED = re.compile(r"^unpack-race: interrupted( \(SIGTERM\))?$")


class Child:
    """A command line run as a child process, its output read as it comes."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "unpack_race", *argv], cwd=cwd, env=child_env(),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self._read, args=(stream, into), daemon=True)
                        for stream, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def wait_for(self, pattern: str, timeout: float = 120) -> None:
        """Until a line of stdout or stderr matches `pattern` (or the child ends)."""
        found = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while not any(found.search(line) for line in [*self.out, *self.err]):
            if self.proc.poll() is not None:
                return
            assert time.monotonic() < deadline, f"no line matching {pattern!r} in {timeout} s"
            time.sleep(0.02)

    def signal(self, signum: int) -> bool:
        """Send `signum` if the child still runs; whether it was sent."""
        if self.proc.poll() is not None:
            return False
        self.proc.send_signal(signum)
        return True

    def end(self, timeout: float = 120) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout=10)
        return code, "".join(self.out), "".join(self.err)


def assert_interrupted(code: int, out: str, err: str) -> None:
    assert "Traceback" not in err and "Exception ignored" not in err, err[-3000:]
    assert code == 4, (code, out[-2000:], err[-2000:])
    assert INTERRUPTED.match(err.splitlines()[-1]), err[-2000:]


def no_temporaries(directory: Path) -> None:
    left = [p for p in directory.rglob("*") if p.name.endswith(PARTIAL_SUFFIX)]
    assert not left, left


def json_files_parse(directory: Path) -> None:
    for path in directory.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # a file written whole, or not at all


# -- the commands, signalled at random points -------------------------------------------

#: name: (argv with {out} for an output directory, what shows the work has started (None:
#: only a delay), the exit code when the command finishes before the signal)
COMMANDS = {
    "check": (["check", "retry-after-cancel", "--variant", "prepare-with-lease", *BIG, "--out", "{out}"],
              r"\[prepare-with-lease\] [\d,]+ executions", None),
    # 6 layers / 4 GC runs: about 10 s here, so the signal (at most 2 s after the first
    # progress line) comes while a variant is searched, on a faster machine too
    "compare": (["compare", "--layers", "6", "--gc-runs", "4", "--gc-policy", "any", "--out", "{out}"],
                r"executions, .* states", None),
    "corpus --out": (["corpus", "--out", "{out}"], r"\.schedule\.json \.\.\.$", None),
    "bench": (["bench", "--out", "{out}", "--seconds", "20", "--only", "retry-after-cancel"], r"^bench: \d+ programs",
              None),
    "lint": (["lint", "retry-after-cancel", "--layers", "3"], None, None),
    "minimize": (["minimize", SCHEDULE, "--out", "{out}"], None, 0),
    "explain": (["explain", SCHEDULE], None, 0),
    "replay": (["replay", SCHEDULE], None, 1),
}
#: (command, when, signal): "imports" is a delay in the first second; "work" the first
#: sign of work and then up to 2 s more
POINTS = [(name, when, signal.SIGINT) for name in COMMANDS for when in ("imports", "work")] + [
    ("compare", "work", signal.SIGTERM), ("corpus --out", "work", signal.SIGTERM)]


@pytest.mark.parametrize("name, when, signum", POINTS,
                         ids=[f"{n}-{w}-{signal.Signals(s).name}" for n, w, s in POINTS])
def test_a_signal_at_a_random_point_ends_the_command_with_exit_4_and_what_it_finished(tmp_path, name, when,
                                                                                      signum):
    argv, started, finished_code = COMMANDS[name]
    out = tmp_path / "out"
    rng = random.Random(f"{name} {when} {signum}")  # a string seed: the same in every process
    child = Child([a.replace("{out}", str(out)) for a in argv], tmp_path)
    if when == "imports":  # after the interpreter's own start-up (see __main__.py)
        time.sleep(rng.uniform(0.25, 0.9))
    elif started is not None:
        child.wait_for(started)
        time.sleep(rng.uniform(0.0, 2.0))
    else:  # the imports take about a second
        time.sleep(rng.uniform(0.6, 1.3))
    sent = child.signal(signum)
    code, stdout, stderr = child.end()
    no_temporaries(tmp_path)
    json_files_parse(tmp_path)
    if not sent or not stderr or not INTERRUPTED.match(stderr.splitlines()[-1]):
        # the command was done before the signal came: it must have been a quick one
        assert finished_code is not None, (name, when, code, stderr[-2000:])
        assert code == finished_code and "Traceback" not in stderr, (code, stderr[-2000:])
        print(f"{name} {when}: finished before the signal")
        return
    print(f"{name} {when}: interrupted; stdout {len(stdout)} characters")
    assert_interrupted(code, stdout, stderr)
    if signum == signal.SIGTERM:
        assert stderr.splitlines()[-1] == "unpack-race: interrupted (SIGTERM)"
    if when == "work" and name in CHECK_PARTIAL:  # what was finished is shown and written
        CHECK_PARTIAL[name](out, stdout, stderr)


def _check_partial(out: Path, stdout: str, stderr: str) -> None:
    assert stdout.startswith("INTERRUPTED: interrupted before a verdict; covered so far: exhaustive within "
                             "bounds layers=5, gc-runs=3"), stdout[:500]
    assert not out.exists() or not list(out.iterdir())  # no counterexample: nothing written


def _compare_partial(out: Path, stdout: str, stderr: str) -> None:
    assert "INTERRUPTED while searching " in stdout and "NOT AS EXPECTED" not in stdout, stdout[-2000:]
    document = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert document["outcome"] == "interrupted" and document["all_as_expected"] is False
    assert document["partial"].startswith("INTERRUPTED while searching ")
    assert "Partial: INTERRUPTED while searching" in (out / "compare.md").read_text(encoding="utf-8")
    *finished, last = document["rows"]
    assert last["verdict"] == "interrupted"
    assert all(row["verdict"] != "interrupted" for row in finished)
    for row in document["rows"]:  # each schedule a finished row names is there
        if "schedule" in row:
            assert Path(row["schedule"]).is_file()


def _corpus_partial(out: Path, stdout: str, stderr: str) -> None:
    marker = out / regression_corpus.PARTIAL
    assert marker.is_file(), stdout[-2000:]
    unfinished = regression_corpus.read_partial(out)
    assert unfinished, marker.read_text()
    written = {p.name for p in out.glob("*.schedule.json")}
    assert not written & set(unfinished)
    for name in written:  # every file finished is the shipped one, byte for byte
        assert (out / name).read_text(encoding="utf-8") == (CORPUS / name).read_text(encoding="utf-8"), name
    interrupted = re.search(r"during ([^)]+)\)", stdout).group(1)
    assert interrupted in unfinished
    assert f"{interrupted}: no counterexample" not in stdout and "left out" not in stdout.split(interrupted)[-1]
    assert "partial: interrupted after" in stdout
    # a --check of that directory does not take the files not yet written for a regression
    check = subprocess.run([sys.executable, "-m", "unpack_race", "corpus", "--check", "--out", str(out)],
                           env=child_env(), capture_output=True, text=True, timeout=600)
    assert check.returncode == 4, (check.returncode, check.stdout[-3000:], check.stderr[-2000:])
    assert "differs" not in check.stdout and "NOT up to date" not in check.stdout, check.stdout[-3000:]
    assert f"corpus in {out} is partial: no regression" in check.stdout
    # and a whole regeneration completes it: the marker is gone, --check is clean
    whole = subprocess.run([sys.executable, "-m", "unpack_race", "corpus", "--out", str(out)],
                           env=child_env(), capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0 and not marker.exists(), whole.stdout[-2000:]


def _bench_partial(out: Path, stdout: str, stderr: str) -> None:
    document = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert document["partial"].startswith("interrupted during "), document.get("partial")
    rows = sum(len(document[table]) for table in ("exhaustive", "sampling", "growth"))
    assert f"the {rows} rows finished before" in document["partial"]
    assert "**Partial**: interrupted during" in (out / "bench.md").read_text(encoding="utf-8")
    assert "partial: interrupted during" in stdout


def _lint_partial(out: Path, stdout: str, stderr: str) -> None:
    # lint prints its reports at the end: interrupted, the variants it finished, and then
    # what it was linting (nothing when the signal came before the first variant's lint)
    if stdout:
        assert re.search(rf"^interrupted while linting retry-after-cancel \[[a-z.-]+\]: \d of {len(registered())} "
                         r"variants linted; nothing is known of the others$", stdout, re.M), stdout[-2000:]


CHECK_PARTIAL = {"check": _check_partial, "compare": _compare_partial, "corpus --out": _corpus_partial,
                 "bench": _bench_partial, "lint": _lint_partial}


# -- in process: interrupted at a chosen point ------------------------------------------


def interrupting_on_call(monkeypatch, module, name: str, call: int) -> list[int]:
    """Make `module.name` raise KeyboardInterrupt (as Ctrl-C does) on its `call`-th call."""
    real, calls = getattr(module, name), []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return calls


def test_compare_interrupted_in_the_third_variant_shows_and_writes_the_two_finished_and_exits_4(
        monkeypatch, capsys, tmp_path):
    interrupting_on_call(monkeypatch, comparing, "run_search", 3)
    code = cli.main(["compare", "--quiet", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 4 and err.splitlines()[-1] == "unpack-race: interrupted", err
    document = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))
    # the two variants finished, with the verdicts containerd's history gives them (both violate)
    assert [(r["variant"], r["verdict"]) for r in document["rows"]] == [
        ("stat-early-return-no-lease", "violation"), ("stat-early-return", "violation")]
    assert document["outcome"] == "interrupted"
    later = ", ".join(v.name for v in registered()[3:])
    assert document["partial"] == (f"INTERRUPTED while searching prepare-without-lease: 2 of {len(registered())} "
                                   f"variants finished; not searched: {later}")
    assert sorted(p.name for p in tmp_path.glob("*.schedule.json")) == [
        "retry-after-cancel.stat-early-return-no-lease.schedule.json", "retry-after-cancel.stat-early-return.schedule.json"]
    assert "NOT AS EXPECTED" not in out


def few_cases(monkeypatch, count: int = 4) -> list[str]:
    """The corpus limited to its first `count` cases (their file names)."""
    chosen = list(regression_corpus.cases())[:count]
    monkeypatch.setattr(regression_corpus, "cases", lambda: iter(chosen))
    return [c.filename for c in chosen]


def test_a_corpus_interrupted_in_its_third_case_writes_two_marks_the_rest_and_check_sees_no_regression(
        monkeypatch, capsys, tmp_path):
    names = few_cases(monkeypatch)
    with monkeypatch.context() as m:
        interrupting_on_call(m, regression_corpus, "generate", 3)
        code = cli.main(["corpus", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 4 and err.splitlines()[-1] == "unpack-race: interrupted", err
    assert sorted(p.name for p in tmp_path.glob("*.schedule.json")) == sorted(names[:2])
    assert regression_corpus.read_partial(tmp_path) == tuple(names[2:])
    assert "left out" not in out
    assert f"partial: interrupted after 2 of 4 cases (during {names[2]})" in out

    code = cli.main(["corpus", "--check", "--out", str(tmp_path)])  # not interrupted
    out, err = capsys.readouterr()
    assert code == 4, out
    assert sorted(line for line in out.splitlines() if line.startswith("  not yet written")) == sorted(
        f"  not yet written: {name} (the directory's last regeneration was partial: see {regression_corpus.PARTIAL})"
        for name in names[2:])
    assert "differs" not in out and "stale" not in out

    assert cli.main(["corpus", "--out", str(tmp_path)]) == 0  # whole again: the marker goes
    assert not (tmp_path / regression_corpus.PARTIAL).exists()
    assert cli.main(["corpus", "--check", "--out", str(tmp_path)]) == 0
    (tmp_path / names[0]).unlink()  # and a file lost without a marker is a regression
    assert cli.main(["corpus", "--check", "--out", str(tmp_path)]) == 1
    capsys.readouterr()


def test_a_corpus_case_whose_budget_runs_out_makes_it_partial_exit_4_and_never_left_out(
        monkeypatch, capsys, tmp_path):
    names = few_cases(monkeypatch, 2)
    monkeypatch.setattr(regression_corpus, "MAX_EXECUTIONS", 1)  # no DFS finds a violation in its first execution
    code = cli.main(["corpus", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 4, (out, err)
    assert "left out" not in out
    assert [line for line in out.splitlines() if line.startswith("  no verdict")] == [
        f"  no verdict: {name}: no verdict within 1 executions (the search's budget ran out)" for name in names]
    assert regression_corpus.read_partial(tmp_path) == tuple(names)


def test_the_bench_interrupted_after_its_second_row_writes_the_rows_marked_partial_and_exits_4(
        monkeypatch, capsys, tmp_path):
    real, rows = bench_command.progress_line, []

    def line(event, row):
        if event != "programs":
            rows.append(row)
            if len(rows) == 2:
                raise KeyboardInterrupt
        return real(event, row)

    monkeypatch.setattr(bench_command, "progress_line", line)
    code = cli.main(["bench", "--out", str(tmp_path), "--only", "account-bad", "--seconds", "5"])
    out, err = capsys.readouterr()
    assert code == 4, (out, err)
    document = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert document["exhaustive"] == rows  # the rows finished, the interrupted one with them (it was finished)
    assert document["partial"] == ("interrupted during the exhaustive strategies on account-bad; the tables hold "
                                   "the 2 rows finished before")
    assert "**Partial**" in (tmp_path / "bench.md").read_text(encoding="utf-8")


def test_signals_are_held_while_files_are_written_and_raised_after():
    hook = sys.unraisablehook
    interrupts.install()
    try:
        done = []
        with pytest.raises(KeyboardInterrupt):
            with interrupts.held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)
                done.append("written")  # the block ran to its end
        assert done == ["written"]
        assert interrupts.message() == "unpack-race: interrupted (SIGTERM)"
        with interrupts.held(reraise=False):  # already ending: the signal is dropped
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.unraisablehook = hook
        interrupts.received = None


def test_an_interrupt_python_could_not_raise_is_delivered_again(tmp_path):
    # the signal handler can run inside a weakref callback (importlib's module-lock one,
    # during an import), where its KeyboardInterrupt is "Exception ignored" and lost; a
    # callback raising it stands for that here
    script = tmp_path / "lost.py"
    script.write_text(
        "import sys, time, weakref\n"
        "from unpack_race.scenarios import interrupts\n"
        "interrupts.install()\n"
        "class T: pass\n"
        "def callback(ref): raise KeyboardInterrupt\n"
        "t = T(); ref = weakref.ref(t, callback)\n"
        "try:\n"
        "    del t\n"
        "    time.sleep(5)\n"
        "    print('the interrupt was lost'); sys.exit(0)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted'); sys.exit(4)\n")
    proc = subprocess.run([sys.executable, str(script)], env=child_env(), capture_output=True, text=True,
                          timeout=60)
    assert (proc.returncode, proc.stdout) == (4, "interrupted\n"), (proc.stdout, proc.stderr)
    assert "Exception ignored" not in proc.stderr, proc.stderr


def test_the_files_the_bench_keeps_after_each_row_do_not_import_matplotlib(tmp_path):
    # a Ctrl-C inside matplotlib's import, which the kept files once made during the work,
    # left it half imported, and the final write then failed (exit 3 instead of 4)
    script = (
        "import sys, pathlib\n"
        "from unpack_race.scenarios.commands.bench_command import write\n"
        "data = {'date': '2026-12-02', 'seconds': 1.0, 'settings': {'seeds': 1},\n"
        "        'machine': {'cores': 2, 'python': '3.11', 'platform': 'linux', 'commit': 'abc'},\n"
        "        'exhaustive': [], 'sampling': [], 'growth': []}\n"
        f"write(pathlib.Path({str(tmp_path)!r}), data, 'unpack-race bench', 4)\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr
    assert (tmp_path / "bench.md").exists()
