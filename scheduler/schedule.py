"""Schedules: the recorded choices of one execution, as versioned JSON.

```
{"format": "unpack-race.schedule", "version": 1,
 "scenario": "...", "variant": "...", "params": {...},
 "steps": [{"actor": "pull-2", "effect": "Stat", "args": {"key": "sha256:c1"}}, ...]}
```
Steps name the actor and its effect (with arguments), not bare indices, so a replay can
say exactly where a changed model diverges. Files are parsed with `json` and validated
field by field; a bad file raises `ScheduleError` with one line naming the file, the
field and what was expected.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from scheduler.effect import effect_name
from scheduler.kernel import Step

FORMAT = "unpack-race.schedule"
VERSION = 1


class ScheduleError(ValueError):
    """A schedule file that cannot be used; the message is one line meant for a person."""


@attrs.frozen
class ScheduledStep:
    actor: str
    effect: str
    args: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of(cls, step: Step) -> ScheduledStep:
        return cls(step.actor, effect_name(step.effect), step.effect.args())

    def describe(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"{self.effect}({inner})"

    def to_json(self) -> dict[str, Any]:
        return {"actor": self.actor, "effect": self.effect, "args": dict(self.args)}


@attrs.frozen
class Schedule:
    scenario: str
    variant: str
    params: Mapping[str, Any]
    steps: tuple[ScheduledStep, ...]

    @classmethod
    def of(
        cls, scenario: str, variant: str, params: Mapping[str, Any], steps: Iterable[Step]
    ) -> Schedule:
        return cls(scenario, variant, dict(params), tuple(ScheduledStep.of(s) for s in steps))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "scenario": self.scenario,
            "variant": self.variant,
            "params": dict(sorted(self.params.items())),
            "steps": [s.to_json() for s in self.steps],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1) + "\n"

    def save(self, path: str | os.PathLike) -> Path:
        """Write atomically: a temporary file in the same directory, then a rename."""
        return write_atomically(Path(path), self.dumps())

    @classmethod
    def loads(cls, text: str, source: str = "<schedule>") -> Schedule:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScheduleError(
                f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        return cls.from_json(data, source)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Schedule:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScheduleError(f"{path}: cannot read the schedule file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise ScheduleError(f"{path}: not a UTF-8 text file") from None
        return cls.loads(text, str(path))

    @classmethod
    def from_json(cls, data: Any, source: str = "<schedule>") -> Schedule:
        def fail(field: str, expected: str, got: Any) -> ScheduleError:
            return ScheduleError(f"{source}: field {field}: expected {expected}, got {got!r}")

        if not isinstance(data, dict):
            raise fail("(top level)", "a JSON object", type(data).__name__)
        if data.get("format") != FORMAT:
            raise fail("format", repr(FORMAT), data.get("format"))
        version = data.get("version")
        if type(version) is not int or version != VERSION:  # True == 1.0 == 1 in Python
            raise ScheduleError(
                f"{source}: field version: this unpack-race reads schedule version {VERSION}, "
                f"the file has {version!r}; re-record it with this version"
            )
        for name in ("scenario", "variant"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise fail(name, "a non-empty string", data.get(name))
        params = data.get("params", {})
        if not isinstance(params, dict):
            raise fail("params", "a JSON object", params)
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list):
            raise fail("steps", "a list of steps", raw_steps)
        steps = []
        for i, raw in enumerate(raw_steps):
            if not isinstance(raw, dict):
                raise fail(f"steps[{i}]", "an object with actor, effect, args", raw)
            for name in ("actor", "effect"):
                if not isinstance(raw.get(name), str) or not raw[name]:
                    raise fail(f"steps[{i}].{name}", "a non-empty string", raw.get(name))
            args = raw.get("args", {})
            if not isinstance(args, dict):
                raise fail(f"steps[{i}].args", "a JSON object", args)
            steps.append(ScheduledStep(raw["actor"], raw["effect"], args))
        return cls(data["scenario"], data["variant"], params, tuple(steps))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
