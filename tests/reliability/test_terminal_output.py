"""On a terminal, and off it: the command run as a child process whose stdout and stderr
are a pseudo-terminal (pty.openpty) or pipes. On a terminal the progress line is redrawn
in place and erased before the result, and the verdict is coloured, unless NO_COLOR is set
to anything but the empty string (https://no-color.org); in pipes, and with --json, no
escape sequence at all."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

import pytest
from cli_harness import child, child_env
from unpack_race.scenarios.commands.colour import GREEN, RED, RESET
from unpack_race.scenarios.commands.progress import ERASE

VIOLATES = ["check", "retry-after-cancel", "--variant", "stat-early-return"]
PASSES = ["check", "retry-after-cancel", "--variant", "prepare-with-lease"]


def on_a_terminal(argv: list[str], tmp_path, columns: int = 200, stdout=None, **environment: str) -> tuple[int, str]:
    """Exit code and everything the child wrote to its terminal, a terminal `columns` wide:
    stdout and stderr both, or stderr alone when `stdout` is given (a file)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {key: value for key, value in child_env().items() if key not in ("NO_COLOR", "TERM", "COLUMNS", "LINES")}
    env.update(TERM="xterm", **environment)
    proc = subprocess.Popen([sys.executable, "-m", "unpack_race", *argv], cwd=tmp_path, env=env,
                            stdin=subprocess.DEVNULL, stdout=terminal if stdout is None else stdout, stderr=terminal)
    os.close(terminal)
    seen = b""
    try:
        while select.select([controller], [], [], 120)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed its end of the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(controller)
    return proc.wait(timeout=120), seen.decode("utf-8")


def test_on_a_terminal_a_violation_is_red_and_a_pass_green(tmp_path):
    code, seen = on_a_terminal([*VIOLATES, "--out", str(tmp_path)], tmp_path)
    assert code == 1 and f"{RED}VIOLATION{RESET}: " in seen, seen[-2000:]
    code, seen = on_a_terminal(PASSES, tmp_path)
    assert code == 0 and f"{GREEN}PASS{RESET}: " in seen, seen[-2000:]


@pytest.mark.parametrize("value", ["1", "yes", "0"])
def test_no_color_set_to_anything_turns_colour_off(tmp_path, value):
    code, seen = on_a_terminal([*VIOLATES, "--out", str(tmp_path)], tmp_path, NO_COLOR=value)
    assert code == 1 and "\nVIOLATION: " in seen.replace("\r\n", "\n") and "\x1b[3" not in seen, seen[-2000:]


def test_no_color_set_to_the_empty_string_is_not_set(tmp_path):
    code, seen = on_a_terminal(PASSES, tmp_path, NO_COLOR="")
    assert code == 0 and f"{GREEN}PASS{RESET}" in seen


def test_with_json_nothing_is_coloured_even_on_a_terminal(tmp_path):
    code, seen = on_a_terminal([*PASSES, "--json"], tmp_path)
    assert code == 0 and "\x1b[3" not in seen and '"format": "unpack-race.check"' in seen


def test_on_a_terminal_the_progress_line_is_redrawn_in_place_and_erased_before_the_result(tmp_path):
    code, seen = on_a_terminal([*PASSES, "--layers", "3"], tmp_path)
    assert code == 0
    assert "\r  [prepare-with-lease] " in seen and f" steps/s{ERASE}" in seen, seen[:2000]
    before, result = seen.split(f"{GREEN}PASS{RESET}", 1)
    assert before.endswith(f"\r{ERASE}")  # the line erased, the result on a clean line
    assert "executions/s" not in result


def test_on_a_narrow_terminal_the_progress_line_is_cut_to_its_width(tmp_path):
    code, seen = on_a_terminal([*PASSES, "--layers", "3"], tmp_path, columns=50)
    drawn = re.findall(r"\r([^\r\n]*?)" + re.escape(ERASE), seen)
    assert code == 0 and [line for line in drawn if line], seen[:2000]
    assert all(len(line) <= 49 for line in drawn), drawn  # never wrapped, so \r goes back to its start


def test_with_stdout_in_a_file_the_progress_is_cut_to_stderr_s_terminal_and_the_result_not_coloured(tmp_path):
    with open(tmp_path / "result.txt", "w") as result:
        code, seen = on_a_terminal([*PASSES, "--layers", "3"], tmp_path, columns=50, stdout=result)
    drawn = re.findall(r"\r([^\r\n]*?)" + re.escape(ERASE), seen)
    assert code == 0 and [line for line in drawn if line] and all(len(line) <= 49 for line in drawn), drawn
    assert (tmp_path / "result.txt").read_text().startswith("PASS: ")  # no colour in a file


def test_in_pipes_nothing_is_redrawn_or_coloured(tmp_path):
    proc = child(*PASSES, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("PASS: ")
    assert "\x1b" not in proc.stdout + proc.stderr and "\r" not in proc.stderr
    assert proc.stderr.startswith("  [prepare-with-lease] ")  # a line of its own


def test_only_the_verdict_opening_a_line_is_coloured():
    from unpack_race.scenarios.commands.colour import YELLOW, coloured
    text = "x PASS\nSOME VERDICTS ARE NOT AS EXPECTED: a\nevery verdict is the expected one; b\nBUDGET: c\nPASSED"
    assert coloured(text, on=True) == (f"x PASS\n{RED}SOME VERDICTS ARE NOT AS EXPECTED{RESET}: a\n"
                                       f"{GREEN}every verdict is the expected one{RESET}; b\n{YELLOW}BUDGET{RESET}: c\n"
                                       f"PASSED")
    assert coloured(text, on=False) == text
