"""`check --report`: on a violation the counterexample's HTML report is written beside its
schedule and named in the JSON document; on a pass, or without --report, no page."""

from __future__ import annotations

import json

from unpack_race.scenarios import cli


def run(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


def test_a_violation_s_report_is_written_beside_its_schedule(capsys, tmp_path):
    code, out = run(capsys, "check", "retry-after-cancel", "--variant", "stat-early-return", "--quiet",
                    "--out", str(tmp_path), "--report", "--json")
    doc = json.loads(out)
    page = tmp_path / "retry-after-cancel.stat-early-return.html"
    assert code == 1 and doc["counterexample"]["report"] == str(page)
    text = page.read_text(encoding="utf-8")
    assert "parent snapshot sha256:c1 does not exist: not found" in text and 'data-variant="prepare-with-lease"' in text


def test_no_page_on_a_pass_or_without_report(capsys, tmp_path):
    code, out = run(capsys, "check", "retry-after-cancel", "--variant", "prepare-with-lease", "--quiet",
                    "--out", str(tmp_path / "pass"), "--report", "--json")
    assert code == 0 and json.loads(out)["counterexample"] is None and not list(tmp_path.rglob("*.html"))
    code, out = run(capsys, "check", "retry-after-cancel", "--variant", "stat-early-return", "--quiet",
                    "--out", str(tmp_path / "plain"), "--json")
    assert code == 1 and "report" not in json.loads(out)["counterexample"] and not list(tmp_path.rglob("*.html"))
