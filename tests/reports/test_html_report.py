"""The HTML report as bytes: one file that names nothing to fetch, the same bytes in
another process under another hash seed, a GC step's diff and notes in containerd's
words, and a classic's world shown by its variables (the generic view)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from unpack_race.reports.html_report import html_report
from unpack_race.reports.page.page_data import page_data
from unpack_race.scenarios import api
from unpack_race.scenarios.api.reporting import report
from unpack_race.scenarios.regression_corpus import CORPUS
from unpack_race.scheduler.schedule import Schedule
from unpack_race.scheduler.states import worlds_along

CANONICAL = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"
BUILD = ("from unpack_race.scenarios.api.reporting import report\n"
         "from unpack_race.reports.html_report import html_report\n"
         "import sys\nsys.stdout.write(html_report(report(sys.argv[1])))\n")


@pytest.fixture(scope="module")
def reported():
    return report(CANONICAL)


def test_the_page_fetches_nothing_and_has_no_server_side(reported):
    page = html_report(reported)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"\b(fetch|XMLHttpRequest|import)\s*\(", page)
    assert page.count("<svg") == 1 and "<?xml" not in page and page.count("<script") == 2


def test_the_page_has_the_same_bytes_in_another_process_under_another_hash_seed(reported):
    here = html_report(reported)
    there = subprocess.run([sys.executable, "-c", BUILD, str(CANONICAL)], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "4242", "PATH": "/usr/bin:/bin",
                                "PYTHONPATH": ":".join(p for p in sys.path if p)}).stdout
    assert here == there


def test_the_gc_step_shows_what_it_swept_and_the_last_step_the_retry_s_error(reported):
    steps = page_data(reported)["steps"]
    gc = next(s for s in steps if s["actor"] == "gc")
    assert ["snapshots", "sha256:c1", "committed, parent none", None] in gc["changes"]
    assert "GC swept snapshots: sha256:c1" in gc["notes"]
    assert steps[-1]["error"] == "parent snapshot sha256:c1 does not exist: not found"
    assert [s["mark"] for s in steps if s["mark"]] == ["pull-1 cancelled", "lease-pull-1 deleted"]


def test_the_worlds_along_a_run_end_in_the_run_s_own_final_world(reported):
    run = api.replay(CANONICAL).result.run
    worlds = worlds_along(reported.loaded.built.program, run)
    assert len(worlds) == len(run.steps) + 1 and worlds[-1].fingerprint() == run.world.fingerprint()
    assert worlds[0].fingerprint() != worlds[-1].fingerprint()


def test_a_classic_s_world_is_shown_by_its_variables(tmp_path):
    checked = api.check("account-bad")
    schedule = tmp_path / "account.schedule.json"
    schedule.write_text(Schedule.dumps(checked.counterexample.schedule))
    data = page_data(report(schedule))
    assert set(data["initial"]) == {"variables"} and "vars" in data["initial"]["variables"]
    assert data["story"] is None and data["violation"]["property"] == "no-assertion-failure"
    assert any(c[0] == "variables" for s in data["steps"] for c in s["changes"])
