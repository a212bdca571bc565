"""The command line is a dispatcher over one small module per command: each module in
scenarios/commands/ is registered once in the one table (scenarios/cli.py), offers
`add_parser(sub)` and `run(args)`, and rendering stays in reports/ (no module of
scenarios/ prints, but the commands and the dispatcher's error lines)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from unpack_race.scenarios import cli

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ROOT / "scenarios" / "commands"


def command_modules() -> list[str]:
    return sorted(p.stem.removesuffix("_command") for p in COMMANDS.glob("*_command.py"))


def test_every_command_module_is_registered_once_in_the_table():
    assert sorted(cli.COMMANDS) == command_modules()
    assert len(set(cli.COMMANDS)) == len(cli.COMMANDS)


def test_each_command_adds_its_parser_under_its_name_and_runs_with_the_parsed_arguments():
    for name in command_modules():
        module = importlib.import_module(f"unpack_race.scenarios.commands.{name}_command")
        assert callable(module.add_parser) and callable(module.run), name
    choices = cli.build_parser()._subparsers._group_actions[0].choices
    assert list(choices) == list(cli.COMMANDS) == [
        "list", "check", "replay", "compare", "minimize", "explain", "corpus", "bench", "lint", "draw", "report"]
    args = cli.build_parser().parse_args(["list"])
    assert args.run is cli.command("list").run


def prints(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"]


def test_no_module_of_scenarios_prints_but_the_commands_and_the_dispatcher():
    printing = {str(p.relative_to(ROOT)): prints(p) for p in sorted((ROOT / "scenarios").rglob("*.py"))
                if "__pycache__" not in p.parts and prints(p)}
    allowed = {k for k in printing if k.startswith("scenarios/commands/") or k == "scenarios/cli.py"}
    assert set(printing) - allowed == set(), printing
