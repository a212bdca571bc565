"""Schedule files that last: the JSON Schema shipped with the package, validation on
load, extension fields, versions (migrated or refused), and names checked against the
program."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler import schedule as schedule_module
from unpack_race.scheduler.schedule import (
    FORMAT,
    VERSION,
    Schedule,
    ScheduledStep,
    ScheduleError,
    migrate,
    schema,
)

ROOT = Path(__file__).resolve().parents[2]


def sample(**extensions) -> Schedule:
    steps = (ScheduledStep("pull-1", "CreateLease", {"lease": "lease-pull-1", "pull": "pull-1", "expires_in": 86400}),)
    return Schedule("retry-after-cancel", "stat-early-return", {"layers": 2}, steps, extensions)


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_as_package_data():
    text = resources.files("unpack_race.scheduler").joinpath("schedule.schema.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(data)
    assert schema() == data
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "schedule.schema.json" in pyproject["tool"]["setuptools"]["package-data"]["unpack_race.scheduler"]
    assert any(dep.startswith("jsonschema") for dep in pyproject["project"]["dependencies"])


def test_saved_schedules_and_corpus_files_validate_against_the_schema_itself():
    validator = jsonschema.Draft202012Validator(schema())
    validator.validate(json.loads(sample().dumps()))
    validator.validate(json.loads(sample(comment="hi", expect={"v": {"verdict": "pass", "property": None}}).dumps()))
    for path in (ROOT / "scenarios" / "corpus").glob("*.json"):
        validator.validate(json.loads(path.read_text(encoding="utf-8")))


def test_extension_fields_travel_through_load_and_save():
    original = sample(**{"comment": "why", "expect": {"stat-early-return": {"verdict": "violation",
                                                                           "property": "no-missing-parent"}},
                         "x-tool": {"anything": [1, 2]}})
    loaded = Schedule.loads(original.dumps())
    assert loaded == original
    assert loaded.dumps() == original.dumps()
    assert list(json.loads(original.dumps()))[:6] == ["format", "version", "scenario", "variant", "params", "steps"]


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"colour": "red"}, "field colour: unknown field; expected format, version, scenario, variant, params, steps, "
                            "expect, comment, source, or a name starting with x-"),
        ({"comment": 3}, "field comment: expected a string, got 3"),
        ({"source": "x"}, "field source: expected a reference FILE.py:NAME or MODULE:NAME, got 'x'"),
        ({"expect": {"v": {"verdict": "maybe"}}}, "field expect.v.verdict: expected \"pass\" or \"violation\", got 'maybe'"),
        ({"expect": {"v": {"verdict": "pass", "why": 1}}}, "field expect.v.why: unknown field"),
        ({"steps": [{"actor": "a", "effect": "E", "when": 3}]}, "field steps[0].when: unknown field; expected actor, "
                                                                 "crash, effect, args, or a name starting with x-"),
        ({"steps": [{"actor": "", "effect": "E"}]}, "field steps[0].actor: expected a non-empty string, got ''"),
        ({"steps": [{"actor": "a", "effect": "E"}, None]}, "field steps[1]: expected an object with actor, effect, args, got None"),
    ],
)
def test_schema_errors_are_one_line_naming_the_field_and_what_was_expected(change, expected):
    data = json.loads(sample().dumps())
    data.update(change)
    with pytest.raises(ScheduleError) as caught:
        Schedule.loads(json.dumps(data), "f.json")
    assert str(caught.value).startswith("f.json: ")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_first_problem_in_reading_order_is_reported():
    data = json.loads(sample().dumps())
    data.update(scenario=3, steps="x", comment=4)
    with pytest.raises(ScheduleError, match=r"field scenario: expected a non-empty string, got 3$"):
        Schedule.loads(json.dumps(data), "f.json")


def test_an_older_version_is_migrated_step_by_step_or_refused(monkeypatch):
    old = {"format": FORMAT, "version": 1, "scenario": "s", "variant": "v", "moves": [["a", "E"]]}
    monkeypatch.setattr(schedule_module, "VERSION", 3)
    monkeypatch.setattr(schedule_module, "MIGRATIONS", {
        1: lambda d: {**{k: v for k, v in d.items() if k != "moves"},
                      "steps": [{"actor": a, "effect": e} for a, e in d["moves"]]},
        2: lambda d: {**d, "params": d.get("params", {})},
    })
    migrated = migrate(old)
    assert migrated == {"format": FORMAT, "version": 3, "scenario": "s", "variant": "v", "params": {},
                        "steps": [{"actor": "a", "effect": "E"}]}
    monkeypatch.setattr(schedule_module, "MIGRATIONS", {1: lambda d: d})
    with pytest.raises(ScheduleError, match=r"^f\.json: field version: schedule version 2 cannot be migrated to "
                                            r"version 3 by this unpack-race; re-record it"):
        migrate(old, "f.json")


def test_versions_before_the_first_or_after_this_one_are_refused():
    for version, text in ((0, "schedule version 0 never existed (the first is 1)"),
                          (-3, "schedule version -3 never existed"),
                          (VERSION + 1, f"this unpack-race reads schedule version {VERSION}, the file has {VERSION + 1}")):
        data = json.loads(sample().dumps())
        data["version"] = version
        with pytest.raises(ScheduleError) as caught:
            Schedule.loads(json.dumps(data), "f.json")
        assert f"f.json: field version: {text}" in str(caught.value)


def test_steps_must_name_the_program_s_actors_and_effects_the_model_defines():
    built = scenario("retry-after-cancel").build("stat-early-return", {})
    actors = built.program.actor_names()
    sample().check_names(actors, "f.json")
    bad_actor = Schedule("s", "v", {}, (ScheduledStep("mallory", "Stat", {}),))
    with pytest.raises(ScheduleError, match=r"^f\.json: field steps\[0\]\.actor: expected one of the actors "
                                            r"pull-1, pull-2, kubelet, gc, got 'mallory'$"):
        bad_actor.check_names(actors, "f.json")
    bad_effect = Schedule("s", "v", {}, (ScheduledStep("gc", "Teleport", {}),))
    with pytest.raises(ScheduleError, match=r"^f\.json: field steps\[0\]\.effect: expected an effect the model "
                                            r"defines \(.*GcCollect.*\), got 'Teleport'$"):
        bad_effect.check_names(actors, "f.json")
    mistyped_actor = Schedule("s", "v", {}, (ScheduledStep("kublet", "Stat", {}),))
    with pytest.raises(ScheduleError, match=r"got 'kublet' \(did you mean kubelet\?\)$"):
        mistyped_actor.check_names(actors, "f.json")
    mistyped_effect = Schedule("s", "v", {}, (ScheduledStep("gc", "GcColect", {}),))
    with pytest.raises(ScheduleError, match=r"got 'GcColect' \(did you mean GcCollect"):
        mistyped_effect.check_names(actors, "f.json")
