"""What the browser tests share besides their fixtures: the canonical counterexample and
the report command run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "scenarios" / "corpus"
CANONICAL = CORPUS / "retry-after-cancel.stat-early-return.schedule.json"


def write_report(schedule: Path, out: Path, *more: str) -> Path:
    """`unpack-race report SCHEDULE --out OUT` run as a user runs it; the page written."""
    done = subprocess.run([sys.executable, "-m", "unpack_race", "report", str(schedule), "--out", str(out), *more],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return next(out.glob("*.html"))
