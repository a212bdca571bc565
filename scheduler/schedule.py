"""Schedules: the recorded choices of one execution, as versioned JSON.

```
{"format": "unpack-race.schedule", "version": 3,
 "scenario": "...", "variant": "...", "params": {...},
 "steps": [{"actor": "pull-2", "effect": "Stat", "args": {"key": "sha256:c1"}},
           {"actor": "pull-1", "crash": true, "effect": "Commit", "args": {...}}, ...]}
```
Steps name the actor and its effect (with arguments), not bare indices, so a replay can
say exactly where a changed model diverges. A step with `"crash": true` is a crash
(scheduler.crashes): the actor stops instead of performing the effect named, its
pending one (version 3; in memory it is the step of the choice `crash(<actor>)`, whose
effect is a `Crash`). A schedule is written in the oldest version that holds it: version
2 unless it has a crash. Files are parsed with `json`, their format and version checked (an
older version is migrated step by step through `MIGRATIONS`, or refused: version 1
spelled scenario and parameter names with `_`, see `kebab_case_names`; version 2 had no
crashes), then validated against the JSON Schema shipped beside this module
(`schedule.schema.json`, with the `jsonschema` library); a bad file raises
`ScheduleError` with one line naming the file, the field and what was expected.

Extension fields: keys starting with `x-` are free for tools; `expect` (each variant's
verdict when the schedule is replayed under it), `comment` and `source` (where a scenario
defined outside the package is, as a reference to load it by) are read by unpack-race.
They travel in `Schedule.extensions`.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jsonschema

from unpack_race.scheduler.crashes import Crash, crash_choice
from unpack_race.scheduler.echo import echo, echo_path, echo_text
from unpack_race.scheduler.effect import Effect, effect_name
from unpack_race.scheduler.files import write_atomically
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.suggestions import did_you_mean

FORMAT = "unpack-race.schedule"
VERSION = 3  # the newest version: read, and written for a schedule with a crash
CRASH_FREE_VERSION = 2  # the version a schedule without a crash is written in (Schedule.version)
FIRST_VERSION = 1  # the oldest version ever written


def kebab_case_names(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: the scenario's name and its parameters' names in lower-case
    kebab-case, one naming style with the command line's flags (`account_bad` ->
    `account-bad`, `gc_runs` -> `gc-runs`, `N` -> `n`). A rule, not a table of names:
    version 1 names could hold `_` and capitals, version 2 names hold neither, so each
    name is lower-cased and each `_` becomes `-`. Values, variants and steps are as
    they were. Two parameters that become one name are refused."""
    scenario, params = data.get("scenario"), data.get("params")
    if isinstance(scenario, str):
        data["scenario"] = kebab_case(scenario)
    if isinstance(params, dict):
        renamed: dict[str, Any] = {}
        was: dict[str, str] = {}
        for name, value in params.items():
            new = kebab_case(name)
            if new in renamed:
                raise ScheduleError(f"field params: the version 1 parameters {echo(was[new])} and {echo(name)} are "
                                    f"both {echo(new)} in version 2; keep one of them")
            renamed[new], was[new] = value, name
        data["params"] = renamed
    return data


def kebab_case(name: str) -> str:
    """A version-1 name as version 2 spells it: lower-case, `-` for `_`."""
    return name.lower().replace("_", "-")


def no_crashes(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 -> 3: version 3 adds crash steps (`"crash": true`); a version 2 file has
    none, so its steps are as they were (a version 2 file with one is refused)."""
    steps = data.get("steps")
    for i, step in enumerate(steps if isinstance(steps, list) else ()):
        if isinstance(step, dict) and "crash" in step:
            raise ScheduleError(f"field steps[{i}].crash: schedule version 2 has no crash steps; a schedule with "
                                f"a crash is version 3")
    return data


#: version n -> a function turning a version-n document into a version n+1 document;
#: the next format change adds its entry here and bumps VERSION.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: kebab_case_names, 2: no_crashes}

BASE_FIELDS = ("format", "version", "scenario", "variant", "params", "steps")
CRASH = Crash.__name__  # the kind of a crash step's effect

#: the largest schedule file read (the longest schedule of the corpus is about 10 kB)
MAX_BYTES = 16 * 1024 * 1024
#: the deepest nesting of JSON arrays and objects in a schedule file (the format needs 4)
MAX_DEPTH = 64
#: the most digits of a JSON integer in a schedule file (Python itself stops at 4,300)
MAX_DIGITS = 100


class ScheduleError(ValueError):
    """A schedule file that cannot be used; the message is one line meant for a person."""


@attrs.frozen
class ScheduledStep:
    """One step as a schedule records it: the choice that moved (an actor, or a crash
    choice `crash(<actor>)`), the kind of its effect and the effect's arguments (for a
    crash: `Crash`, with the crashed actor and the effect it came before)."""

    actor: str
    effect: str
    args: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of(cls, step: Step) -> ScheduledStep:
        return cls(step.actor, effect_name(step.effect), step.effect.args())

    @classmethod
    def crash(cls, actor: str, effect: str, args: Mapping[str, Any]) -> ScheduledStep:
        """`actor` crashes instead of performing its pending `effect(args)`."""
        return cls(crash_choice(actor), CRASH, {"actor": actor, "before": {"effect": effect, "args": dict(args)}})

    @property
    def crashed(self) -> str | None:
        """The actor this step crashes, or None for an ordinary step."""
        if self.effect == CRASH and self.actor == crash_choice(str(self.args.get("actor"))):
            return self.args["actor"]
        return None

    def describe(self) -> str:
        if self.crashed is not None:
            before = self.args.get("before") or {"effect": "?", "args": {}}
            return f"crash before {ScheduledStep('', before['effect'], before['args']).describe()}"
        inner = ", ".join(f"{echo_text(str(k), 40)}={echo(v)}" for k, v in self.args.items())
        return f"{echo_text(self.effect, 40)}({echo_text(inner, 200)})"

    def matches(self, effect: Effect) -> bool:
        """The pending `effect` is this step's: the same kind and the same arguments."""
        return effect_name(effect) == self.effect and effect.args() == dict(self.args)

    @property
    def runnable(self) -> None:
        """A schedule file does not record which actors could move."""
        return None

    def to_json(self) -> dict[str, Any]:
        crashed = self.crashed
        if crashed is not None:
            before = self.args["before"]
            return {"actor": crashed, "crash": True, "effect": before["effect"], "args": dict(before["args"])}
        return {"actor": self.actor, "effect": self.effect, "args": dict(self.args)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ScheduledStep:
        """A step as a (validated) schedule file spells it."""
        if raw.get("crash"):
            return cls.crash(raw["actor"], raw["effect"], raw.get("args", {}))
        return cls(raw["actor"], raw["effect"], raw.get("args", {}))


@attrs.frozen
class Schedule:
    scenario: str
    variant: str
    params: Mapping[str, Any]
    steps: tuple[ScheduledStep, ...]
    #: extension fields (`expect`, `comment`, `x-...`), kept as read
    extensions: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of(
        cls, scenario: str, variant: str, params: Mapping[str, Any], steps: Iterable[Step]
    ) -> Schedule:
        return cls(scenario, variant, dict(params), tuple(ScheduledStep.of(s) for s in steps))

    def version(self) -> int:
        """The version the schedule is written in: the oldest that can hold it, so that a
        schedule without a crash stays readable by an unpack-race that reads version 2."""
        return VERSION if any(s.crashed is not None for s in self.steps) else CRASH_FREE_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version(),
            "scenario": self.scenario,
            "variant": self.variant,
            "params": dict(sorted(self.params.items())),
            "steps": [s.to_json() for s in self.steps],
            **{k: self.extensions[k] for k in sorted(self.extensions)},
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1) + "\n"

    def save(self, path: str | os.PathLike) -> Path:
        """Write atomically: a temporary file in the same directory, then a rename."""
        return write_atomically(Path(path), self.dumps())

    @classmethod
    def loads(cls, text: str, source: str = "<schedule>") -> Schedule:
        return cls.from_json(parse_json(text, source), source)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Schedule:
        """Read and check a schedule file: a regular file (a FIFO, device or directory is
        refused without reading it) of at most MAX_BYTES of UTF-8 JSON, nested at most
        MAX_DEPTH levels, with numbers of at most MAX_DIGITS digits."""
        return cls.loads(read_text_file(path), echo_path(path))

    @classmethod
    def from_json(cls, data: Any, source: str = "<schedule>") -> Schedule:
        data = _checked_version(data, source)
        _validate(data, source)
        steps = tuple(ScheduledStep.from_json(raw) for raw in data["steps"])
        extensions = {k: v for k, v in data.items() if k not in BASE_FIELDS}
        return cls(data["scenario"], data["variant"], data.get("params", {}), steps, extensions)

    @property
    def source(self) -> str | None:
        """Where the schedule's scenario is defined, when outside the package: the
        reference that loads it (`file.py:NAME`, `module:NAME`), else None."""
        return self.extensions.get("source")

    def check_names(self, actors: Iterable[str], source: str = "<schedule>") -> None:
        """Refuse steps that name an actor the program does not have, or an effect kind
        no loaded model defines, with one line naming the field."""
        actors = tuple(actors)
        kinds = effect_kinds() - {CRASH}
        for i, step in enumerate(self.steps):
            actor, effect = step.actor, step.effect
            if step.crashed is not None:  # named in the file by the crashed actor and the effect it came before
                actor, effect = step.crashed, step.args["before"]["effect"]
            if actor not in actors:
                raise ScheduleError(
                    f"{source}: field steps[{i}].actor: expected one of the actors "
                    f"{', '.join(actors)}, got {echo(actor)}{did_you_mean(actor, actors)}"
                )
            if effect not in kinds:
                raise ScheduleError(
                    f"{source}: field steps[{i}].effect: expected an effect the model defines "
                    f"({', '.join(sorted(kinds))}), got {echo(effect)}{did_you_mean(effect, sorted(kinds))}"
                )


def effect_kinds() -> set[str]:
    """The names of every Effect subclass loaded so far."""
    found: set[str] = set()
    todo = list(Effect.__subclasses__())
    while todo:
        kind = todo.pop()
        if kind.__name__ not in found:
            found.add(kind.__name__)
            todo.extend(kind.__subclasses__())
    return found


# -- reading -----------------------------------------------------------------------------

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is ("a directory", "a FIFO (named pipe)",
    ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_text_file(path: str | os.PathLike, what: str = "schedule file", limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes (newlines read as "\\n",
    as `open` does). A file that is not a regular file is refused by its `stat`, without
    opening it, and it is opened non-blocking, so that a FIFO swapped in between cannot
    hang the read; a file that is larger is refused after reading at most `limit` + 1
    bytes. Every problem is a ScheduleError naming the file."""
    shown = echo_path(path)
    cannot = f"{shown}: cannot read the {what}"
    try:
        kind = file_kind(os.stat(path).st_mode)
    except ValueError:  # os.stat refuses a NUL character in a path
        raise ScheduleError(f"{shown}: cannot read the {what}: a file name cannot contain a NUL character") from None
    except OSError as exc:
        raise ScheduleError(f"{cannot} ({exc.strerror})") from None
    if kind is not None:
        raise ScheduleError(f"{cannot}: it is {kind}, not a regular file")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ScheduleError(f"{cannot} ({exc.strerror})") from None
    chunks: list[bytes] = []
    try:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise ScheduleError(f"{cannot}: it is {kind}, not a regular file")
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise ScheduleError(f"{cannot} ({exc.strerror})") from None
    finally:
        os.close(fd)
    if total > limit:
        raise ScheduleError(f"{shown}: the {what} is larger than {limit:,} bytes; expected at most {limit:,}")
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ScheduleError(f"{shown}: not a UTF-8 text file") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Refused(Exception):
    """A number the parser meets that a schedule file cannot hold (raised through json)."""


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(f"an integer of {digits:,} digits; expected at most {MAX_DIGITS}")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {echo_text(text)} is too large for a 64-bit float; expected a finite number")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value; expected a finite number")


def parse_json(text: str, source: str = "<schedule>") -> Any:
    """The JSON document `text`, with its nesting (MAX_DEPTH) and numbers (MAX_DIGITS,
    finite) bounded; a ScheduleError naming `source` otherwise."""
    try:
        data = json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise ScheduleError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except _Refused as exc:
        raise ScheduleError(f"{source}: not a usable JSON document: {exc}") from None
    except RecursionError:
        raise ScheduleError(f"{source}: JSON nested too deeply: expected arrays and objects at most "
                            f"{MAX_DEPTH} levels deep") from None
    depth = nesting(data)
    if depth > MAX_DEPTH:
        raise ScheduleError(f"{source}: JSON nested too deeply ({depth} levels): expected arrays and objects "
                            f"at most {MAX_DEPTH} levels deep")
    return data


def nesting(data: Any) -> int:
    """How deeply arrays and objects nest in `data` (0 for a scalar), without recursion."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, depth = todo.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:  # beyond, the depth is already too much: no need to walk on
            todo.extend((child, depth + 1) for child in children)
    return deepest


# -- validation ---------------------------------------------------------------------------


def _fail(source: str, field: str, expected: str, got: Any) -> ScheduleError:
    return ScheduleError(f"{source}: field {field}: expected {expected}, got {echo(got)}")


def _checked_version(data: Any, source: str) -> dict[str, Any]:
    """The format and version, checked first (the rest of the schema depends on them);
    an older version is migrated to this one."""
    if not isinstance(data, dict):
        raise _fail(source, "(top level)", "a JSON object", type(data).__name__)
    if data.get("format") != FORMAT:
        raise _fail(source, "format", repr(FORMAT), data.get("format"))
    version = data.get("version")
    if type(version) is int and FIRST_VERSION > version:
        raise ScheduleError(
            f"{source}: field version: schedule version {version} never existed (the first is "
            f"{FIRST_VERSION}); this unpack-race reads version {VERSION}"
        )
    if type(version) is int and version < VERSION:
        return migrate(data, source)
    if type(version) is not int or version != VERSION:  # True == 1.0 == 1 in Python
        raise ScheduleError(
            f"{source}: field version: this unpack-race reads schedule version {VERSION}, "
            f"the file has {echo(version)}; re-record it with this version"
        )
    return data


def migrate(data: dict[str, Any], source: str = "<schedule>") -> dict[str, Any]:
    """Bring an older document up to VERSION, one version at a time."""
    version = data["version"]
    while version < VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ScheduleError(
                f"{source}: field version: schedule version {version} cannot be migrated to "
                f"version {VERSION} by this unpack-race; re-record it with this version"
            )
        try:
            data = step(dict(data))
        except ScheduleError as err:  # a migration's message names the field; the file is named here
            raise ScheduleError(f"{source}: {err}") from None
        version += 1
        data["version"] = version
    return data


@functools.cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the schedule format (scheduler/schedule.schema.json)."""
    text = resources.files("unpack_race.scheduler").joinpath("schedule.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


def _validate(data: dict[str, Any], source: str) -> None:
    errors = list(_validator().iter_errors(data))
    if not errors:
        return
    error = min(errors, key=lambda e: _reading_order(_field_path(e)))
    raise _message(error, source)


_ORDER = {name: i for i, name in enumerate(BASE_FIELDS + ("expect", "comment", "actor", "crash", "effect", "args",
                                                          "verdict", "property"))}


def _reading_order(path: list[Any]) -> tuple:
    """Errors sorted as a person reads the file: fields in the format's order, steps by index."""
    return tuple((0, p, "") if isinstance(p, int) else (1, _ORDER.get(p, len(_ORDER)), str(p)) for p in path)


def _field_path(error: jsonschema.ValidationError) -> list[Any]:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        path.append(missing[0])
    elif error.validator == "additionalProperties":
        path.append(sorted(_unexpected(error))[0])
    return path


def _unexpected(error: jsonschema.ValidationError) -> list[str]:
    known = error.schema.get("properties", {})
    patterns = error.schema.get("patternProperties", {})
    return [
        name for name in error.instance
        if name not in known and not any(re.search(p, name) for p in patterns)
    ]


def _field_name(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if not text:
        return "(top level)"
    return echo_text(text, 120) if text.isprintable() else echo(text, 120)


def _message(error: jsonschema.ValidationError, source: str) -> ScheduleError:
    path = _field_path(error)
    field = _field_name(path)
    if error.validator == "required":
        expected = error.schema.get("properties", {}).get(path[-1], {}).get("x-expected", "a value")
        return _fail(source, field, expected, None)
    if error.validator == "additionalProperties":
        allowed = error.schema.get("x-unexpected", "no such field")
        return ScheduleError(f"{source}: field {field}: unknown field; expected {allowed}")
    expected = error.schema.get("x-expected")
    if error.validator == "maxLength":
        expected = f"at most {error.validator_value} characters"
    if expected is None:
        expected = _generic_expectation(error)
    return _fail(source, field, expected, error.instance)


def _generic_expectation(error: jsonschema.ValidationError) -> str:
    if error.validator == "const":
        return repr(error.validator_value)
    if error.validator == "enum":
        return "one of " + ", ".join(map(repr, error.validator_value))
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return " or ".join(kinds)
    return error.message
