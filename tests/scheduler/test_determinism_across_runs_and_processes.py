"""Determinism: the same seed gives the same executions, in this process and in another
one with a different PYTHONHASHSEED; the command line's output too."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import unpack_race
from toy_world import Recording, audited_bank, racy_counter, step_outcome
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.strategies import DepthFirst, RandomWalk

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]  # tests/scheduler/ -> the repository root
# the children import unpack_race from where this process does (a worktree's, not the installed one)
PACKAGE_PARENT = Path(unpack_race.__file__).parent.parent
HASH_SEEDS = ("0", "12345")


def random_executions(seed: int, runs: int = 30):
    recording = Recording()
    explore(audited_bank(), RandomWalk(runs=runs, seed=seed), on_run=recording)
    return [[step_outcome(s) for s in steps] for steps in recording.executions]


def test_the_same_random_walk_seed_gives_the_same_sequence_of_executions():
    first = random_executions(seed=42)
    assert len(first) == 30
    assert random_executions(seed=42) == first


def test_different_random_walk_seeds_give_different_executions():
    # The control for the test above: the walk really depends on its seed.
    assert random_executions(seed=1) != random_executions(seed=2)


def test_a_random_walk_touches_no_global_random_state():
    import random

    random.seed(99)
    expected = random.random()
    random.seed(99)
    random_executions(seed=3, runs=5)
    assert random.random() == expected


def test_two_depth_first_searches_run_the_same_executions_in_the_same_order():
    def run(caching: bool):
        recording = Recording()
        result = explore(racy_counter(2, rounds=2), DepthFirst(state_caching=caching), [], on_run=recording)
        return [[step_outcome(s) for s in steps] for steps in recording.executions], result.executions

    for caching in (False, True):
        assert run(caching) == run(caching)


# -- across processes --------------------------------------------------------------------

TRACE_PROGRAM = textwrap.dedent(
    """
    import sys
    from unpack_race.scheduler.explore import explore
    from unpack_race.scheduler.properties import at_end
    from unpack_race.scheduler.schedule import Schedule
    from unpack_race.scheduler.strategies import DepthFirst, RandomWalk
    from unpack_race.reports.claims import claim
    from toy_world import Recording, audited_bank

    # Evidence that PYTHONHASHSEED took effect: raw set order, on stderr only.
    print(list(frozenset({"alice", "bob", "carol", "dave"})), file=sys.stderr)

    recording = Recording()
    result = explore(audited_bank(), RandomWalk(runs=25, seed=11), on_run=recording)
    for number, steps in enumerate(recording.executions):
        print(f"execution {number}")
        for step in steps:
            print(f"  {step.index:>2} {step.narrate()}")
    print(result.verdict, claim(result))

    alice_keeps_every_deposit = at_end("alice-keeps-every-deposit", lambda end: end.world.vars["alice"] == 18)
    for caching in (False, True):
        found = explore(audited_bank(), DepthFirst(state_caching=caching), [alice_keeps_every_deposit])
        print(found.verdict, found.executions, found.steps, found.states, claim(found))
        print(found.violation.message)
        params = {"names": ["dave", "alice", "carol"], "seed": 11, "caching": caching}
        print(Schedule.of("audited-bank", "racy", params, found.counterexample).dumps(), end="")
    """
)


def run_python(code: str, hash_seed: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = hash_seed
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_PARENT), str(REPO), str(HERE)])
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_seeded_search_prints_byte_identical_traces_under_different_hash_seeds():
    runs = [run_python(TRACE_PROGRAM, seed) for seed in HASH_SEEDS]
    for run in runs:
        assert run.returncode == 0, run.stderr
    first, second = runs
    assert first.stdout == second.stdout
    assert first.stdout.count("execution ") >= 25
    assert "Audit(accounts=['alice', 'bob', 'carol', 'dave'])" in first.stdout
    assert '"effect": "Audit"' in first.stdout
    # The hash seeds really differed in a way that iteration over a set of strings sees;
    # without that the identical traces above would prove nothing.
    assert first.stderr != second.stderr


# -- the command line ----------------------------------------------------------------------

CLI_AVAILABLE = shutil.which("unpack-race") is not None or importlib.util.find_spec("unpack_race.scenarios.cli") is not None

# Lines that legitimately differ between two identical runs: wall-clock timings such as
# "27105 steps in 0.37 s (72,311 steps/s)" or "[variant] 10 executions, ... 3 s". They
# are filtered out explicitly rather than by loosening the comparison. Paths of the
# output directory (one temporary directory per process) are replaced by "<out>".
TIMING_LINE = re.compile(r"\d s\b|steps/s")


def comparable(stdout: str, out_dir: Path | None) -> list[str]:
    if out_dir is not None:
        stdout = stdout.replace(str(out_dir), "<out>")
    return [line for line in stdout.splitlines() if not TIMING_LINE.search(line)]


def run_cli(arguments: list[str], hash_seed: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = hash_seed
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_PARENT), str(REPO)])
    return subprocess.run(
        [sys.executable, "-m", "unpack_race", *arguments],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.skipif(not CLI_AVAILABLE, reason="the unpack-race command line is not installed")
@pytest.mark.parametrize(
    "arguments, writes_schedule",
    [
        (["check", "retry-after-cancel", "--variant", "stat-early-return", "--strategy", "random",
          "--runs", "200", "--seed", "3", "--quiet"], False),
        (["check", "retry-after-cancel", "--variant", "stat-early-return", "--quiet"], True),
    ],
    ids=["random-walk", "dfs-with-counterexample"],
)
def test_the_command_line_prints_the_same_result_under_different_hash_seeds(tmp_path, arguments, writes_schedule):
    outputs, schedules = [], []
    for seed in HASH_SEEDS:
        out_dir = tmp_path / f"hashseed-{seed}"
        extra = ["--out", str(out_dir)] if writes_schedule else []
        run = run_cli(arguments + extra, seed)
        assert run.returncode not in (2, 3), run.stderr  # neither bad usage nor a crash
        lines = comparable(run.stdout, out_dir if writes_schedule else None)
        # The filter drops the one timing line of the summary, never the substance.
        assert len(run.stdout.splitlines()) - len(lines) <= 1
        assert lines
        outputs.append((run.returncode, lines))
        if writes_schedule:
            files = sorted(out_dir.glob("*.json"))
            assert files, "a counterexample was expected to be written to --out"
            schedules.append([(f.name, f.read_bytes()) for f in files])
    assert outputs[0] == outputs[1]
    if writes_schedule:
        assert schedules[0] == schedules[1]
