"""What a command shows on stderr while it works, at the verbosity the user chose.

Every command but `list` takes `-q`/`--quiet` and `-v`/`--verbose` (the dispatcher,
scenarios/cli.py, adds them):
- `-q`: no progress at all, only the result lines (and errors);
- by default: a progress line of a running search every 2 s, a line per bench row, per
  corpus case and per variant lint goes through;
- `-v`: the same, a search's line every 0.5 s, and details: the settings the command
  runs with before it starts.

On a terminal (stderr is a TTY, TERM is not "dumb"), the progress line of a search is
redrawn in place, cut to the terminal's width, and erased before anything else is
printed; in a pipe or a CI log it is printed as a line of its own. Progress goes to
stderr only: stdout carries the result and the `--json` document. It is display only:
the clock it reads decides what is shown, never what is run.

tqdm was considered and not taken: outside a terminal it redraws with carriage returns,
which a CI log shows as one growing line rather than periodic lines; its estimate of what
is left comes from a count only, not from a time budget; and a search's line carries
several counts (executions, states, steps) where tqdm has one.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import sys
import time
from collections.abc import Iterator
from typing import TextIO

import attrs

QUIET, NORMAL, VERBOSE = 0, 1, 2
#: seconds between two progress lines of a search in a pipe, by verbosity
EVERY = {NORMAL: 2.0, VERBOSE: 0.5}
#: seconds between two redraws of the progress line on a terminal
REDRAW_EVERY = 0.2
#: erase from the cursor to the end of the line (ECMA-48 EL)
ERASE = "\x1b[K"


def add_verbosity_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=QUIET, default=NORMAL,
                       help="no progress on stderr, only the result lines (and errors)")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE,
                       help="more on stderr: the settings before the work starts, a search's progress every "
                            f"{EVERY[VERBOSE]:g} s (default: every {EVERY[NORMAL]:g} s)")


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is a terminal that can redraw a line (not one with TERM=dumb)."""
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, OSError, ValueError):
        return False


@attrs.define
class Display:
    """The progress and details of one command on `stream` (stderr)."""

    verbosity: int
    stream: TextIO
    redraw: bool  # a terminal: the progress line is redrawn in place
    _shown_at: float = -math.inf
    _topic: str | None = None  # what the last progress line shown was about
    _drawn: bool = False  # a progress line is on the terminal, not yet erased

    @property
    def quiet(self) -> bool:
        return self.verbosity == QUIET

    def progress(self, line: str, topic: str = "") -> None:
        """A search's progress: redrawn on a terminal, else a line at most every EVERY
        seconds (the first one about a `topic`, such as a variant, at once); nothing when
        quiet."""
        if self.quiet:
            return
        now = time.monotonic()
        if topic == self._topic and now - self._shown_at < (REDRAW_EVERY if self.redraw else EVERY[self.verbosity]):
            return
        self._shown_at, self._topic = now, topic
        if self.redraw:
            self._write("\r" + line[:self._width() - 1] + ERASE)
            self._drawn = True
        else:
            self._write(line + "\n")

    def line(self, text: str) -> None:
        """A line that stays (a bench row, a corpus case), unless quiet."""
        if not self.quiet:
            self.clear()
            self._write(text + "\n")

    def detail(self, text: str) -> None:
        """A line only `-v` shows."""
        if self.verbosity >= VERBOSE:
            self.line(text)

    def clear(self) -> None:
        """Erase the progress line from the terminal, if one is drawn."""
        if self._drawn:
            self._write("\r" + ERASE)
            self._drawn = False

    def _width(self) -> int:
        """The terminal's width in columns (the stream's own terminal: stdout may be a file)."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return columns if columns > 1 else shutil.get_terminal_size().columns

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def display(args: argparse.Namespace) -> Display:
    """The display of the command `args` run, on stderr."""
    return Display(getattr(args, "verbosity", NORMAL), sys.stderr, is_terminal(sys.stderr))


@contextlib.contextmanager
def showing(args: argparse.Namespace) -> Iterator[Display]:
    """The command's display while its work runs; its progress line erased at the end,
    however the work ends, so that what is printed next starts a clean line."""
    shown = display(args)
    try:
        yield shown
    finally:
        shown.clear()


__all__ = ["NORMAL", "QUIET", "VERBOSE", "Display", "add_verbosity_options", "display", "is_terminal", "showing"]
