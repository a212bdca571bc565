"""`check --checkpoint FILE` and `--resume FILE` from the command line: a real SIGINT to a
running search writes its checkpoint and says how to resume (exit 4); the command it
prints, run, ends with the JSON result of an uninterrupted run; a reader never sees a
partial checkpoint; and a missing, damaged or foreign checkpoint, or a resume with other
settings, is refused before any search in one line (exit 2)."""

from __future__ import annotations

import json
import shlex
import signal
import threading
import time

from cli_harness import assert_refused, child, run
from test_interrupts import Child, assert_interrupted
from unpack_race.scheduler import checkpoint
from unpack_race.scheduler.checkpoint import CheckpointError

#: a search that can be checkpointed: DFS (the default, auto, drives its own two searches and cannot be)
SEARCH = ["check", "retry-after-cancel", "--variant", "prepare-with-lease", "--layers", "5", "--gc-runs", "3",
          "--gc-policy", "any", "--strategy", "dfs"]
LASTZERO = ("check", "lastzero", "--strategy", "dfs")


def result_of(stdout: str) -> dict:
    """The --json document's result, without what differs from run to run (the seconds)."""
    result = json.loads(stdout)["result"]
    result.pop("seconds")
    return result


def test_sigint_writes_a_checkpoint_and_the_printed_resume_command_ends_as_an_uninterrupted_run(tmp_path):
    target = tmp_path / "search.ckpt"
    seen, bad, done = [], [], threading.Event()

    def read_while_it_runs() -> None:  # every version of the file that exists is whole
        while not done.is_set():
            try:
                seen.append(checkpoint.read_header(target)["executions"])
            except CheckpointError as error:
                if "no such checkpoint" not in str(error):
                    bad.append(str(error))
            time.sleep(0.005)

    reader = threading.Thread(target=read_while_it_runs, daemon=True)
    reader.start()
    running = Child([*SEARCH, "--checkpoint", str(target), "--checkpoint-every", "0.1"], cwd=tmp_path)
    running.wait_for(r"\[prepare-with-lease\] [\d,]+ executions")
    time.sleep(1.0)  # a few periodic checkpoints
    assert running.signal(signal.SIGINT), "the search ended before the signal"
    code, out, err = running.end()
    done.set()
    reader.join(timeout=10)
    assert_interrupted(code, out, err)
    assert not bad, bad[:3]
    assert len(set(seen)) >= 2, seen[-5:]  # the reader saw the file rewritten
    said = [line for line in err.splitlines() if line.startswith("unpack-race: checkpoint written: ")]
    assert len(said) == 1, err[-2000:]
    assert str(target) in said[0]
    stopped_at = checkpoint.read_header(target)["executions"]
    assert f"after {stopped_at:,} executions" in said[0]
    command = shlex.split(said[0].split("resume with: ", 1)[1])
    assert command[:2] == ["unpack-race", "check"] and command[-2:] == ["--resume", str(target)]

    resumed = child(*command[1:], "--json", "-q", cwd=tmp_path, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    whole = child(*SEARCH, "--json", "-q", cwd=tmp_path, timeout=600)
    assert whole.returncode == 0, whole.stderr[-2000:]
    assert result_of(resumed.stdout) == result_of(whole.stdout)
    assert result_of(whole.stdout)["executions"] > stopped_at > 0


def test_a_checkpoint_that_cannot_be_resumed_is_refused_in_one_line_before_any_search(capsys, tmp_path):
    target = tmp_path / "lastzero.ckpt"
    written = run(capsys, *LASTZERO, "--checkpoint", str(target), "--max-executions", "20", "-q")
    assert written.code == 4 and "resume with: unpack-race check lastzero --variant as-written" in written.err
    damaged = tmp_path / "damaged.ckpt"
    damaged.write_bytes(target.read_bytes()[:-7])
    cases = [
        (["--resume", str(tmp_path / "absent.ckpt")], "no such checkpoint"),
        (["--resume", str(damaged)], "truncated or damaged"),
        (["--resume", str(target), "--n", "4"], 'params: the checkpoint has {"n": 3}, this search has {"n": 4}'),
        (["--resume", str(target), "--strategy", "dpor"], 'strategy: the checkpoint has "dfs"'),
        (["--resume", str(target), "--no-restore"], '"restore": true'),
        (["--checkpoint", str(target), "--strategy", "hypothesis"], "cannot be checkpointed"),
    ]
    for extra, said in cases:
        refused = run(capsys, *LASTZERO, *extra)  # (a later --strategy wins)
        assert_refused(refused.code, refused.out, refused.err, said)
    for extra in (["--checkpoint", str(target)], ["--resume", str(target)]):  # under the default, auto
        refused = run(capsys, "check", "lastzero", *extra)
        assert_refused(refused.code, refused.out, refused.err, "--strategy auto drives its own search",
                       "cannot be checkpointed")
    schedule = tmp_path / "not-a-checkpoint.json"
    schedule.write_text('{"format": "unpack-race.schedule", "version": 1}\n')
    refused = run(capsys, *LASTZERO, "--resume", str(schedule))
    assert_refused(refused.code, refused.out, refused.err, "not an unpack-race checkpoint")
    resumed = run(capsys, *LASTZERO, "--resume", str(target), "--json", "-q")
    whole = run(capsys, *LASTZERO, "--json", "-q")
    assert resumed.code == whole.code == 0 and result_of(resumed.out) == result_of(whole.out)
