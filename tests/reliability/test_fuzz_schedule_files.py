"""A Hypothesis fuzzer of the schedule loader: documents of the shipped corpus, mutated
field by field (values replaced by any JSON value, fields dropped or added, steps
duplicated, dropped or reordered) and then, sometimes, byte by byte (cut, bytes inserted
or replaced); and bytes and text of no shape at all.

Whatever the file, the loader either returns a schedule or raises ScheduleError; the
command line (`replay`, `replay --all-variants`, `replay --variant V`, `explain`,
`minimize`) exits 0, 1 or 2, never 3, with no traceback, an error being one line of
bounded length naming the file; and nothing is written. `explain` and `minimize` stop
where their work would start (after the file is loaded and replayed strictly once), so
that the examples stay fast.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from cli_harness import CORPUS, WorkStarted, assert_refused, files_under, fuzz_examples, run, stop_before_work
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unpack_race.scheduler.schedule import Schedule, ScheduleError

SEEDS = sorted(CORPUS.glob("*.schedule.json"))
DOCUMENTS = [json.loads(p.read_text(encoding="utf-8")) for p in SEEDS]
VARIANTS = sorted({d["variant"] for d in DOCUMENTS} | {"prepare-with-lease", "nope"})
FIELDS = ["format", "version", "scenario", "variant", "params", "steps", "expect", "comment", "x-tool",
          "actor", "effect", "args", "verdict", "property", "layers", "gc-runs", "n", "key", ""]

FUZZ = settings(max_examples=fuzz_examples(300), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(-3, 12), st.integers(min_value=-(10**150), max_value=10**150),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(FIELDS + VARIANTS + ["x" * 5000, "\n", "\x00", "\ud800"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8) | st.sampled_from(FIELDS), inner, max_size=4),
                      max_leaves=10)


def containers(value, path=()):
    """Every list and object in `value`, with its path."""
    if isinstance(value, (dict, list)):
        yield path, value
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            yield from containers(child, (*path, key))


def mutate(data, document):
    """One mutation of `document` (in place), drawn from `data`."""
    found = list(containers(document))
    _, container = found[data.draw(st.integers(0, len(found) - 1), label="container")]
    keys = list(container) if isinstance(container, dict) else list(range(len(container)))
    operation = data.draw(st.sampled_from(["replace", "drop", "add", "duplicate", "reverse"]), label="operation")
    if operation in ("replace", "drop", "duplicate") and keys:
        key = data.draw(st.sampled_from(keys), label="key")
        if operation == "replace":
            container[key] = data.draw(values, label="value")
        elif operation == "drop":
            del container[key]
        elif isinstance(container, list):
            container.insert(key, json.loads(json.dumps(container[key])))
    elif operation == "reverse" and isinstance(container, list):
        container.reverse()
    elif isinstance(container, dict):
        container[data.draw(st.sampled_from(FIELDS) | st.text(max_size=8), label="new key")] = data.draw(values)
    else:
        container.append(data.draw(values, label="new item"))


def bytes_of(data) -> bytes:
    """A schedule file's content: a corpus document mutated, or anything at all."""
    shape = data.draw(st.sampled_from(["mutated", "mutated", "mutated", "bytes", "text"]), label="shape")
    if shape == "bytes":
        return data.draw(st.binary(max_size=300), label="bytes")
    if shape == "text":
        return data.draw(st.text(max_size=300), label="text").encode("utf-8", "surrogatepass")
    document = json.loads(json.dumps(data.draw(st.sampled_from(DOCUMENTS), label="seed")))
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        mutate(data, document)
    text = json.dumps(document, indent=data.draw(st.sampled_from([None, 1])))
    raw = text.encode("utf-8", "surrogatepass")
    edit = data.draw(st.sampled_from(["none", "none", "cut", "insert", "replace"]), label="edit")
    if edit != "none" and raw:
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        piece = data.draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"[", b"{", b"\"", b"\\", b"\xff",
                                                                                 b"9" * 5000, b"NaN", b"1e999"]))
        raw = {"cut": raw[:at], "insert": raw[:at] + piece + raw[at:],
               "replace": raw[:at] + piece + raw[at + len(piece):]}[edit]
    return raw


@FUZZ
@given(st.data())
def test_the_loader_returns_a_schedule_or_refuses_it_with_one_line_naming_the_file(data):
    raw = bytes_of(data)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzzed.schedule.json"
        path.write_bytes(raw)
        try:
            Schedule.load(path)
        except ScheduleError as err:
            message = str(err)
            assert message.startswith(str(path)) and "\n" not in message and len(message) <= 500, message[:300]


@pytest.fixture
def stopped(monkeypatch, tmp_path):
    stop_before_work(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@FUZZ
@given(st.data())
def test_every_command_that_reads_a_schedule_exits_0_1_or_2_with_one_line_and_writes_nothing(
        stopped, capsys, tmp_path, data):
    raw = bytes_of(data)
    with tempfile.TemporaryDirectory(dir=tmp_path) as directory:
        path = Path(directory) / "fuzzed.schedule.json"
        path.write_bytes(raw)
        command = data.draw(st.sampled_from([
            ["replay", str(path)],
            ["replay", str(path), "--all-variants"],
            ["replay", str(path), "--variant", data.draw(st.sampled_from(VARIANTS), label="variant")],
            ["explain", str(path)],
            ["minimize", str(path), "--out", str(Path(directory) / "minimal")],
        ]), label="command")
        before = files_under(tmp_path)
        outcome = run(capsys, *command)
        assert outcome.code in (0, 1, 2) or outcome.work in ("explain", "minimize"), (outcome.code, outcome.err[:500])
        assert "Traceback" not in outcome.err and "internal error" not in outcome.err, outcome.err[:2000]
        if outcome.code == 2:
            assert_refused(outcome.code, outcome.out, outcome.err, str(path))
        assert files_under(tmp_path) == before


def test_the_harness_stops_a_command_where_its_work_would_start(stopped, capsys):
    outcome = run(capsys, "minimize", str(SEEDS[0]))
    assert outcome.work == "minimize" and outcome.code is None
    assert issubclass(WorkStarted, BaseException) and not issubclass(WorkStarted, Exception)
