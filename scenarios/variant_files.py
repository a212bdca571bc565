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
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from unpack_race.model.variants import BY_NAME, Variant, register, unregister
from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.python_files import run_python_file
from unpack_race.scheduler.echo import echo_path

SHAPE = "a tuple of unpack_race.model.variants.Variant"
ENVIRONMENT = "UNPACK_RACE_VARIANT_FILES"


def load_variant_file(path: str | Path) -> tuple[Variant, ...]:
    """Run the file and return its VARIANTS (not registered yet)."""
    module = run_python_file(path, "variant file", "unpack_race_variant_file_")
    found = getattr(module, "VARIANTS", None)
    if not isinstance(found, (tuple, list)) or not found or not all(isinstance(v, Variant) for v in found):
        raise ParamError(f"variant file {echo_path(path)}: define VARIANTS, {SHAPE} (got {type(found).__name__})")
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
