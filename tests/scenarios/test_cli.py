"""The unpack-race command line: outputs, files and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import unpack_race
from unpack_race.model.variants import registered
from unpack_race.scenarios.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_the_scenario_its_parameters_and_every_registered_variant(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "scenario retry-after-cancel" in out
    for shown in ("--layers N (1..8, default 2)", "--gc-runs N (0..5, default 1)",
                  "--overlap/--no-overlap (default --overlap)", "--gc-policy scheduler|any|dirty (default scheduler)"):
        assert shown in out  # as the flags take them
    for v in registered():
        assert v.name in out and v.releases in out
    assert "1.6.37+, 1.7.23+, 2.0.0+" in out
    # PR 10187's two halves, shown apart for every containerd variant
    assert "code: Stat(chainID) then skip (before PR 10723); PR 10187: Prepare half off, Commit half off" in out
    assert "--release 2.0|1.7.25|1.7|1.6.39|1.6 (default 2.0)" in out
    assert "scenario commit-already-exists" in out and "prepare-half-only" in out


def test_check_of_a_buggy_variant_exits_1_narrates_and_writes_a_replayable_schedule(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "retry-after-cancel", "--variant", "stat-early-return",
                       "--out", str(tmp_path), "--quiet")
    assert code == 1
    assert "pull-2 stats sha256:c1: it exists (committed); no lease is taken" in out
    assert "gc marks from the roots and sweeps the unreachable: snapshots sha256:c1" in out
    assert ('pull-2: failed: failed to pull and unpack image "docker.io/library/app:latest": '
            'failed to prepare extraction snapshot "extract-pull-2.0 sha256:c2": '
            'parent snapshot sha256:c1 does not exist: not found') in out
    files = list(tmp_path.glob("*.schedule.json"))
    assert [f.name for f in files] == ["retry-after-cancel.stat-early-return.schedule.json"]
    data = json.loads(files[0].read_text())
    assert data["format"] == "unpack-race.schedule" and data["version"] == 2
    assert data["steps"][-1]["actor"] == "pull-2"

    code, replayed, _ = run(capsys, "replay", str(files[0]))
    assert code == 1
    assert "VIOLATION: no Prepare, Commit or Remove ever sees a missing parent" in replayed
    # the replay narrates the very same steps as the check
    check_steps = [l for l in out.splitlines() if l.lstrip(" >").split(" ")[0].isdigit()]
    replay_steps = [l for l in replayed.splitlines() if l.lstrip(" >").split(" ")[0].isdigit()]
    assert replay_steps == check_steps[: len(replay_steps)] and len(replay_steps) == len(data["steps"])


def test_replay_under_the_fixed_variant_names_the_first_diverging_step(capsys, tmp_path):
    run(capsys, "check", "retry-after-cancel", "--variant", "stat-early-return", "--out", str(tmp_path), "--quiet")
    schedule = tmp_path / "retry-after-cancel.stat-early-return.schedule.json"
    code, out, err = run(capsys, "replay", str(schedule), "--variant", "prepare-with-lease")
    assert code == 2
    assert err.count("\n") == 1
    assert "step 4: the schedule expects pull-1 to Stat(key='sha256:c1'); pull-1's next effect is PrepareT1(" in err


def test_check_of_the_fixed_variant_exits_0_and_states_what_it_proved(capsys):
    code, out, _ = run(capsys, "check", "retry-after-cancel", "--variant", "prepare-with-lease",
                       "--no-overlap", "--quiet")
    assert code == 0
    assert "PASS: exhaustive within bounds layers=2, overlap=no, gc-policy=scheduler" in out
    assert "0 violations" in out


def test_a_budget_that_runs_out_exits_4_and_says_what_was_covered(capsys):
    code, out, _ = run(capsys, "check", "retry-after-cancel", "--variant", "prepare-with-lease",
                       "--max-executions", "10", "--quiet")
    assert code == 4
    assert "budget ran out before a verdict; covered so far" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "nope", "--variant", "stat-early-return"], "unknown scenario 'nope'"),
        (["check", "retry-after-cancel", "--variant", "v9"], "has no variant 'v9'"),
        (["check", "retry-after-cancel", "--variant", "stat-early-return", "--layers", "0"], "parameter layers: 0 is out of range"),
        (["check", "retry-after-cancel", "--variant", "stat-early-return", "--strategy", "random", "--runs", "0"], "--runs must be at least 1"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["replay", "/nonexistent/x.json"], "cannot read the schedule file"),
    ],
)
def test_bad_usage_exits_2_with_one_line_and_no_traceback(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "content, field",
    [
        ('{"format": "unpack-race.schedule", "version": 1, "scenario": "retry-after-cance', "not valid JSON"),
        ('[]', "field (top level)"),
        ('{"format": "unpack-race.schedule", "version": 7, "scenario": "s", "variant": "v", "steps": []}', "field version"),
        ('{"format": "unpack-race.schedule", "version": 1, "scenario": "retry-after-cancel", "variant": "stat-early-return", "steps": [{"actor": 3, "effect": "Stat"}]}', "field steps[0].actor"),
        ('{"format": "unpack-race.schedule", "version": 1, "scenario": "retry-after-cancel", "variant": "stat-early-return", "params": {"layers": "two"}, "steps": []}', "parameter layers: expected a whole number"),
        ('{"format": "unpack-race.schedule", "version": 1, "scenario": "retry-after-cancel", "variant": "stat-early-return", "steps": [{"actor": "pull-9", "effect": "Stat", "args": {}}]}', "there is no such actor"),
    ],
    ids=["truncated", "not-an-object", "version", "actor-type", "param-type", "unknown-actor"],
)
def test_malformed_schedule_files_exit_2_naming_the_file_and_field(capsys, tmp_path, content, field):
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, _, err = run(capsys, "replay", str(path))
    assert code == 2
    assert str(path) in err and field in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_compare_runs_every_registered_variant_and_exits_0_when_every_verdict_is_as_expected(capsys, tmp_path):
    code, out, _ = run(capsys, "compare", "--no-overlap", "--out", str(tmp_path), "--quiet")
    assert code == 0
    names = [v.name for v in registered()]
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split() and line.split()[0] in names}
    assert list(rows) == names
    for v in registered():  # each as its definition writes down (model/variants.py)
        assert rows[v.name][1:4] == (["violation", "violation", v.violates] if v.violates else ["pass", "pass", "-"])
    safe = ", ".join(v.name for v in registered() if v.violates is None)
    assert f"every verdict is the expected one; no violation within these bounds: {safe}" in out
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["all_as_expected"] is True and data["outcome"] == "as-expected"
    for record in data["rows"]:  # each row carries its search's coverage record as it is
        coverage = record["coverage"]
        # the default, auto: the record of whichever of its searches ended first, saying so
        assert coverage["algorithm"] in coverage["settings"]["portfolio"]
        assert coverage["kind"] == ("exhaustive" if coverage["algorithm"].startswith("DFS") else "up-to-traces")
        assert f"{coverage['algorithm']} ended first" in coverage["notes"][-1]
        assert coverage["executions"] == record["executions"] and coverage["states"] == record["states"]
        assert coverage["steps"] == record["steps"]
        assert coverage["finished"] is (record["verdict"] == "pass")  # a violation stops the search
        assert coverage["cut"].get("violation", 0) == (record["verdict"] == "violation")
    assert len(list(tmp_path.glob("*.schedule.json"))) == 3
    assert (tmp_path / "compare.md").read_text().startswith("| variant | verdict |")


def test_the_console_script_runs_as_a_separate_process_with_its_exit_code(tmp_path):
    # the child imports unpack_race from where this process does (a worktree's, not the
    # installed one), so that scenarios/cli.py and the package it imports agree
    package_parent = Path(unpack_race.__file__).parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package_parent), str(ROOT)]))
    proc = subprocess.run(
        [sys.executable, "-m", "unpack_race", "check", "retry-after-cancel", "--variant",
         "stat-early-return-no-lease", "--no-overlap", "--quiet", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "VIOLATION: violation of no-missing-parent" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "unpack_race", "check"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
