"""Variants from a file outside the package (`--variant-file F`): a researcher's fix idea,
written as one Python file that defines `VARIANTS`, a tuple of
`unpack_race.model.variants.Variant` (docs/variants.md has a worked example).

The file is Python because a variant is code (its step before Prepare); it is run as the
user's own program, by the user's request, like a pytest conftest, never as data from a
schedule. `variant_files(paths)` registers its variants for the duration of a `with`
block and removes them after, so that one process (a test, a notebook) can load several;
`register_files(paths)` keeps them for the life of the process. The files the environment
variable UNPACK_RACE_VARIANT_FILES names are given to every command that takes
--variant-file, and tests/conftest.py registers them for the whole test session.
Every problem with a file is a ParamError with one line naming the file and what to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from unpack_race.model.variants import BY_NAME, Variant, register, unregister
from unpack_race.scenarios.base import ParamError
from unpack_race.scheduler.echo import echo_path, echo_text
from unpack_race.scheduler.schedule import file_kind

SHAPE = "a tuple of unpack_race.model.variants.Variant"
ENVIRONMENT = "UNPACK_RACE_VARIANT_FILES"


def load_variant_file(path: str | Path) -> tuple[Variant, ...]:
    """Run the file and return its VARIANTS (not registered yet)."""
    path = Path(path)
    shown = echo_path(path)
    try:
        kind = file_kind(path.stat().st_mode)
    except ValueError:  # os.stat refuses a NUL character in a path
        raise ParamError(f"variant file {shown}: a file name cannot contain a NUL character") from None
    except OSError as err:
        raise ParamError(f"variant file {shown}: {err.strerror or 'cannot be read'}") from None
    if kind is not None:
        raise ParamError(f"variant file {shown}: {kind}, not a regular file")
    name = "unpack_race_variant_file_" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ParamError(f"variant file {shown}: cannot be loaded as Python (name it *.py)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # attrs and dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the user's code: any error is theirs to fix
        line = _line_of(err, path)
        raise ParamError(f"variant file {shown}{line}: {type(err).__name__}: {echo_text(str(err))}") from err
    finally:
        sys.modules.pop(name, None)
    found = getattr(module, "VARIANTS", None)
    if not isinstance(found, (tuple, list)) or not found or not all(isinstance(v, Variant) for v in found):
        raise ParamError(f"variant file {shown}: define VARIANTS, {SHAPE} (got {type(found).__name__})")
    return tuple(found)


#: files whose variants stay registered for the life of the process (`register_files`)
LOADED: set[Path] = set()


def from_environment() -> list[str]:
    """The files UNPACK_RACE_VARIANT_FILES names (separated by the OS's path separator):
    given to every command that takes --variant-file, and registered by the project's
    tests for their whole session, so that a researcher's variant is checked by every test
    that goes over the registered variants without editing one."""
    return [p for p in os.environ.get(ENVIRONMENT, "").split(os.pathsep) if p]


def register_files(paths: Sequence[str | Path]) -> tuple[Variant, ...]:
    """Register the variants of every file for the life of the process (a file already
    registered so is skipped)."""
    added = []
    for path in paths:
        if _resolved(path) not in LOADED:
            added += _register(path)
            LOADED.add(_resolved(path))
    return tuple(added)


@contextlib.contextmanager
def variant_files(paths: Sequence[str | Path]) -> Iterator[tuple[Variant, ...]]:
    """The variants of every file, registered while the block runs (a file that
    `register_files` registered for good is skipped)."""
    added: list[Variant] = []
    try:
        for path in paths:
            if _resolved(path) not in LOADED:
                added += _register(path)
        yield tuple(added)
    finally:
        for v in added:
            unregister(v.name)


def _register(path: str | Path) -> list[Variant]:
    """Register the file's variants: all of them, or none if a name is taken."""
    found = load_variant_file(path)
    for v in found:
        if v.name in BY_NAME or sum(w.name == v.name for w in found) > 1:
            raise ParamError(f"variant file {echo_path(path)}: a variant named {v.name!r} is already registered; "
                             f"give it another name")
    return [register(v) for v in found]


def _resolved(path: str | Path) -> Path | None:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError):  # too long, a loop of links, a NUL: load_variant_file says
        return None


def _line_of(err: Exception, path: Path) -> str:
    if isinstance(err, SyntaxError) and err.lineno:
        return f", line {err.lineno}"
    frames = [f for f in _frames(err) if Path(f.tb_frame.f_code.co_filename) == path]
    return f", line {frames[-1].tb_lineno}" if frames else ""


def _frames(err: Exception):
    tb = err.__traceback__
    while tb is not None:
        yield tb
        tb = tb.tb_next
