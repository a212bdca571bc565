"""The exceptions the facade raises for bad input, each with a one-line message meant for
a person: an unknown scenario, variant or parameter value (`ParamError`), an unknown
strategy or option (`OptionError`), a property the chosen strategy cannot check
(`PropertyScopeError`), a schedule file that cannot be read, is malformed, does not
replay under its variant, or has nothing to explain or minimise (`ScheduleError`), and a
program the engine cannot run as written, such as a world without the `fingerprint()` a
search keys its states by (`ProgramError`), and a checkpoint that cannot be resumed
(`CheckpointError`: missing, damaged, of another format version or another search).

`INPUT_ERRORS` is the tuple of them: the command line prints any of these as one line and
exits 2. Every other exception is a bug (exit 3).
"""

from __future__ import annotations

from unpack_race.scenarios.base import ParamError
from unpack_race.scheduler.checkpoint import CheckpointError
from unpack_race.scheduler.explore import PropertyScopeError
from unpack_race.scheduler.program import ProgramError
from unpack_race.scheduler.schedule import ScheduleError
from unpack_race.scheduler.strategies.registry import OptionError

INPUT_ERRORS: tuple[type[Exception], ...] = (ParamError, OptionError, PropertyScopeError, ScheduleError, ProgramError,
                                              CheckpointError)

__all__ = ["INPUT_ERRORS", "CheckpointError", "OptionError", "ParamError", "ProgramError", "PropertyScopeError", "ScheduleError"]
