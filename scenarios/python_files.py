"""Running a Python file of the user's, by the user's request: a variant file
(`--variant-file F`, scenarios/variant_files.py) or a scenario file (`check F.py:NAME`,
scenarios/user_scenarios.py).

Like pytest with a conftest, it runs only a file the user names, never one a schedule
names. The file runs as a module of its own name-mangled name, with its directory first
on `sys.path` (as pytest's default "prepend" import mode does), so that it can import its
neighbours. Every problem is a ParamError with one line naming the file (`what` says
which kind it is), the line where the error arose, and the error.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from unpack_race.scenarios.base import ParamError
from unpack_race.scheduler.echo import echo_path, echo_text
from unpack_race.scheduler.schedule import file_kind


def run_python_file(path: str | Path, what: str, prefix: str, keep: bool = False) -> ModuleType:
    """Run the file as a module named `prefix` and a digest of the file's absolute path,
    and return the module. With `keep`, the module stays
    in `sys.modules` (its classes can be looked up by module, as pickle and
    `typing.get_type_hints` do); without, it is removed after it has run."""
    path = Path(path)
    shown = echo_path(path)
    try:
        kind = file_kind(path.stat().st_mode)
    except ValueError:  # os.stat refuses a NUL character in a path
        raise ParamError(f"{what} {shown}: a file name cannot contain a NUL character") from None
    except OSError as err:
        raise ParamError(f"{what} {shown}: {err.strerror or 'cannot be read'}") from None
    if kind is not None:
        raise ParamError(f"{what} {shown}: {kind}, not a regular file")
    name = prefix + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ParamError(f"{what} {shown}: cannot be loaded as Python (name it *.py)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # attrs and dataclasses look their module up while the file runs
    directory = str(path.resolve().parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the user's code: any error is theirs to fix
        sys.modules.pop(name, None)
        raise ParamError(f"{what} {shown}{line_of(err, path)}: {type(err).__name__}: {echo_text(str(err))}") from err
    if not keep:
        sys.modules.pop(name, None)
    return module


def line_of(err: BaseException, path: str | Path) -> str:
    """", line N" of the innermost frame of the error in `path` (of a SyntaxError, its
    own line), or "" when the error arose elsewhere."""
    same = os.path.abspath(path)
    if isinstance(err, SyntaxError) and err.lineno and err.filename and os.path.abspath(err.filename) == same:
        return f", line {err.lineno}"
    frames = []
    tb = err.__traceback__
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == same:
            frames.append(tb)
        tb = tb.tb_next
    return f", line {frames[-1].tb_lineno}" if frames else ""
