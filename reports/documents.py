"""The JSON documents the commands print with `--json` (and write: compare.json,
bench.json): each is one object that opens with `format` ("unpack-race.<command>"),
`version` (an integer, raised when a field changes meaning or goes) and `exit_code` (the
command's), then the command's content. Each format has a JSON Schema shipped beside this
module, reports/schemas/<command>.schema.json, in the manner of the schedule's
(scheduler/schedule.schema.json); common.schema.json holds what several share (the
coverage record, a verdict, a violation, a step), referred to by its `$id`.

`document(...)` makes the envelope, `dumps(...)` the text printed, `schema(...)` and
`validate(...)` read the shipped schemas (with the `jsonschema` library): a CI job, or a
test, checks a document it was given.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

#: the version of every document format this unpack-race writes
VERSION = 1
PREFIX = "unpack-race."
COMMON = "common"


def document(command: str, exit_code: int, content: Mapping[str, Any]) -> dict[str, Any]:
    """The document of `command`: format, version and exit code first, then `content`."""
    return {"format": PREFIX + command, "version": VERSION, "exit_code": exit_code, **content}


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as printed and written: indented JSON, keys in the order built, one final newline."""
    return json.dumps(doc, indent=1) + "\n"


def schema_names() -> tuple[str, ...]:
    """The formats with a shipped schema (their command names), without the common one."""
    folder = resources.files("unpack_race.reports").joinpath("schemas")
    names = (entry.name.removesuffix(".schema.json") for entry in folder.iterdir()
             if entry.name.endswith(".schema.json"))
    return tuple(sorted(name for name in names if name != COMMON))


@functools.cache
def _schema_text(name: str) -> str:
    return resources.files("unpack_race.reports").joinpath("schemas", f"{name}.schema.json").read_text(
        encoding="utf-8")


def schema(command: str) -> dict[str, Any]:
    """The JSON Schema of `command`'s document (reports/schemas/<command>.schema.json)."""
    if command != COMMON and command not in schema_names():
        raise KeyError(f"no document schema for {command!r}; the schemas are: {', '.join(schema_names())}")
    return json.loads(_schema_text(command))


def _registry() -> Registry:
    common = schema(COMMON)
    return Registry().with_resource(common["$id"], Resource.from_contents(common))


def validator(command: str) -> jsonschema.protocols.Validator:
    """A validator of `command`'s documents, its schema checked first."""
    chosen = schema(command)
    cls = jsonschema.validators.validator_for(chosen)
    cls.check_schema(chosen)
    return cls(chosen, registry=_registry())


def validate(doc: Mapping[str, Any]) -> None:
    """Check `doc` against the schema its `format` names; raises jsonschema.ValidationError
    (or KeyError for a format without a schema)."""
    name = str(doc.get("format", ""))
    if not name.startswith(PREFIX):
        raise KeyError(f"not an unpack-race document: format {name!r}")
    validator(name.removeprefix(PREFIX)).validate(doc)


__all__ = ["PREFIX", "VERSION", "document", "dumps", "schema", "schema_names", "validate", "validator"]
