"""A Hypothesis fuzzer of every command's options: argument lists built from the parser's
own actions (each option with a value fit for its kind, or an edge value: negative, 0,
NaN, infinite, a number of 5,000 digits, an empty or huge string, a NUL character; each
path one of the places a command cannot use, or one it can), plus stray words.

Whatever the arguments, the command line never exits 3 and never prints a traceback; an
error is one line of bounded length (exit 2); and nothing is written. The commands stop
where their work would start (cli_harness.stop_before_work), so every accepted argument
list costs no search, and no search can run long.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import pytest
from cli_harness import CORPUS, assert_refused, files_under, fuzz_examples, run, stop_before_work
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from unpack_race.scenarios import cli
from unpack_race.scenarios.registry import SCENARIOS

FUZZ = settings(max_examples=fuzz_examples(120), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

PARSER = cli.build_parser()
SUBPARSERS = next(a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction)).choices
PARAMS = {p.name for s in SCENARIOS.values() for p in s.params}
NAMES = sorted(SCENARIOS) + sorted({v for s in SCENARIOS.values() for v in s.variants})

EDGES = ["", "-1", "0", "1", "2", "nan", "inf", "-inf", "1e999", "1.5", " 3 ", "1_000", "0x10", "١٢",
         "9" * 50, "9" * 5000, str(2**64), "x" * 50_000, "a\nb", "a\0b", "-", "--", "-h"]
junk = st.text(max_size=12) | st.sampled_from(EDGES)
numbers = st.integers(-3, 60).map(str) | st.floats(allow_nan=True, allow_infinity=True).map(repr) | junk
#: paths: names below the working directory (a temporary one) and the inputs, or the
#: places no command can write or read: filled in with the test's directories
PLACES = ["{work}/out", "{work}/new/deeper", "out2", "{inputs}/afile", "{inputs}/adir", "{inputs}/afile/x",
          "{inputs}/fifo", "{inputs}/deep.json", "{inputs}/schedule.json", "{inputs}/missing.json",
          "/proc/unpack-race", "/proc/self/x", "/dev/full", "/dev/zero", "/", "", "a\0b", "x" * 5000]
paths = st.sampled_from(PLACES) | st.text(max_size=10).filter(lambda t: ".." not in t and not t.startswith(("/", "~")))


def mostly(good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A good value seven times in eight, so that the other options get checked too; else junk."""
    return st.sampled_from([True] * 7 + [False]).flatmap(lambda fine: good if fine else junk)


def value_for(action: argparse.Action, scenario: str) -> st.SearchStrategy[list[str]]:
    """The words that give `action` a value (none for a flag), for a command on `scenario`."""
    kind = getattr(action.type, "__name__", None)
    if action.nargs == 0:
        return st.just([])
    if action.choices:
        one = mostly(st.sampled_from(sorted(action.choices)))
    elif kind in ("whole number", "number of seconds"):
        one = st.sampled_from([True] * 7 + [False]).flatmap(lambda fine: st.integers(1, 6).map(str) if fine
                                                             else numbers)
    elif action.dest == "file":
        one = mostly(st.just("{inputs}/schedule.json")) | paths
    elif kind in ("directory", "file name", "Path") or action.dest == "out":
        one = mostly(st.sampled_from(["{work}/out", "out2", "{work}/new/deeper"])) | paths
    elif action.dest in ("scenario", "only"):
        one = mostly(st.just(scenario)) | st.sampled_from(NAMES)
    elif action.dest == "variant":
        one = mostly(st.sampled_from(SCENARIOS[scenario].variants)) | st.sampled_from(NAMES)
    else:
        one = mostly(st.sampled_from(NAMES))
    if action.nargs in ("*", "+"):
        return st.lists(one, max_size=3)
    return one.map(lambda v: [v])


@st.composite
def argv_for(draw, command: str) -> list[str]:
    parser = SUBPARSERS[command]
    scenario = draw(st.sampled_from(sorted(SCENARIOS)))
    words = [command]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:  # a positional: nearly always given
            if draw(st.integers(0, 9)) > 0:
                words += draw(value_for(action, scenario))
            continue
        elsewhere = action.dest in PARAMS and action.dest not in {p.name for p in SCENARIOS[scenario].params}
        if draw(st.integers(0, 15 if elsewhere else 3)) == 0 or action.required or action.dest == "variant":
            words += [draw(st.sampled_from(action.option_strings)), *draw(value_for(action, scenario))]
    if draw(st.integers(0, 9)) == 0:  # now and then a stray word somewhere
        words.insert(draw(st.integers(1, len(words))), draw(junk))
    return words


@pytest.fixture
def place(tmp_path, monkeypatch):
    inputs, work = tmp_path / "inputs", tmp_path / "work"
    (inputs / "adir").mkdir(parents=True)
    work.mkdir()
    (inputs / "afile").write_text("a file\n")
    os.mkfifo(inputs / "fifo")
    (inputs / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    schedule = sorted(CORPUS.glob("*.schedule.json"))[0]
    (inputs / "schedule.json").write_text(json.dumps(json.loads(schedule.read_text(encoding="utf-8"))))
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    stop_before_work(monkeypatch)
    return inputs, work


@pytest.mark.parametrize("command", cli.COMMANDS)
@FUZZ
@given(data=st.data())
def test_any_options_of_a_command_exit_without_a_traceback_one_line_on_error_and_write_nothing(
        place, capsys, command, data):
    inputs, work = place
    argv = [w.replace("{inputs}", str(inputs)).replace("{work}", str(work)) for w in data.draw(argv_for(command))]
    before = files_under(inputs.parent)
    outcome = run(capsys, *argv)
    event(f"the {outcome.work} would start" if outcome.work else f"exit {outcome.code}")
    assert "Traceback" not in outcome.err and "internal error" not in outcome.err, outcome.err[:2000]
    assert outcome.code in (0, 1, 2, 4, 5) or outcome.work is not None, (outcome.code, outcome.err[:500])
    if outcome.code == 2:
        assert_refused(outcome.code, outcome.out, outcome.err)
    assert files_under(inputs.parent) == before


@FUZZ
@given(argv=st.lists(junk | st.sampled_from([*cli.COMMANDS, "--version", "--help", "-h"]), max_size=4))
def test_any_words_at_the_top_level_exit_without_a_traceback(place, capsys, argv):
    inputs, _ = place
    before = files_under(inputs.parent)
    outcome = run(capsys, *argv)
    assert "Traceback" not in outcome.err and "internal error" not in outcome.err, outcome.err[:2000]
    if outcome.code == 2:
        assert_refused(outcome.code, outcome.out, outcome.err)
    assert files_under(inputs.parent) == before
