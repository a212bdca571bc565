"""The directory of failing schedules the pytest plugin keeps between runs, the way
Hypothesis keeps failing examples in `.hypothesis/`: one schedule file per failing check,
named after what was checked (scenario, variant, parameters and properties), so that the
next run replays it before any search and removes it once it no longer fails.

Files are written with `scheduler.files.write_atomically` (a partial file named by the
writer's process id, then a rename), so that processes checking at once, as pytest-xdist's
workers do, never see half a file; two of them keeping the same key write the same name,
and the last complete file wins.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from unpack_race.scheduler.schedule import Schedule

#: characters a scenario's or variant's name keeps in a file name (others become "-")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@attrs.frozen
class Key:
    """What a schedule is a counterexample of: a scenario under a variant with every
    parameter (defaults filled in) and the names of the properties checked."""

    scenario: str
    variant: str
    params: Mapping[str, Any]
    properties: tuple[str, ...]

    def digest(self) -> str:
        text = json.dumps({"scenario": self.scenario, "variant": self.variant, "params": dict(self.params),
                           "properties": sorted(self.properties)}, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def filename(self) -> str:
        names = ".".join(_UNSAFE.sub("-", name).strip(".") or "-" for name in (self.scenario, self.variant))
        return f"{names}.{self.digest()}.schedule.json"


@attrs.frozen
class Database:
    directory: Path

    def path(self, key: Key) -> Path:
        return self.directory / key.filename

    def kept(self, key: Key) -> Path | None:
        """The schedule file kept for `key`, if there is one."""
        path = self.path(key)
        return path if path.is_file() else None

    def keep(self, key: Key, schedule: Schedule) -> Path:
        """Write `schedule` as the one kept for `key` (atomically); return its path."""
        return schedule.save(self.path(key))

    def remove(self, key: Key) -> None:
        self.path(key).unlink(missing_ok=True)


__all__ = ["Database", "Key"]
