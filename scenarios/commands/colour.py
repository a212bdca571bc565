"""Modest colour in the result lines, on a terminal only: the verdict that opens a line,
green for a pass (and for a comparison whose every verdict is the expected one), red for a
violation (and for verdicts not as expected), yellow for no verdict (a budget ran out,
Ctrl-C, a vacuous search). Nothing else is coloured.

Colour is off when NO_COLOR is set to any non-empty value (https://no-color.org), when
stdout is not a terminal (a pipe, a file, a CI log) or its TERM is "dumb", and with
--json, whose text goes to stderr beside the document.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from unpack_race.scenarios.commands.progress import is_terminal

GREEN, RED, YELLOW, RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"

#: the words a result line opens with, and their colour
VERDICT_WORDS = {
    "PASS": GREEN,
    "every verdict is the expected one": GREEN,
    "VIOLATION": RED,
    "SOME VERDICTS ARE NOT AS EXPECTED": RED,
    "VACUOUS": YELLOW,
    "BUDGET": YELLOW,
    "NO VERDICT": YELLOW,
    "INTERRUPTED": YELLOW,
}
_OPENING = re.compile(r"^(%s)\b" % "|".join(re.escape(word) for word in VERDICT_WORDS), re.M)


def colour_wanted(args: argparse.Namespace) -> bool:
    """Whether the result lines of the command `args` run are coloured (see the module docstring)."""
    return (not os.environ.get("NO_COLOR") and not getattr(args, "json", False)
            and is_terminal(sys.stdout))


def coloured(text: str, on: bool) -> str:
    """`text` with the verdict opening each line coloured, when `on`."""
    if not on:
        return text
    return _OPENING.sub(lambda found: f"{VERDICT_WORDS[found.group(1)]}{found.group(1)}{RESET}", text)


def print_result(args: argparse.Namespace, text: str) -> None:
    """Print result lines on stdout, their verdicts coloured where colour is wanted."""
    print(coloured(text, colour_wanted(args)))


__all__ = ["VERDICT_WORDS", "colour_wanted", "coloured", "print_result"]
