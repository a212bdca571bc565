"""`unpack-race minimize`, `explain` and `replay --all-variants` on the canonical
counterexample of issue 3787 (stat-early-return, 2 layers), and their exit codes on
files they cannot use."""

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
from unpack_race.scheduler.schedule import Schedule

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "scenarios" / "corpus"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def canonical(tmp_path_factory) -> Path:
    """The counterexample `unpack-race check` writes for stat-early-return."""
    out = tmp_path_factory.mktemp("canonical")
    assert main(["check", "retry-after-cancel", "--variant", "stat-early-return", "--out", str(out), "--quiet"]) == 1
    return out / "retry-after-cancel.stat-early-return.schedule.json"


def steps_of(path: Path) -> list[dict]:
    return json.loads(path.read_text())["steps"]


def index_of(steps, actor, effect, **args) -> int:
    return next(i for i, s in enumerate(steps) if s["actor"] == actor and s["effect"] == effect
                and all(s["args"].get(k) == v for k, v in args.items()))


# -- minimize ---------------------------------------------------------------------------------


def test_minimize_shrinks_the_canonical_counterexample_and_writes_a_schedule_that_replays(capsys, canonical, tmp_path):
    before = len(steps_of(canonical))
    code, text, err = run(capsys, "minimize", canonical, "--out", tmp_path / "small")
    out = tmp_path / "small" / "retry-after-cancel.stat-early-return.min.schedule.json"  # --out is a directory
    assert f"Schedule written to {out}" in text
    assert code == 0, err
    assert f"before: {before} steps" in text
    assert "after:  26 steps, 2 preemptions, 4 actors" in text
    assert "1-minimal" in text
    assert ">> 25  pull-2 Prepare('extract-pull-2.0 sha256:c2', parent=sha256:c1) T1 fails: " \
           "parent snapshot sha256:c1 does not exist: not found" in text
    assert len(steps_of(out)) == 26 <= before
    code, replayed, _ = run(capsys, "replay", out)
    assert code == 1 and "VIOLATION: no Prepare, Commit or Remove ever sees a missing parent" in replayed

    code, again, _ = run(capsys, "minimize", out)
    assert code == 0
    assert "Already minimal: 26 steps, 2 preemptions, 4 actors" in again
    assert "Schedule written" not in again
    code, again, _ = run(capsys, "minimize", out, "--out", tmp_path)  # with --out, written all the same
    again_written = tmp_path / "retry-after-cancel.stat-early-return.min.min.schedule.json"
    assert code == 0 and f"Schedule written to {again_written}" in again


def test_minimize_writes_into_a_new_temporary_directory_by_default(capsys, canonical):
    code, text, _ = run(capsys, "minimize", canonical)
    assert code == 0
    written = Path(text.split("Schedule written to ")[1].split("\n")[0])
    assert written.name == "retry-after-cancel.stat-early-return.min.schedule.json"
    assert written.parent != canonical.parent and len(Schedule.load(written).steps) == 26


def test_a_schedule_without_violation_has_nothing_to_minimise_or_explain(capsys, canonical, tmp_path):
    data = json.loads(canonical.read_text())
    data["steps"] = data["steps"][:5]
    short = tmp_path / "short.json"
    short.write_text(json.dumps(data))
    for command in ("minimize", "explain"):
        code, out, err = run(capsys, command, short)
        assert code == 2 and out == ""
        assert err.startswith(f"unpack-race: {short}: nothing to ") and "violate no property" in err
        assert err.count("\n") == 1


def test_a_schedule_that_does_not_replay_under_its_variant_is_refused(capsys, canonical, tmp_path):
    data = json.loads(canonical.read_text())
    data["variant"] = "prepare-with-lease"
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(data))
    code, _, err = run(capsys, "minimize", moved)
    assert code == 2
    assert "under variant prepare-with-lease, step 4: the schedule expects pull-1 to Stat(key='sha256:c1')" in err
    assert "cannot minimise a schedule that does not replay" in err


# -- explain ----------------------------------------------------------------------------------


def test_explain_names_the_gc_step_and_the_prepare_it_races_with_and_tells_the_issue(capsys, canonical):
    steps = steps_of(canonical)
    gc = index_of(steps, "gc", "GcCollect")
    prepare = len(steps) - 1
    stat = index_of(steps, "pull-2", "Stat", key="sha256:c1")
    assert steps[prepare]["effect"] == "PrepareT2" and steps[prepare]["args"]["parent"] == "sha256:c1"
    code, text, _ = run(capsys, "explain", canonical)
    assert code == 0
    assert f"Racing pair: step {gc} (gc GcCollect) and step {prepare} (pull-2 PrepareT2)" in text
    assert f"The retry, pull-2, stats sha256:c1 (step {stat}): it exists, so the unpacker skips the layer" in text
    assert f"Then gc marks from the roots and sweeps sha256:c1 (step {gc})." in text
    assert "parent snapshot sha256:c1 does not exist: not found" in text
    assert "This is containerd issue 3787." in text
    assert f"Had the GC come after pull-2's Prepare of 'extract-pull-2.0 sha256:c2' (its second transaction, step {prepare})" in text
    assert "gc collects: everything is reachable, nothing swept" in text
    assert f"Had the GC come before pull-2's Stat of sha256:c1 (step {stat})" in text
    assert f"Smallest change that makes no-missing-parent hold: step {gc} moved after step {prepare}." in text


def test_explain_json_gives_the_graph_the_racing_pair_and_the_counterfactual(capsys, canonical):
    steps = steps_of(canonical)
    gc = index_of(steps, "gc", "GcCollect")
    stat = index_of(steps, "pull-2", "Stat", key="sha256:c1")
    code, text, _ = run(capsys, "explain", canonical, "--json")
    assert code == 0
    data = json.loads(text)
    assert data["violation"]["property"] == "no-missing-parent"
    assert data["racing_pair"]["first"]["index"] == gc
    assert data["racing_pair"]["first"]["effect"] == "GcCollect"
    assert data["racing_pair"]["second"]["effect"] == "PrepareT2"
    assert "snapshot/sha256:c1" in data["racing_pair"]["resources"]
    assert data["counterfactual"]["verdict"] == "holds" and data["counterfactual"]["anchor"] == len(steps) - 1
    assert data["window"] == {"opens_after_step": stat, "closes_at_step": len(steps) - 1, "closes_after_more_steps": 0}
    edges = data["graph"]["edges"]
    assert {e["kind"] for e in edges} == {"program-order", "conflict"}
    assert {"from": gc, "to": len(steps) - 1} in [{"from": e["from"], "to": e["to"]} for e in edges]
    assert any("This is containerd issue 3787." in s for s in data["story"])
    assert len(data["steps"]) == len(steps)


def test_explain_of_the_minimised_counterexample_finds_the_window_closing_after_the_second_transaction(capsys):
    path = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"
    code, text, _ = run(capsys, "explain", path)
    assert code == 0
    assert "Racing pair: step 24 (gc GcCollect) and step 25 (pull-2 PrepareT1)" in text
    assert "step 24 moved after step 25: still violated" in text
    assert "step 24 moved after step 25 and 1 more step of that actor: no-missing-parent holds" in text
    assert "The retry, pull-2, stats sha256:c1 (step 20)" in text


def test_explain_tells_the_already_exists_path_of_prepare_without_lease(capsys):
    code, text, _ = run(capsys, "explain", CORPUS / "retry-after-cancel.prepare-without-lease.schedule.json")
    assert code == 0
    assert 'prepares sha256:c1 and gets target snapshot "sha256:c1": already exists without sha256:c1 being ' \
           "added to lease lease-pull-2" in text
    assert "This is containerd issue 3787." in text


# -- replay --all-variants ----------------------------------------------------------------


def test_replay_all_variants_gives_each_verdict_and_where_each_variant_takes_another_path(capsys, canonical):
    steps = steps_of(canonical)
    stat = index_of(steps, "pull-2", "Stat", key="sha256:c1")
    code, text, _ = run(capsys, "replay", canonical, "--all-variants")
    assert code == 1  # some variants violate the property
    blocks = text.split("\n- ")
    by_variant = {b.split(":")[0].split(" ")[0]: b for b in blocks[1:]}
    assert list(by_variant) == [v.name for v in registered()]
    assert "stat-early-return (recorded): VIOLATION of no-missing-parent" in text
    assert "the run follows the schedule exactly" in by_variant["stat-early-return-no-lease"]
    assert "VIOLATION of no-missing-parent" in by_variant["prepare-without-lease"]
    fixed = by_variant["prepare-with-lease"]
    assert fixed.startswith("prepare-with-lease: no violation in the ")
    assert "first departs at step 4: pull-1's code leaves out Stat(key='sha256:c1')" in fixed
    assert (f"pull-2 takes another path at step {stat}: instead of Stat(key='sha256:c1'): pull-2 "
            f"Prepare('extract-pull-2.0 sha256:c1', parent=-) T1: target snapshot \"sha256:c1\": already exists "
            f"and it is added to lease lease-pull-2 in the same transaction") in fixed
    assert "gc collects: everything is reachable, nothing swept" in fixed


def test_replay_all_variants_of_a_corpus_file_checks_its_expected_verdicts(capsys, tmp_path):
    path = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"
    code, text, _ = run(capsys, "replay", path, "--all-variants")
    assert code == 0
    assert text.count("[as expected]") == 4 and "every verdict is the expected one" in text
    data = json.loads(path.read_text())
    data["expect"]["prepare-with-lease"] = {"verdict": "violation", "property": "no-missing-parent"}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(data))
    code, text, _ = run(capsys, "replay", wrong, "--all-variants")
    assert code == 1
    assert "NOT AS EXPECTED" in text and "SOME VERDICTS ARE NOT AS EXPECTED" in text


def test_replay_all_variants_and_variant_cannot_be_combined(capsys, canonical):
    code, _, err = run(capsys, "replay", canonical, "--all-variants", "--variant", "prepare-with-lease")
    assert code == 2 and "--variant and --all-variants cannot be used together" in err


# -- files that cannot be used ------------------------------------------------------------


def malformed(canonical: Path) -> dict[str, tuple[str, str]]:
    good = json.loads(canonical.read_text())
    text = canonical.read_text()

    def variant(**changes):
        data = json.loads(text)
        data.update(changes)
        return json.dumps(data)

    def step(index, **changes):
        data = json.loads(text)
        data["steps"][index].update(changes)
        return json.dumps(data)

    return {
        "truncated JSON": (text[: len(text) // 3], "not valid JSON (line "),
        "steps a string": (variant(steps="pull-2 Stat"), "field steps: expected a list of steps, got 'pull-2 Stat'"),
        "an actor that is a number": (step(3, actor=7), "field steps[3].actor: expected a non-empty string, got 7"),
        "args a list": (step(0, args=[1]), "field steps[0].args: expected a JSON object, got [1]"),
        "an unknown actor": (step(2, actor="mallory"),
                             "field steps[2].actor: expected one of the actors pull-1, pull-2, kubelet, gc, got 'mallory'"),
        "an unknown effect": (step(4, effect="Teleport"), "field steps[4].effect: expected an effect the model defines"),
        "a newer version": (variant(version=4), "field version: this unpack-race reads schedule version 3, the file has 4"),
        "version zero": (variant(version=0), "field version: schedule version 0 never existed"),
        "an unknown top-level field": (variant(colour="red"), "field colour: unknown field; expected format, version"),
        "an unknown scenario": (variant(scenario="nope"), "unknown scenario 'nope'"),
        "an unknown variant": (variant(variant="nope"), "scenario retry-after-cancel has no variant 'nope'"),
        "a parameter out of range": (variant(params={**good["params"], "layers": 99}), "parameter layers: 99 is out of range"),
        "an expect of the wrong shape": (variant(expect={"stat-early-return": "violation"}),
                                         "field expect.stat-early-return: expected an object with verdict and property"),
    }


@pytest.mark.parametrize("command", [("minimize",), ("explain",), ("explain", "--json"), ("replay", "--all-variants"),
                                     ("replay",)])
def test_malformed_schedule_files_exit_2_with_one_line_naming_the_file_and_field(capsys, canonical, tmp_path, command):
    for case, (content, expected) in malformed(canonical).items():
        if command == ("replay",) and case in ("an unknown actor", "an unknown effect"):
            continue  # plain replay reports these as a divergence (also exit 2), tested in test_cli.py
        path = tmp_path / f"{case.replace(' ', '-')}.json"
        path.write_text(content)
        code, out, err = run(capsys, command[0], path, *command[1:])
        assert code == 2, (case, out, err)
        assert out == "", case
        assert err.startswith("unpack-race: ") and err.count("\n") == 1, (case, err)
        assert str(path) in err and expected in err, (case, err)


def test_no_traceback_reaches_the_user_for_a_bad_file(canonical, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(canonical.read_text()[:100])
    path = os.pathsep.join([str(Path(unpack_race.__file__).parent.parent), str(ROOT)])  # this process's package
    env = {**os.environ, "PYTHONPATH": path}
    for command in (["minimize"], ["explain", "--json"], ["replay", "--all-variants"]):
        proc = subprocess.run([sys.executable, "-m", "unpack_race", command[0], str(bad), *command[1:]],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stdout == ""
        assert proc.stderr.startswith(f"unpack-race: {bad}: not valid JSON")
