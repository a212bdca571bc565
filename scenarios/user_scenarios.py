"""Scenarios defined outside the package, named by reference: `path/to/file.py:NAME` or
`package.module:NAME` (as `unpack-race check cache_race.py:CacheRace --variant racy`, or
`api.check("cache_race.py:CacheRace", "racy")`).

NAME is a top-level name of the file or module (dotted for an attribute of one): a
`Scenario` object, or a `Scenario` subclass that takes no arguments. Loading is explicit:
only the file or module the user names is imported (a file runs as by
scenarios/python_files.py; a module is imported with the current directory first on
`sys.path`, as `python -m` would), once per process. A schedule of the scenario records
the reference as its `source` (`Scenario.recorded`), but replaying it never imports
anything by itself: `replay`, `minimize` and `explain` take `--scenario REF`, and a
schedule of a scenario the registry does not know is refused with the reference to give.
Every problem is a ParamError with one line naming the file or module.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from unpack_race.model.variants import NAME
from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scenarios.python_files import line_of, run_python_file
from unpack_race.scheduler.echo import echo, echo_path, echo_text
from unpack_race.scheduler.suggestions import did_you_mean

#: the scenarios loaded so far, by reference (each file or module is run once)
LOADED: dict[str, Scenario] = {}

SHAPE = "a Scenario object or a Scenario subclass that takes no arguments (scenarios.base.Scenario)"


def is_reference(text: str) -> bool:
    """`text` names a scenario by reference (FILE.py:NAME or MODULE:NAME), not by a
    registered name (which has no colon)."""
    return ":" in text


def load_scenario(reference: str, taken: frozenset[str] = frozenset()) -> Scenario:
    """The scenario `reference` names, loading its file or module on first use; its
    `loaded_from` is the reference in full (an absolute path for a file). `taken`: the
    built-in scenarios' names, which a user's scenario may not have."""
    where, _, name = reference.rpartition(":")
    if not where or not name:
        raise ParamError(f"scenario reference {echo(reference)}: expected FILE.py:NAME or MODULE:NAME, "
                         f"such as cache_race.py:CacheRace")
    from_file = where.endswith(".py") or os.sep in where or "/" in where
    if from_file:
        try:
            full = f"{Path(where).resolve()}:{name}"
        except (OSError, RuntimeError, ValueError):  # a NUL, a loop of links: run_python_file says
            full = reference
    else:
        full = f"{where}:{name}"
    if full in LOADED:
        return LOADED[full]
    module = _run_file(where) if from_file else _import(where)
    shown = echo_path(where) if from_file else f"module {echo(where)}"
    found = _attribute(module, name, shown)
    scenario = _scenario_of(found, name, shown)
    for what, named in (("name", scenario.name), *(("variant", v) for v in scenario.variants)):
        if not isinstance(named, str) or not NAME.fullmatch(named):
            raise ParamError(f"{shown}:{name} has the {what} {echo(named)}; use 1 to 64 lower-case letters, digits, "
                             f"'-' or '.', starting with a letter or digit (it becomes part of file names)")
    if scenario.name in taken:
        raise ParamError(f"{shown}:{name} is named {scenario.name!r}, a built-in scenario's name; give it another "
                         f"name (its `name` attribute)")
    scenario.loaded_from = full
    LOADED[full] = scenario
    return scenario


def _run_file(path: str) -> Any:
    return run_python_file(path, "scenario file", "unpack_race_scenario_file_", keep=True)


def _import(module: str) -> Any:
    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name is not None and (module == err.name or module.startswith(err.name + ".")):
            raise ParamError(f"module {echo(module)} not found ({err}); it is looked for in the current directory "
                             f"and on sys.path; or name its file: path/to/file.py:NAME") from None
        raise ParamError(f"module {echo(module)}{_where(module, err)}: {type(err).__name__}: "
                         f"{echo_text(str(err))}") from err
    except Exception as err:  # the user's code: any error is theirs to fix
        raise ParamError(f"module {echo(module)}{_where(module, err)}: {type(err).__name__}: "
                         f"{echo_text(str(err))}") from err


def _where(module: str, err: Exception) -> str:
    """" (file, line N)" of the error in the module's own file, where it can be found."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return ""
    origin = getattr(spec, "origin", None)
    if not origin or not os.path.isfile(origin):
        return ""
    line = line_of(err, origin)
    return f" ({echo_path(origin)}{line})"


def _attribute(module: Any, name: str, shown: str) -> Any:
    found = module
    for part in name.split("."):
        if not hasattr(found, part):
            candidates = _scenarios_in(module)
            raise ParamError(f"{shown} has no {echo(name)}{did_you_mean(name, candidates)}; {listing(candidates)}")
        found = getattr(found, part)
    return found


def _scenario_of(found: Any, name: str, shown: str) -> Scenario:
    if isinstance(found, Scenario):
        return found
    if isinstance(found, type) and issubclass(found, Scenario):
        try:
            return found()
        except TypeError as err:
            raise ParamError(f"{shown}:{name} cannot be made without arguments ({echo_text(str(err))}); name an "
                             f"object instead, such as MY_RACE = {name}(...)") from None
    raise ParamError(f"{shown}:{name} is {_kind(found)}, not a scenario; expected {SHAPE}")


def listing(candidates: list[str]) -> str:
    return f"its scenarios: {', '.join(candidates)}" if candidates else f"it defines no scenario: {SHAPE}"


def file_without_name(path: str) -> ParamError:
    """The error for a scenario file named without the scenario in it (`check
    cache_race.py`): the references it offers, once the file has been run."""
    module = _run_file(path)
    candidates = _scenarios_in(module)
    example = f", such as {path}:{candidates[0]}" if candidates else ""
    return ParamError(f"{echo_path(path)} is a file; name the scenario in it too: FILE.py:NAME{example} "
                      f"({listing(candidates)})")


def _scenarios_in(module: Any) -> list[str]:
    """The top-level names of the module that a reference could name."""
    return sorted(n for n, v in vars(module).items()
                  if not n.startswith("_") and (isinstance(v, Scenario) or (
                      isinstance(v, type) and issubclass(v, Scenario) and v.__module__ == module.__name__
                      and not getattr(v, "__abstractmethods__", None))))


def _kind(value: Any) -> str:
    if isinstance(value, type):
        return f"the class {value.__name__}"
    return f"a {type(value).__name__}"
