"""argparse `type=` functions: each turns one command-line value into what the command
needs, or refuses it with one line that says what was expected (argparse prefixes the
option's name), before any work starts.

- `whole_number(...)`, `seconds(...)`: a number, range-checked: not negative where a
  count is meant, finite, not absurdly large; a long bad value is echoed cut
  (scheduler.echo).
- `output_directory`: the directory of every `--out`, which the command will write into,
  checked up front, so that an unusable one (an existing file given as a directory, a
  path through a file, a directory nothing can be created in, such as one under /proc)
  is refused before the search rather than after it. The check writes nothing that
  stays: it creates a probe file (in a probe directory where the directory does not
  exist yet) and removes it again. `corpus --out` is checked the same way once it is
  known whether `--check` only reads it (`directory_path`, then `corpus_directory`).
  What the check cannot foresee (a file the command writes there that exists as a
  directory, a full disk) is refused as the file is written: `writing_into`.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.registry import CANONICAL, SCENARIOS
from unpack_race.scheduler.echo import echo, echo_path
from unpack_race.scheduler.schedule import file_kind
from unpack_race.scheduler.strategies.registry import MAX_RUNS

#: the most executions, states or candidate runs a budget may name: more than a search
#: makes in years
MAX_COUNT = 10**12
#: the longest time budget, in seconds: 10^7 s, about four months
MAX_SECONDS = 10**7
#: the most characters of a number on the command line
MAX_NUMBER_CHARS = 40

PROBE = ".unpack-race-probe-"


def _refuse(message: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(message)


def _number(flag: str, text: str, kind: str, convert: Callable[[str], Any]) -> Any:
    """`convert(text)`, for option `flag` that takes a `kind`; refused when the text is
    longer than a number can usefully be or is not one."""
    if len(text) > MAX_NUMBER_CHARS:
        raise _refuse(f"{flag} must be {kind} of at most {MAX_NUMBER_CHARS} characters, got {echo(text)}")
    try:
        return convert(text)
    except ValueError:
        raise _refuse(f"{flag} must be {kind}, got {echo(text)}") from None


def whole_number(flag: str, minimum: int | None = None, maximum: int | None = None,
                 why: str = "") -> Callable[[str], int]:
    """A parser of option `flag`'s whole number in [minimum, maximum] (None: no limit on
    that side; `why` says why the maximum is what it is)."""

    def parse(text: str) -> int:
        value = _number(flag, text, "a whole number", int)
        if minimum is not None and value < minimum:
            raise _refuse(f"{flag} must be at least {minimum:,}, got {value}")
        if maximum is not None and value > maximum:
            because = f" ({why})" if why else ""
            raise _refuse(f"{flag} must be at most {maximum:,}{because}, got {value:,}")
        return value

    parse.__name__ = "whole number"
    return parse


def seconds(flag: str, maximum: float = MAX_SECONDS) -> Callable[[str], float]:
    """A parser of option `flag`'s time budget: a finite number of seconds, more than 0,
    at most `maximum`."""

    def parse(text: str) -> float:
        value = _number(flag, text, "a number of seconds", float)
        if not math.isfinite(value):
            raise _refuse(f"{flag} must be a finite number of seconds, got {echo(text)}")
        if value <= 0:
            raise _refuse(f"{flag} must be more than 0 seconds, got {echo(text)}")
        if value > maximum:
            raise _refuse(f"{flag} must be at most {maximum:,g} seconds (about four months), got {echo(text)}")
        return value

    parse.__name__ = "number of seconds"
    return parse


def count(flag: str) -> Callable[[str], int]:
    """A parser of a count of executions, states or candidate runs: at least 1."""
    return whole_number(flag, 1, MAX_COUNT, "more than a search makes in years")


def runs(flag: str) -> Callable[[str], int]:
    """A parser of runs (or seeds) of a sampling strategy: at least 1, at most the registry's maximum."""
    return whole_number(flag, 1, MAX_RUNS, "more runs than a search makes in weeks")


def growth(flag: str, param: str) -> Callable[[str], int]:
    """A parser of the bench's growth table's largest value of a parameter of the canonical
    scenario: 0 (no table) up to the parameter's maximum."""
    maximum = next(p.maximum for p in SCENARIOS[CANONICAL].params if p.name == param)
    return whole_number(flag, 0, maximum, f"the largest {param} of {CANONICAL}")


def point(flag: str) -> Callable[[str], tuple[int, int]]:
    """A parser of a point of the canonical scenario, LAYERS/GC-RUNS (e.g. 8/5), each
    from 1 to the parameter's maximum."""
    layers = whole_number(flag + " (its layers)", 1, next(p.maximum for p in SCENARIOS[CANONICAL].params
                                                        if p.name == "layers"), f"the largest layers of {CANONICAL}")
    gc_runs = whole_number(flag + " (its GC runs)", 1, next(p.maximum for p in SCENARIOS[CANONICAL].params
                                                           if p.name == "gc-runs"), f"the largest gc-runs of {CANONICAL}")

    def parse(text: str) -> tuple[int, int]:
        parts = text.split("/")
        if len(parts) != 2:
            raise _refuse(f"{flag} must be LAYERS/GC-RUNS, such as 8/5, got {echo(text)}")
        return layers(parts[0]), gc_runs(parts[1])

    parse.__name__ = "point"
    return parse


# -- output paths --------------------------------------------------------------------------


def _path(text: str, what: str) -> Path:
    if not text:
        raise _refuse(f"expected {what}, got an empty path")
    if "\0" in text:
        raise _refuse(f"expected {what}, got a path with a NUL character: {echo(text)}")
    return Path(text)


def _stat(path: Path) -> os.stat_result | None:
    """The path's stat (following symbolic links), None when it does not exist."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.lexists(path):
            raise _refuse(f"{echo_path(path)} is a symbolic link to nothing") from None
        return None
    except OSError as exc:
        raise _refuse(f"{echo_path(path)}: cannot be used ({exc.strerror})") from None
    except ValueError:  # a NUL character
        raise _refuse(f"{echo_path(path)}: a path cannot contain a NUL character") from None


def _probe(directory: Path, target: Path, creating: bool) -> None:
    """Create (and remove) a file in `directory`, inside a new directory when `creating`:
    what writing `target` will need."""
    made = None
    try:
        where = directory
        if creating:
            made = where = Path(tempfile.mkdtemp(prefix=PROBE, dir=directory))
        fd, name = tempfile.mkstemp(prefix=PROBE, dir=where)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        doing = "creating a directory" if creating and made is None else "creating a file"
        raise _refuse(f"{echo_path(target)}: cannot be written: {doing} in {echo_path(directory)} fails "
                      f"({exc.strerror})") from None
    finally:
        if made is not None:
            try:
                os.rmdir(made)
            except OSError:
                pass


def directory_path(text: str) -> Path:
    """A directory's path, not yet checked against the file system (see `corpus_directory`):
    not empty (which would mean the current directory) and without a NUL character."""
    return _path(text, "a directory")


def writable_directory(path: Path, target: Path | None = None) -> Path:
    """`path`, checked: an existing directory that a file can be created in, or a path
    whose nearest existing ancestor is a directory that it can be created in. Raises
    argparse.ArgumentTypeError saying what is wrong (naming `target`, the file to be
    written in `path`, where given)."""
    target = path if target is None else target
    found = _stat(path)
    if found is not None:
        kind = file_kind(found.st_mode)
        if kind != "a directory" and target is path:
            raise _refuse(f"{echo_path(path)} exists and is {kind or 'a file'}; expected a directory")
        if kind != "a directory":
            raise _refuse(f"{echo_path(target)} cannot be created: {echo_path(path)} is {kind or 'a file'}, "
                          f"not a directory")
        _probe(path, target, creating=False)
        return path
    for ancestor in path.parents:
        found = _stat(ancestor)
        if found is None:
            continue
        kind = file_kind(found.st_mode)
        if kind != "a directory":
            raise _refuse(f"{echo_path(path)} cannot be created: {echo_path(ancestor)} is {kind or 'a file'}, "
                          f"not a directory")
        _probe(ancestor, target, creating=True)
        return path
    raise _refuse(f"{echo_path(path)} cannot be created: none of its parent directories exists")


def output_directory(text: str) -> Path:
    """A directory the command writes into: it exists or can be created, and files can
    be created in it."""
    return writable_directory(_path(text, "a directory"))


def checkpoint_file(text: str) -> Path:
    """The file `--checkpoint` writes: not a directory, in a directory it can be created
    in (or that can be created)."""
    path = _path(text, "a file")
    found = _stat(path)
    if found is not None and file_kind(found.st_mode) == "a directory":
        raise _refuse(f"{echo_path(path)} is a directory; expected a file to write the checkpoint to")
    writable_directory(path.parent, path)
    return path


def existing_directory(path: Path) -> Path:
    """`path`, checked: an existing directory (to be read, not written)."""
    found = _stat(path)
    if found is None:
        raise _refuse(f"{echo_path(path)} does not exist; expected an existing directory")
    kind = file_kind(found.st_mode)
    if kind != "a directory":
        raise _refuse(f"{echo_path(path)} is {kind or 'a file'}; expected an existing directory")
    return path


class PathError(ParamError):
    """A path given on the command line that the command cannot use (exit 2, one line)."""


@contextlib.contextmanager
def writing_into(directory: Path, option: str = "--out") -> Iterator[None]:
    """Files written into `directory`: a write that fails (a file of that name that is a
    directory, a full disk) raises PathError, one line naming the file and why (exit 2), not
    an internal error."""
    try:
        yield
    except OSError as exc:
        failed = Path(exc.filename) if exc.filename is not None else directory
        if failed.parent == directory:
            failed = Path(failed.name)  # the directory is named already
        raise PathError(f"{option} {echo_path(directory)}: cannot write {echo_path(failed)} "
                        f"({exc.strerror or type(exc).__name__}); clear the way for it, or choose another {option}") from None


def corpus_directory(path: Path, *, checking: bool) -> Path:
    """The corpus directory of `corpus --out DIR`: one to write into, or with --check an
    existing one, which is only read. Raises PathError."""
    try:
        return existing_directory(path) if checking else writable_directory(path)
    except argparse.ArgumentTypeError as err:
        raise PathError(f"corpus {'--check ' if checking else ''}--out: {err}") from None


output_directory.__name__ = directory_path.__name__ = "directory"


__all__ = ["MAX_COUNT", "MAX_SECONDS", "PathError", "corpus_directory", "count", "directory_path", "existing_directory",
           "growth", "output_directory", "runs", "seconds", "whole_number", "writable_directory", "writing_into"]
