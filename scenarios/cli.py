"""The `unpack-race` command line: list, check, replay, compare, minimize, explain,
corpus, bench, lint and draw.

This module is the dispatcher: the parser, the table of commands (COMMANDS: one module
each in scenarios/commands/, with `add_parser(sub)` and `run(args)`), and the error
handling they share. A command parses, calls the facade (scenarios.api), renders with reports/ and
returns its exit code.

Exit codes: one table for every command (scenarios/commands/exit_codes.py), shown by
`--help` and in the README. With `--json` (every command has it: json_output.py), stdout
carries one JSON document and the text goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from unpack_race import __version__
from unpack_race.reports.trace_text import model_error_document, model_failure_text, schedule_written
from unpack_race.scenarios import interrupts
from unpack_race.scenarios.api import INPUT_ERRORS, ModelRaised
from unpack_race.scenarios.commands import exit_codes
from unpack_race.scenarios.commands.arguments import PathError, writing_into
from unpack_race.scenarios.commands.json_output import add_json_option, emit, json_mode
from unpack_race.scenarios.commands.progress import add_verbosity_options
from unpack_race.scenarios.commands.streams import keeping_exit_code
from unpack_race.scenarios.variant_files import from_environment, variant_files
from unpack_race.scheduler.echo import LIMIT, echo_text
from unpack_race.scheduler.suggestions import did_you_mean

EXIT_OK, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 2, 3, 4

#: The commands, in the order `--help` lists them. Registering a command is one line here:
#: NAME is the module scenarios/commands/NAME_command.py, with `add_parser(sub) -> parser`
#: and `run(args) -> int`.
COMMANDS = (
    "list",
    "check",
    "replay",
    "compare",
    "minimize",
    "explain",
    "corpus",
    "bench",
    "lint",
    "draw",
    "report",
)

#: The commands that go over a scenario's variants also take `--variant-file F` (repeatable):
#: variants of one's own, registered while the command runs, after those the environment's
#: UNPACK_RACE_VARIANT_FILES names (scenarios/variant_files.py); `bench` measures them beside
#: the shipped ones. Not `corpus`: the regression corpus records the shipped variants'
#: verdicts (each file's `expect`), which a variant of one's own would change in every file.
VARIANT_FILE_COMMANDS = ("list", "check", "replay", "compare", "minimize", "explain", "lint", "bench")

#: The commands that show progress or details on stderr take `-q`/`--quiet` and
#: `-v`/`--verbose` (scenarios/commands/progress.py); `list` prints its listing only.
VERBOSITY_COMMANDS = tuple(name for name in COMMANDS if name != "list")


def command(name: str) -> ModuleType:
    """The module of command `name`."""
    return importlib.import_module(f"unpack_race.scenarios.commands.{name}_command")


class UsageError(Exception):
    """Bad usage: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with one-line errors that suggest the close matches of a mistyped
    command, choice or option, and no abbreviated options: `--layer 3` is refused (did you
    mean --layers?) rather than taken as `--layers 3`."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # argparse would exit 2 with usage; keep it one line
        raise UsageError(f"{one_line(message)} (see `{self.prog} --help`)")

    def _check_value(self, action: argparse.Action, value: object) -> None:  # argparse's, with suggestions
        if action.choices is not None and value not in action.choices:
            choices = [str(choice) for choice in action.choices]
            raise argparse.ArgumentError(action, f"invalid choice: {value!r}{did_you_mean(str(value), choices)} "
                                                 f"(choose from {', '.join(map(repr, choices))})")

    def parse_args(self, args=None, namespace=None):  # argparse's, with suggestions for an unknown option
        parsed, unknown = self.parse_known_args(args, namespace)
        if unknown:
            command = self._command_parser(parsed)
            hints = (did_you_mean(u.split("=", 1)[0], command._option_string_actions) for u in unknown if u[:1] == "-")
            command.error(f"unrecognized arguments: {' '.join(unknown)}{next(filter(None, hints), '')}")
        return parsed

    def _command_parser(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        """The parser of the command `parsed` names (this one when it has no commands)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and getattr(parsed, action.dest, None) in action.choices:
                return action.choices[getattr(parsed, action.dest)]
        return self


def one_line(message: str, limit: int = 400) -> str:
    """argparse's message, which echoes what was given as it is, made one bounded line:
    control characters escaped, each word longer than the echo limit cut, the whole cut
    to `limit` characters; "argument --x: --x must be ..." says --x once."""
    message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    message = re.sub(r"^argument (-\S+?)(?:/-\S+)?: \1 ", r"\1 ", message)  # a message naming its option itself
    message = re.sub(r"\S{%d,}" % (LIMIT + 1), lambda word: echo_text(word.group(0)), message)
    return echo_text(message, limit)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="unpack-race", description=__doc__.split("\n\n")[0], epilog=exit_codes.text(),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"unpack-race {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        module = command(name)
        parser_of_command = module.add_parser(sub)
        add_json_option(parser_of_command, name)
        if name in VERBOSITY_COMMANDS:
            add_verbosity_options(parser_of_command)
        parser_of_command.set_defaults(run=module.run)
        if name in VARIANT_FILE_COMMANDS:
            parser_of_command.add_argument(
                "--variant-file", dest="variant_files", action="append", default=[], metavar="F",
                help="a Python file defining VARIANTS, variants of your own (docs/variants.md); may be given more than once")
    return parser


@keeping_exit_code  # a closed pipe or a full disk on stdout keeps the command's exit code
def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        files = [*from_environment(), *args.variant_files] if hasattr(args, "variant_files") else []
        with variant_files(files), json_mode(args):  # with --json: the text to stderr, the document to stdout
            return args.run(args)
    except (UsageError, *INPUT_ERRORS) as err:
        print(f"unpack-race: {err}", file=sys.stderr)
        return EXIT_USAGE
    except ModelRaised as raised:
        return _model_raised(raised, args)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the command printed and wrote what it finished
        print(interrupts.message(), file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, exit 3
        import traceback
        where = traceback.extract_tb(err.__traceback__)[-1]
        print(f"unpack-race: internal error: {type(err).__name__}: {err} "
              f"(at {Path(where.filename).name}:{where.lineno}); this is a bug in unpack-race, "
              f"please report it with the command line you ran", file=sys.stderr)
        return EXIT_INTERNAL


def _model_raised(raised: ModelRaised, args: argparse.Namespace) -> int:
    """A model that raised: its run narrated, the schedule that reproduces it written (into
    --out when the command writes a directory there, else a new temporary directory),
    one line on stderr; exit 3. With --json, all of it goes to stderr, and stdout carries the
    model-error document (reports.trace_text.model_error_document) instead of the command's."""
    text = sys.stderr if getattr(args, "json", False) else sys.stdout
    print(model_failure_text(raised.failure), file=text)
    out = getattr(args, "out", None)
    directory = out if out is not None and args.command in ("check", "compare", "minimize") else Path(
        tempfile.mkdtemp(prefix="unpack-race-"))
    schedule = raised.schedule
    try:
        with writing_into(directory):
            written = schedule.save(directory / raised.filename)
    except PathError as err:  # the model's failure is still the outcome (exit 3): its schedule goes elsewhere
        print(f"unpack-race: {err}; the schedule goes to a new temporary directory instead", file=sys.stderr)
        written = schedule.save(Path(tempfile.mkdtemp(prefix="unpack-race-")) / raised.filename)
    print(schedule_written(written, schedule.source), file=text)
    print(f"unpack-race: the model raised (scenario {raised.scenario.name}, variant {raised.variant}): {raised}",
          file=sys.stderr)
    emit(args, model_error_document(raised.failure, EXIT_INTERNAL, args.command, raised.scenario.name,
                                    raised.variant, raised.params, str(written)))
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
