"""Every bad input the command line is known to meet (issue 13's list, and the others found
on the way) exits 2 with one line of bounded length that names the input and what was
expected, without a traceback, without writing anything, and before any search starts.

The commands run in this process with their work stopped where it would start
(cli_harness.stop_before_work): a refusal must come before that point. A FIFO and
/dev/zero are given to a child process with a timeout, so that a loader that blocks on
them fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from cli_harness import CORPUS, assert_refused, child, files_under, run, stop_before_work

RACE = ("retry-after-cancel", "--variant", "stat-early-return", "--quiet")
CHECK = ("check", *RACE)
SCHEDULE = CORPUS / "retry-after-cancel.stat-early-return-no-lease.schedule.json"
HUGE = "x" * 50_000


def good() -> dict:
    return json.loads(SCHEDULE.read_text(encoding="utf-8"))


@pytest.fixture
def place(tmp_path_factory, monkeypatch, capsys):
    """A working directory with the inputs the cases name, and nothing else written to:
    the current directory and the temporary directory are inside it. Its path is short
    (not named after the test), so that a message that cuts a long path still shows the
    file's name, under pytest-xdist's longer temporary paths too."""
    tmp_path = tmp_path_factory.mktemp("bad")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "afile").write_text("not a directory\n")
    (inputs / "adir").mkdir()
    (inputs / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (inputs / "bigint.json").write_text('{"format": "unpack-race.schedule", "version": 1' + "0" * 5000 + "}")
    (inputs / "nan.json").write_text(json.dumps({**good(), "params": {"layers": float("nan")}}))
    (inputs / "overflow.json").write_text(json.dumps(good()).replace('"version": 2', '"version": 1e999'))
    with open(inputs / "large.json", "wb") as handle:  # sparse: 16 MiB and one byte
        handle.truncate(16 * 1024 * 1024 + 1)
    (inputs / "long-variant.json").write_text(json.dumps({**good(), "variant": HUGE}))
    (inputs / "long-param.json").write_text(json.dumps({**good(), "params": {HUGE: 1}}))
    (inputs / "long-value.json").write_text(json.dumps({**good(), "params": {"layers": HUGE}}))
    steps = good()["steps"]
    steps[0] = {**steps[0], "args": {"key": HUGE}}
    (inputs / "long-args.json").write_text(json.dumps({**good(), "steps": steps}))
    (inputs / "schedule.json").write_text(SCHEDULE.read_text(encoding="utf-8"))
    (inputs / "mistyped-param.json").write_text(json.dumps({**good(), "params": {"layer": 2}}))
    (inputs / "loop").symlink_to(inputs / "loop")
    work = tmp_path / "work"
    (work / "tmp").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(work / "tmp"))
    stop_before_work(monkeypatch)
    capsys.readouterr()
    return inputs, work


def i(name: str) -> str:
    """A placeholder for the path of input `name` (filled in by the test)."""
    return "{inputs}/" + name


CASES = {
    # -- schedule files (replay, explain, minimize) --------------------------------------
    "JSON nested 10^5 levels deep": (("replay", i("deep.json")), ("deep.json", "nested", "64")),
    "an integer of 5,001 digits": (("replay", i("bigint.json")), ("bigint.json", "5,001 digits", "100")),
    "NaN for a number": (("replay", i("nan.json")), ("nan.json", "NaN", "finite")),
    "a number beyond a float": (("explain", i("overflow.json")), ("overflow.json", "1e999", "finite")),
    "a file larger than 16 MiB": (("replay", i("large.json")), ("large.json", "larger than", "16,777,216")),
    "a directory as a schedule": (("replay", i("adir")), ("adir", "directory", "regular file")),
    "a symbolic link loop as a schedule": (("minimize", i("loop")), ("loop", "symbolic links")),
    "a missing schedule": (("explain", i("missing.json")), ("missing.json", "No such file")),
    "a 50 kB variant name in a schedule": (("replay", i("long-variant.json")),
                                           ("long-variant.json", "variant", "at most 200 characters")),
    "a 50 kB parameter name in a schedule": (("replay", i("long-param.json")),
                                             ("long-param.json", "no parameter", "its parameters are")),
    "a 50 kB parameter value in a schedule": (("replay", i("long-value.json")),
                                              ("long-value.json", "layers", "whole number")),
    "a 50 kB effect argument in a schedule": (("replay", i("long-args.json")),
                                              ("long-args.json", "step 0", "next effect")),
    "a NUL character in a schedule's path": (("replay", "{inputs}/a\0b.json"), ("NUL",)),
    "a NUL character in a --variant-file path (found by the options fuzzer)": (
        ("explain", i("schedule.json"), "--variant-file", "a\0b.py"), ("variant file", "NUL")),
    "a directory as a --variant-file": (("check", *RACE, "--variant-file", i("adir")),
                                        ("variant file", "adir", "a directory, not a regular file")),
    # -- numeric options -------------------------------------------------------------------
    "pct --depth 1000": ((*CHECK, "--strategy", "pct", "--depth", "1000"), ("--depth", "at most")),
    "--max-seconds -1": ((*CHECK, "--max-seconds", "-1"), ("--max-seconds", "more than 0")),
    "--max-seconds 0": ((*CHECK, "--max-seconds", "0"), ("--max-seconds", "more than 0")),
    "--max-seconds nan": ((*CHECK, "--max-seconds", "nan"), ("--max-seconds", "finite")),
    "--max-seconds inf": ((*CHECK, "--max-seconds", "inf"), ("--max-seconds", "finite")),
    "--max-seconds 1e999": ((*CHECK, "--max-seconds", "1e999"), ("--max-seconds", "finite")),
    "--max-seconds a year and more": ((*CHECK, "--max-seconds", "4e7"), ("--max-seconds", "at most")),
    "--max-seconds in words": ((*CHECK, "--max-seconds", "ten"), ("--max-seconds", "number of seconds")),
    "--max-executions -1": ((*CHECK, "--max-executions", "-1"), ("--max-executions", "at least 1")),
    "--max-executions 0": (("compare", "--max-executions", "0"), ("--max-executions", "at least 1")),
    "--max-executions 10^13": ((*CHECK, "--max-executions", "1" + "0" * 13), ("--max-executions", "at most")),
    "explain --max-executions -1": (("explain", i("schedule.json"), "--max-executions", "-1"),
                                    ("--max-executions", "at least 1")),
    "minimize --max-runs 0": (("minimize", i("schedule.json"), "--max-runs", "0"), ("--max-runs", "at least 1")),
    "lint --max-states -1": (("lint", "lastzero", "--max-states", "-1"), ("--max-states", "at least 1")),
    "--runs 0": ((*CHECK, "--strategy", "random", "--runs", "0"), ("--runs", "at least 1")),
    "--runs 10^10": ((*CHECK, "--strategy", "pos", "--runs", "1" + "0" * 10), ("--runs", "at most")),
    "--seed -1": ((*CHECK, "--strategy", "random", "--seed", "-1"), ("--seed", "at least 0")),
    "--seed beyond 64 bits": ((*CHECK, "--strategy", "hypothesis", "--seed", str(2**64)), ("--seed", "64-bit")),
    "--preemption-bound -1": ((*CHECK, "--strategy", "dfs", "--preemption-bound", "-1"),
                              ("--preemption-bound", "at least 0")),
    "--preemption-bound 10^7": ((*CHECK, "--strategy", "dfs", "--preemption-bound", "1" + "0" * 7),
                                ("--preemption-bound", "at most")),
    # -- an option the strategy does not take: refused, not ignored --------------------------
    "--no-state-cache under the default, auto": ((*CHECK, "--no-state-cache"),
                                                 ("--no-state-cache", "--strategy auto", "of dfs", "add --strategy dfs")),
    "--preemption-bound under the default, auto": ((*CHECK, "--preemption-bound", "2"),
                                                   ("--preemption-bound 2", "--strategy auto", "add --strategy dfs")),
    "--reduction under dfs": ((*CHECK, "--strategy", "dfs", "--reduction", "optimal"),
                              ("--reduction optimal", "--strategy dfs", "of dpor", "add --strategy dpor")),
    "--runs under the default, auto": ((*CHECK, "--runs", "10"), ("--runs 10", "--strategy auto", "random, pct")),
    "compare --sleep-sets under the default, auto": (("compare", "--sleep-sets"),
                                                     ("--sleep-sets", "--strategy auto", "add --strategy dfs")),
    "compare --depth under pos": (("compare", "--strategy", "pos", "--depth", "2"),
                                  ("--depth 2", "--strategy pos", "add --strategy pct")),
    "--estimate-probes under the default, auto": ((*CHECK, "--estimate-probes", "10"),
                                                  ("--estimate-probes", "--strategy auto", "no cost estimate", "dpor")),
    "--estimate-probes under a sampler": ((*CHECK, "--strategy", "random", "--estimate-probes", "10"),
                                          ("--estimate-probes", "--strategy random", "no cost estimate")),
    "--estimate-probes under dfs --sleep-sets": ((*CHECK, "--strategy", "dfs", "--sleep-sets", "--estimate-probes", "9"),
                                                 ("--estimate-probes", "--strategy dfs --sleep-sets", "without --sleep-sets")),
    "--checkpoint under the default, auto": ((*CHECK, "--checkpoint", "{inputs}/auto.ck"),
                                             ("--strategy auto", "cannot be checkpointed", "--strategy dfs --sleep-sets")),
    "--layers of 5,000 digits": ((*CHECK, "--layers", "9" * 5000), ("--layers", "whole number")),
    "--layers 99": ((*CHECK, "--layers", "99"), ("layers", "out of range")),
    "--gc-runs -1": ((*CHECK, "--gc-runs", "-1"), ("gc-runs", "out of range")),
    "--n 1.5": (("check", "lastzero", "--variant", "as-written", "--n", "1.5"), ("--n", "whole number")),
    "bench --seconds -1": (("bench", "--out", "b", "--seconds", "-1"), ("--seconds", "more than 0")),
    "bench --seconds nan": (("bench", "--out", "b", "--seconds", "nan"), ("--seconds", "finite")),
    "bench --seeds 0": (("bench", "--out", "b", "--seeds", "0"), ("--seeds", "at least 1")),
    "bench --cap -5": (("bench", "--out", "b", "--cap", "-5"), ("--cap", "at least 1")),
    "bench --hypothesis-cap 0": (("bench", "--out", "b", "--hypothesis-cap", "0"), ("--hypothesis-cap", "at least 1")),
    "bench --max-layers beyond the scenario's": (("bench", "--out", "b", "--max-layers", "9"),
                                                  ("--max-layers", "at most 8")),
    "bench --max-gc-runs -1": (("bench", "--out", "b", "--max-gc-runs", "-1"), ("--max-gc-runs", "at least 0")),
    # -- names, echoed cut ---------------------------------------------------------------
    "a 50 kB variant": (("check", "retry-after-cancel", "--variant", HUGE), ("no variant", "its variants are")),
    "a 50 kB scenario": (("check", HUGE, "--variant", "x"), ("unknown scenario", "the scenarios are")),
    "a 50 kB strategy": ((*CHECK, "--strategy", HUGE), ("--strategy", "invalid choice")),
    "a 50 kB command": ((HUGE,), ("invalid choice",)),
    "a 50 kB unknown option": ((*CHECK, "--" + HUGE), ("unrecognized arguments",)),
    "a newline in an unknown argument": ((*CHECK, "a\nb"), ("unrecognized arguments", "a\\nb")),
    # -- names mistyped: the close matches suggested ----------------------------------------
    "a mistyped scenario": (("check", "retry-after-cancle", "--variant", "x"),
                            ("unknown scenario 'retry-after-cancle' (did you mean retry-after-cancel?)",)),
    "a mistyped variant": (("check", "retry-after-cancel", "--variant", "prepare-with-leese"),
                           ("no variant 'prepare-with-leese' (did you mean prepare-with-lease", "its variants are")),
    "a mistyped parameter in a schedule": (("replay", i("mistyped-param.json")),
                                           ("no parameter 'layer' (did you mean layers?)", "its parameters are")),
    "a mistyped strategy": ((*CHECK, "--strategy", "dsf"), ("--strategy", "'dsf' (did you mean dfs?)", "'pct'")),
    "a mistyped choice of a parameter": ((*CHECK, "--gc-policy", "dirt"),
                                         ("--gc-policy", "(did you mean dirty?)", "choose from 'scheduler', 'any', 'dirty'")),
    "a mistyped command": (("chek", "retry-after-cancel"), ("invalid choice: 'chek' (did you mean check?)",)),
    "an abbreviated option is not taken for the option": (
        (*CHECK, "--layer", "3"), ("unrecognized arguments: --layer 3 (did you mean --layers?)", "check --help")),
    "an abbreviated option with its value": ((*CHECK, "--max-exec=5"),
                                             ("--max-exec=5 (did you mean --max-executions",)),
    "a mistyped option among unknown ones": ((*CHECK, "zzz", "--gc-rnus", "2"),
                                             ("zzz --gc-rnus 2 (did you mean --gc-runs",)),
    "no --variant for a scenario of several": (("check", "retry-after-cancel", "--quiet"),
                                               ("variants; name one with --variant V", "prepare-with-lease")),
    # -- output paths ------------------------------------------------------------------------
    "check --out an existing file": ((*CHECK, "--out", i("afile")), ("--out", "afile", "directory")),
    "check --out under /proc": ((*CHECK, "--out", "/proc/unpack-race-out"), ("--out", "/proc", "cannot be written")),
    "check --out through a file": ((*CHECK, "--out", i("afile/x")), ("--out", "afile", "not a directory")),
    "check --out an empty path": ((*CHECK, "--out", ""), ("--out", "empty")),
    "check --out through a symbolic link loop": ((*CHECK, "--out", i("loop/x")), ("--out", "loop")),
    "compare --out an existing file": (("compare", "--out", i("afile")), ("--out", "afile", "directory")),
    "compare --out under /proc": (("compare", "--out", "/proc/x/y"), ("--out", "/proc")),
    "bench --out an existing file": (("bench", "--out", i("afile")), ("--out", "afile", "directory")),
    "bench --out through a file": (("bench", "--out", i("afile/b")), ("--out", "afile", "not a directory")),
    "corpus --out an existing file": (("corpus", "--out", i("afile")), ("--out", "afile", "directory")),
    "corpus --out under /proc": (("corpus", "--out", "/proc/corpus"), ("--out", "/proc")),
    "corpus --check of a file": (("corpus", "--check", "--out", i("afile")), ("--check", "afile", "directory")),
    "corpus --check of a missing directory": (("corpus", "--check", "--out", i("nothing")),
                                              ("--check", "nothing", "does not exist")),
    "corpus --out an empty path": (("corpus", "--out", ""), ("--out", "empty")),
    "minimize --out an existing file": (("minimize", i("schedule.json"), "--out", i("afile")),
                                        ("--out", "afile", "directory")),
    "minimize --out a device": (("minimize", i("schedule.json"), "--out", "/dev/full"),
                                ("--out", "/dev/full", "character device", "directory")),
    "minimize --out through a file": (("minimize", i("schedule.json"), "--out", i("afile/m")),
                                      ("--out", "afile", "not a directory")),
    "minimize --out under /proc": (("minimize", i("schedule.json"), "--out", "/proc/m"), ("--out", "/proc")),
    "minimize --out an empty path": (("minimize", i("schedule.json"), "--out", ""), ("--out", "empty")),
    "minimize --out through a symbolic link loop": (("minimize", i("schedule.json"), "--out", i("loop/x")),
                                                    ("--out", "loop")),
    "compare --report without --out": (("compare", "--report"), ("--report", "--out")),
    "report without --out": (("report", i("schedule.json")), ("--out", "required")),
    "report --out an existing file": (("report", i("schedule.json"), "--out", i("afile")),
                                      ("--out", "afile", "directory")),
    "report of a missing schedule": (("report", i("missing.json"), "--out", "pages"), ("missing.json", "No such file")),
}


@pytest.mark.parametrize("argv, named", list(CASES.values()), ids=list(CASES))
def test_a_bad_input_exits_2_with_one_bounded_line_naming_it_before_any_work_and_writes_nothing(
        place, capsys, argv, named):
    inputs, work = place
    before = files_under(work)
    outcome = run(capsys, *(a.replace("{inputs}", str(inputs)) for a in argv))
    assert outcome.work is None, f"the {outcome.work} started before the bad input was refused"
    assert_refused(outcome.code, outcome.out, outcome.err, *named)
    assert files_under(work) == before


def test_a_huge_value_is_echoed_cut_to_80_characters(place, capsys):
    outcome = run(capsys, "check", "retry-after-cancel", "--variant", HUGE)
    line = assert_refused(outcome.code, outcome.out, outcome.err)
    echoed = line[line.index("'x"):line.index("…") + 1]
    assert len(echoed) == 80


@pytest.mark.parametrize("command", ["replay", "explain", "minimize"])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_fifo_or_a_device_given_as_a_schedule_is_refused_without_reading_it(tmp_path, command, special):
    if special == "fifo":
        special = str(tmp_path / "schedule.json")
        os.mkfifo(special)  # nobody ever writes to it: reading it would block forever
    proc = child(command, special, cwd=tmp_path, timeout=60)
    assert_refused(proc.returncode, proc.stdout, proc.stderr, special, "not a regular file")
