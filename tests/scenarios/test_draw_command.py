"""`unpack-race draw`: the files each figure writes (SVG and PNG, DOT and GraphML for the
graphs) and the --json document listing them; a scenario of one's own with --scenario;
and every bad input refused with exit 2 in one line, nothing written, before any drawing
or state-graph search starts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import networkx as nx
import pytest
from unpack_race.reports import documents
from unpack_race.reports.figures import bench_plots, happens_before, saving
from unpack_race.reports.figures import state_graph as state_graph_figure
from unpack_race.scenarios import cli
from unpack_race.scenarios.api import drawing

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "scenarios" / "corpus"
ACCOUNT = CORPUS / "account-bad.as-written.schedule.json"
RACE = CORPUS / "retry-after-cancel.stat-early-return-no-lease.schedule.json"
BENCH = ROOT / "docs" / "bench-2026-12-01" / "bench.json"
GRAPH_FILES = ("svg", "png", "dot", "graphml")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_happens_before_writes_the_picture_and_the_graph_files(capsys, tmp_path):
    code, out, err = run(capsys, "draw", str(RACE), "--happens-before", "--out", str(tmp_path))
    stem = "retry-after-cancel.stat-early-return-no-lease.happens-before"
    assert code == 0 and err == ""
    assert out.splitlines() == [f"wrote {tmp_path / stem}.{fmt}" for fmt in GRAPH_FILES]
    steps = json.loads(RACE.read_text())["steps"]
    graph = nx.read_graphml(tmp_path / f"{stem}.graphml")
    assert len(graph) == len(steps)  # the corpus's schedules end at their violating step
    assert (tmp_path / f"{stem}.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / f"{stem}.png").read_bytes().startswith(b"\x89PNG")


def test_swimlane_draws_a_box_per_step_as_the_report_does_and_json_lists_its_files(capsys, tmp_path):
    canonical = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"
    code, out, _ = run(capsys, "draw", str(canonical), "--swimlane", "--out", str(tmp_path), "--json")
    doc = json.loads(out)
    documents.validate(doc)
    stem = tmp_path / "retry-after-cancel.stat-early-return.swimlane"
    assert code == 0 and doc["figure"] == "swimlane" and doc["files"] == [f"{stem}.svg", f"{stem}.png"]
    svg = Path(f"{stem}.svg").read_text()
    steps = json.loads(canonical.read_text())["steps"]
    assert all(f'id="step-{k}"' in svg for k in range(len(steps)))  # one box per step (reports/figures/swimlane)
    assert f'id="step-{len(steps)}"' not in svg
    assert Path(f"{stem}.svg").read_bytes() == (ROOT / "docs" / "swimlane-3787.svg").read_bytes()  # the docs' one


def test_state_graph_and_bench_write_their_files_and_json_lists_them(capsys, tmp_path):
    code, out, err = run(capsys, "draw", str(ACCOUNT), "--state-graph", "--out", str(tmp_path), "--json")
    doc = json.loads(out)
    documents.validate(doc)
    assert code == 0 == doc["exit_code"] and doc["figure"] == "state-graph" and doc["scenario"] == "account-bad"
    assert doc["files"] == [str(tmp_path / f"account-bad.as-written.state-graph.{fmt}") for fmt in GRAPH_FILES]
    assert all(Path(f).is_file() for f in doc["files"]) and err.count("wrote ") == 4
    code, out, _ = run(capsys, "draw", str(BENCH), "--bench", "--out", str(tmp_path / "plots"), "-q")
    assert code == 0 and sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(
        f"{name}.{fmt}" for name in ("growth-gc-runs", "growth-layers", "sampling") for fmt in ("png", "svg"))


COUNTER = '''
from unpack_race.scenarios.base import Built, Expectation, Scenario
from unpack_race.scheduler import at_end
from unpack_race.scheduler.shared_memory import Read, Write, pthread_program
from unpack_race.scheduler.verdict import Verdict


def bump():
    value = yield Read("n")
    yield Write("n", value + 1)


counted = at_end("counted-twice", lambda end: end.world.vars["n"] == 2, "both increments land")


class Counter(Scenario):
    name, summary, params, variants = "counter", "a lost update", (), ("racy",)

    def build(self, variant, params):
        return Built(pthread_program("counter", {"n": 0}, [], [("a", bump), ("b", bump)]), (counted,), "2 threads")

    def expected(self, variant, params):
        return Expectation(Verdict.VIOLATION)
'''


def test_a_schedule_of_one_s_own_scenario_is_drawn_with_scenario(capsys, tmp_path, monkeypatch):
    (tmp_path / "counter_draw.py").write_text(COUNTER)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        assert run(capsys, "check", "counter_draw.py:Counter", "--out", str(tmp_path / "o"), "-q")[0] == 1
        (schedule,) = map(str, (tmp_path / "o").iterdir())
        code, _, err = run(capsys, "draw", schedule, "--happens-before", "--out", str(tmp_path / "o"))
        assert code == 2 and "--scenario" in err  # a schedule never imports code by itself
        for figure in ("--happens-before", "--state-graph"):
            code, out, _ = run(capsys, "draw", schedule, figure, "--scenario", "counter_draw.py:Counter",
                               "--out", str(tmp_path / "o"))
            assert code == 0 and out.count("wrote ") == 4
    finally:
        sys.modules.pop("counter_draw", None)


FIGURES = ((bench_plots, "save_bench_plots"), (happens_before, "save_happens_before"),
           (state_graph_figure, "save_state_graph"), (saving, "save_figure"))


class WorkStarted(BaseException):
    """The drawing (or the state-graph search) would start now."""


def _stop(*args, **kwargs):
    raise WorkStarted


@pytest.fixture
def stopped(monkeypatch):
    for module, name in FIGURES:  # imported by draw's run, where they are looked up
        monkeypatch.setattr(module, name, _stop)
    monkeypatch.setattr(drawing, "state_graph", _stop)


@pytest.mark.parametrize("argv, named", [
    (("draw", str(ACCOUNT), "--out", "{tmp}/o"), "one of the arguments --swimlane --happens-before --state-graph --bench"),
    (("draw", str(ACCOUNT), "--happens-before", "--state-graph", "--out", "{tmp}/o"), "not allowed with"),
    (("draw", str(ACCOUNT), "--happens-before"), "--out"),
    (("draw", str(ACCOUNT), "--happens-before", "--out", "{tmp}/afile"), "expected a directory"),
    (("draw", "{tmp}/missing.schedule.json", "--state-graph", "--out", "{tmp}/o"), "missing.schedule.json"),
    (("draw", "{tmp}/afile", "--happens-before", "--out", "{tmp}/o"), "afile"),
    (("draw", str(ACCOUNT), "--bench", "--out", "{tmp}/o"), "expected 'unpack-race.bench'"),
    (("draw", "{tmp}/afile", "--bench", "--out", "{tmp}/o"), "expected the bench.json"),
    (("draw", "{tmp}", "--bench", "--out", "{tmp}/o"), "cannot read the bench document"),
    (("draw", str(ACCOUNT), "--state-graph", "--max-states", "0", "--out", "{tmp}/o"), "--max-states"),
    (("draw", str(BENCH), "--happens-before", "--out", "{tmp}/o"), "bench.json"),
])
def test_bad_input_exits_2_in_one_line_before_any_work(capsys, tmp_path, stopped, argv, named):
    (tmp_path / "afile").write_text("not a directory, nor a schedule\n")
    code, out, err = run(capsys, *(a.format(tmp=tmp_path) for a in argv))
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith("unpack-race: "), err
    assert named in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # nothing written


def test_a_state_graph_past_the_limit_exits_2_naming_the_bounds_and_writes_nothing(capsys, tmp_path):
    code, out, err = run(capsys, "draw", str(RACE), "--state-graph", "--max-states", "500", "--out", str(tmp_path))
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "more than 500 states, too many to draw" in err and "--layers 1 (now 2)" in err
    assert list(tmp_path.iterdir()) == []
