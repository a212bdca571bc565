"""The README's "Library" example runs as written and prints what it says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def library_example() -> str:
    section = README.read_text(encoding="utf-8").split("## Library", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_library_example_runs_and_tells_issue_3787(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # it saves a schedule in the working directory
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(library_example(), "README.md", "exec"), {})
    out = printed.getvalue()
    assert out.startswith("violation ")
    assert "This is containerd issue 3787." in out
    assert "as-expected [('stat-early-return-no-lease', 'violation')" in out
    assert (tmp_path / "race.schedule.json").is_file()
