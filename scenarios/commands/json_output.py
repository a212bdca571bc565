"""`--json` on every command: stdout carries exactly one JSON document
(reports.documents: format, version, exit code, the command's content), the human text
goes to stderr, and the exit code is the command's own.

The dispatcher (scenarios/cli.py) adds the option to every command's parser and runs the
command inside `json_mode(args)`: with --json, what the command prints goes to stderr,
and `emit(args, document)` prints the document to the real stdout. A command calls
`emit` once on every path that ends with its exit code, an interrupted one with the
document of what it finished (marked partial) before it re-raises; a command that
refuses its input (exit 2) emits nothing, its one line goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from unpack_race.reports.documents import PREFIX, dumps

HELP = ("print one JSON document on stdout ({format}; its JSON Schema ships in unpack_race/reports/schemas/); "
        "any text goes to stderr, the exit code is unchanged")


def add_json_option(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--json", action="store_true", help=HELP.format(format=f"format {PREFIX}{command}"))


@contextlib.contextmanager
def json_mode(args: argparse.Namespace) -> Iterator[None]:
    """With --json, stdout is stderr while the command runs, and `emit` writes to the real stdout."""
    if not getattr(args, "json", False):
        yield
        return
    args.document_stream = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        yield


def emit(args: argparse.Namespace, document: Mapping[str, Any]) -> None:
    """Print `document` on stdout when --json was given (else nothing)."""
    stream = getattr(args, "document_stream", None)
    if stream is not None:
        stream.write(dumps(document))
        stream.flush()


__all__ = ["add_json_option", "emit", "json_mode"]
