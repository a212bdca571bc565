"""The exit codes are one table (scenarios/commands/exit_codes.py): `unpack-race --help`
shows it, and the README holds the same table, once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from unpack_race.scenarios import cli
from unpack_race.scenarios.commands import exit_codes

ROOT = Path(__file__).resolve().parents[2]


def test_the_exit_code_table_of_help_is_the_readme_s(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert exit_codes.text() in out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert exit_codes.markdown() in readme
    assert [code for code, _ in exit_codes.CODES] == [0, 1, 2, 3, 4, 5]
    assert re.findall(r"^\| (\d) \|", readme, re.MULTILINE) == ["0", "1", "2", "3", "4", "5"]  # one table
