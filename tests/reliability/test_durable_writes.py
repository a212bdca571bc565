"""Writes are atomic and durable: the file and its directory are flushed to disk, a
reader never sees half a file, and a temporary file left by a killed writer is named for
what it is and removed by the next write of the same file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import unpack_race
from unpack_race.scheduler import files
from unpack_race.scheduler.files import partial_name, remove_stale_partials, write_atomically


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary_behind(tmp_path):
    target = tmp_path / "out" / "report.json"
    write_atomically(target, "old\n")
    write_atomically(target, "new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_the_file_and_its_directory_are_flushed_to_disk(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.path.realpath(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    target = write_atomically(tmp_path / "a.json", "{}\n")
    assert str(partial_name(target, os.getpid())) in synced  # the content, before the rename
    assert str(tmp_path) in synced  # the directory, after it


def test_a_failed_write_keeps_the_old_content_and_removes_its_temporary(tmp_path, monkeypatch):
    target = write_atomically(tmp_path / "a.json", "old\n")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken)
    with pytest.raises(OSError):
        write_atomically(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_the_temporary_of_a_killed_writer_is_named_for_what_it_is_and_cleaned_by_the_next_write(tmp_path):
    target = tmp_path / "big.json"
    code = (
        "import time\n"
        "from unpack_race.scheduler import files\n"
        "def stall(fd):  # the content is in the partial file; stop before it is renamed\n"
        "    print('writing', flush=True); time.sleep(60)\n"
        "files.os.fsync = stall\n"
        f"files.write_atomically(files.Path({str(target)!r}), 'x' * 10_000_000)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(unpack_race.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]))
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert writer.stdout.readline().strip() == "writing"
    left = partial_name(target, writer.pid)
    assert left.exists() and left.name == f".big.json.{writer.pid}.unpack-race-partial"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert not target.exists() and left.exists()  # kill -9 before the rename: only the partial
    write_atomically(target, "done\n")
    assert target.read_text() == "done\n" and not left.exists()


def test_a_partial_of_a_writer_still_running_is_left_alone(tmp_path):
    target = tmp_path / "x.json"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        theirs = partial_name(target, sleeper.pid)
        theirs.write_text("in progress")
        assert remove_stale_partials(target) == []
        assert theirs.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    time.sleep(0.01)
    assert remove_stale_partials(target) == [theirs]
