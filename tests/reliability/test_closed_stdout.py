"""A reader that closes the pipe (`unpack-race check ... | head -1`) or a full disk on
stdout does not change the exit code: it is the verdict's, the same as with stdout on a
file, and never success for a violation; stderr says the output was cut short, and there
is no traceback, nor Python's "Exception ignored ... BrokenPipeError" at exit.

The reference exit code of each command comes from the same command with stdout on a
regular file; the command line's documented exit codes (1 a violation, 0 a pass, 4 a
budget that ran out) are checked on it too.
"""

from __future__ import annotations

import fcntl
import io
import subprocess
import sys

import pytest
from cli_harness import CORPUS, child_env, run
from unpack_race.scenarios import cli

SCHEDULE = str(CORPUS / "retry-after-cancel.stat-early-return-no-lease.schedule.json")
RACE = ["retry-after-cancel", "--quiet"]
#: command, its exit code by the command line's documentation
COMMANDS = {
    "check of a buggy variant (a violation)": (["check", *RACE, "--variant", "stat-early-return"], 1),
    "check of the fix (a pass)": (["check", *RACE, "--variant", "prepare-with-lease", "--no-overlap"], 0),
    "check with a budget that runs out": (["check", *RACE, "--variant", "prepare-with-lease",
                                           "--max-executions", "10"], 4),
    "replay of a violating schedule": (["replay", SCHEDULE], 1),
    "list": (["list"], 0),
}
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux


def command_line(argv, tmp_path):
    """argv with a fresh --out directory for a check, so that runs do not share files."""
    if argv[0] == "check":
        out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
        return [*argv, "--out", str(out)]
    return list(argv)


def spawn(argv, tmp_path, stdout):
    return subprocess.Popen([sys.executable, "-m", "unpack_race", *command_line(argv, tmp_path)], cwd=tmp_path,
                            env=child_env(), stdout=stdout, stderr=subprocess.PIPE, text=True)


_REFERENCES: dict[tuple[str, ...], int] = {}


def reference(argv, tmp_path) -> int:
    """The exit code with stdout on a regular file (run once per command)."""
    if tuple(argv) not in _REFERENCES:
        with open(tmp_path / "stdout.txt", "w") as handle:
            proc = spawn(argv, tmp_path, handle)
            _, err = proc.communicate(timeout=300)
        assert "Traceback" not in err, err
        _REFERENCES[tuple(argv)] = proc.returncode
    return _REFERENCES[tuple(argv)]


def assert_clean(err: str, cut: bool) -> None:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    said = [line for line in err.splitlines() if "cut short" in line]
    assert len(said) == 1 if cut else len(said) <= 1, err


@pytest.mark.parametrize("argv, documented", list(COMMANDS.values()), ids=list(COMMANDS))
def test_a_pipe_closed_before_any_output_keeps_the_exit_code_of_the_verdict(tmp_path, argv, documented):
    expected = reference(argv, tmp_path)
    assert expected == documented
    for _ in range(3):
        proc = spawn(argv, tmp_path, subprocess.PIPE)
        proc.stdout.close()  # the reader is gone before the first byte: every write breaks the pipe
        err = proc.stderr.read()
        proc.wait(timeout=300)
        assert proc.returncode == expected, err
        assert_clean(err, cut=True)
        assert "reader closed the pipe" in err and f"exit code {expected}" in err


@pytest.mark.parametrize("argv, documented", [COMMANDS["check of a buggy variant (a violation)"],
                                              COMMANDS["list"]], ids=["check", "list"])
def test_a_reader_that_stops_after_the_first_line_does_not_change_the_exit_code(tmp_path, argv, documented):
    expected = reference(argv, tmp_path)
    assert expected == documented
    for _ in range(5):  # like `| head -1`: whether the pipe breaks depends on timing; the code never does
        proc = spawn(argv, tmp_path, subprocess.PIPE)
        try:
            fcntl.fcntl(proc.stdout.fileno(), F_SETPIPE_SZ, 4096)  # the smallest pipe: `list` cannot fit in it
        except OSError:
            pass
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        proc.wait(timeout=300)
        assert first.strip(), err
        assert proc.returncode == expected, err
        assert_clean(err, cut=False)


@pytest.mark.parametrize("argv, documented", [COMMANDS["check of a buggy variant (a violation)"],
                                              COMMANDS["check of the fix (a pass)"],
                                              COMMANDS["replay of a violating schedule"]],
                         ids=["check-violation", "check-pass", "replay"])
def test_a_full_disk_on_stdout_keeps_the_exit_code_and_says_so(tmp_path, argv, documented):
    expected = reference(argv, tmp_path)
    assert expected == documented
    with open("/dev/full", "w") as full:
        proc = spawn(argv, tmp_path, full)
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == expected, err
    assert_clean(err, cut=True)
    assert "No space left on device" in err


class Broken(io.StringIO):
    """A stdout whose reader went away after `after` characters."""

    def __init__(self, after: int, error: OSError) -> None:
        super().__init__()
        self.after, self.error = after, error

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.after:
            raise self.error
        return super().write(text)


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), OSError(28, "No space left on device"),
                                   OSError(5, "Input/output error")], ids=["EPIPE", "ENOSPC", "EIO"])
@pytest.mark.parametrize("after", [0, 200])
def test_in_process_a_failing_stdout_leaves_the_command_its_exit_code(capsys, monkeypatch, error, after):
    expected = run(capsys, "replay", SCHEDULE).code
    assert expected == 1
    monkeypatch.setattr(sys, "stdout", Broken(after, error))
    assert cli.main(["replay", SCHEDULE]) == expected
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cut short" in err and "exit code 1" in err, err
