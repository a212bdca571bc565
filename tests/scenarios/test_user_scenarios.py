"""A scenario of the user's, named on the command line as FILE.py:NAME or MODULE:NAME
(scenarios/user_scenarios.py): it is loaded only when named, its schedule records where
it came from, replay/minimize/explain take it again with --scenario (and a schedule
never imports code by itself), and every mistake gets one line naming the file.

The model is a lost update: two threads each read a counter and write it back plus one.
That the final count can be 1 (a violation of "counted twice") is the textbook race; the
variant that increments under a mutex cannot lose an update (a pass)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from unpack_race.reports import documents
from unpack_race.scenarios import api
from unpack_race.scenarios.api import ScheduleError
from unpack_race.scenarios.base import Expectation, ParamError, Scenario
from unpack_race.scenarios.cli import main
from unpack_race.scenarios.user_scenarios import load_scenario
from unpack_race.scheduler.verdict import Verdict

COUNTER = """
from unpack_race.scenarios.base import Built, Expectation, Scenario
from unpack_race.scheduler import at_end
from unpack_race.scheduler.shared_memory import Lock, Read, Unlock, Write, pthread_program
from unpack_race.scheduler.verdict import Verdict


def increment():
    n = yield Read("n")
    yield Write("n", n + 1)


def increment_locked():
    yield Lock("m")
    yield from increment()
    yield Unlock("m")


counted = at_end("counted-twice", lambda end: end.world.vars["n"] == 2, "both increments count")


class Counter(Scenario):
    name, summary, params, variants = "counter", "a lost update", (), ("racy", "locked")

    def build(self, variant, params):
        body = increment if variant == "racy" else increment_locked
        program = pthread_program("counter", {"n": 0}, ["m"], [("a", body), ("b", body)])
        return Built(program, (counted,), "2 threads")

    def expected(self, variant, params):
        return Expectation(Verdict.VIOLATION if variant == "racy" else Verdict.PASS)


COUNTER = Counter()
"""


@pytest.fixture
def model(tmp_path, monkeypatch) -> Path:
    """The model in a directory of its own, outside the package; the working directory."""
    home = tmp_path / "models"
    home.mkdir()
    (home / "counter_model.py").write_text(COUNTER)
    monkeypatch.chdir(home)
    monkeypatch.setattr(sys, "path", list(sys.path))  # what loading puts on it goes after the test
    yield home / "counter_model.py"
    sys.modules.pop("counter_model", None)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["Counter", "COUNTER"])  # a subclass, made without arguments, or an object
def test_check_file_py_name_finds_the_lost_update_and_proves_the_lock(model, capsys, tmp_path, name):
    code, out, _ = run(capsys, "check", f"counter_model.py:{name}", "--variant", "racy", "--out", str(tmp_path / "o"))
    assert code == 1 and "VIOLATION: violation of counted-twice" in out
    (written,) = (tmp_path / "o").iterdir()
    assert json.loads(written.read_text())["source"] == f"{model}:{name}"  # absolute: it loads from anywhere
    assert f"replay it: unpack-race replay {written} --scenario {model}:{name}" in out
    code, out, _ = run(capsys, "check", f"counter_model.py:{name}", "--variant", "locked")
    assert code == 0 and out.startswith("PASS: exhaustive")


def test_module_name_is_imported_from_the_working_directory(model, capsys):
    code, out, _ = run(capsys, "check", "counter_model:Counter", "--variant", "racy")
    assert code == 1 and "VIOLATION" in out and "--scenario counter_model:Counter" in out


def test_replay_minimize_explain_and_lint_take_the_schedule_of_a_users_scenario_with_scenario(model, capsys, tmp_path):
    run(capsys, "check", "counter_model.py:Counter", "--variant", "racy", "--out", str(tmp_path / "o"))
    (schedule,) = map(str, (tmp_path / "o").iterdir())
    given = ("--scenario", "counter_model.py:Counter")
    assert run(capsys, "replay", schedule, *given)[0] == 1
    code, out, _ = run(capsys, "replay", schedule, *given, "--all-variants")
    assert code == 1 and "locked" in out  # racy violates; locked follows it and passes
    code, out, _ = run(capsys, "minimize", schedule, *given)
    assert code == 0 and f"--scenario {model}:Counter" in out  # the minimised schedule records it too
    code, out, _ = run(capsys, "explain", schedule, *given)
    assert code == 0 and "Racing pair" in out
    code, out, _ = run(capsys, "lint", "counter_model.py:Counter")
    assert code == 0 and "clean" in out


def test_a_schedule_never_imports_code_by_itself_and_says_what_to_give(model, capsys, tmp_path):
    run(capsys, "check", "counter_model.py:Counter", "--variant", "racy", "--out", str(tmp_path / "o"))
    (schedule,) = (tmp_path / "o").iterdir()
    marker = tmp_path / "imported"
    model.write_text(f"open({str(marker)!r}, 'w').close()\n" + COUNTER)  # would leave a file if imported again
    for command in ("replay", "minimize", "explain"):
        code, out, err = run(capsys, command, str(schedule))
        assert code == 2 and out == ""
        assert err.strip().endswith(f"give it as --scenario {model}:Counter (in Python: scenario='{model}:Counter')")
        assert "defined outside unpack-race" in err and len(err.splitlines()) == 1
    assert not marker.exists()


def test_the_facade_takes_a_reference_as_it_takes_a_name(model):
    checked = api.check("counter_model.py:Counter", "racy")
    assert checked.verdict.value == "violation" and checked.schedule.source == f"{model}:Counter"
    replayed = api.replay(checked.schedule, scenario="counter_model.py:Counter")
    assert replayed.violated
    with pytest.raises(ScheduleError, match="give it as --scenario"):
        api.replay(checked.schedule)


def test_a_file_is_run_once_per_process(model, tmp_path):
    counter = tmp_path / "runs"
    model.write_text(f"open({str(counter)!r}, 'a').write('x')\n" + COUNTER)
    assert load_scenario("counter_model.py:Counter") is load_scenario(f"{model}:Counter")
    assert counter.read_text() == "x"


@pytest.mark.parametrize("reference, contents, expected", [
    ("missing.py:X", None, "scenario file missing.py: No such file or directory"),
    ("counter_model.py", COUNTER, "counter_model.py is a file; name the scenario in it too: FILE.py:NAME, such as "
                                  "counter_model.py:COUNTER (its scenarios: COUNTER, Counter)"),
    ("counter_model.py:Countr", COUNTER, "counter_model.py has no 'Countr' (did you mean COUNTER or Counter?); "
                                         "its scenarios: COUNTER, Counter"),
    ("counter_model.py:counted", COUNTER, "counter_model.py:counted is a Property, not a scenario"),
    ("counter_model.py:X", "x = (\n", "scenario file counter_model.py, line 1: SyntaxError: '(' was never closed"),
    ("counter_model.py:X", "def f():\n    raise ValueError('boom')\nf()\n",
     "scenario file counter_model.py, line 2: ValueError: boom"),
    ("counter_model.py:X", "import no_such_module_here\n",
     "scenario file counter_model.py, line 1: ModuleNotFoundError: No module named 'no_such_module_here'"),
    ("no_such_module_here:X", None, "module 'no_such_module_here' not found"),
    ("counter_model:X", "raise RuntimeError('at import')\n", "module 'counter_model' ("),
    (":X", None, "scenario reference ':X': expected FILE.py:NAME or MODULE:NAME"),
    ("counter_model.py:", None, "scenario reference 'counter_model.py:': expected FILE.py:NAME or MODULE:NAME"),
    ("counter_model.py:Needy", COUNTER + "\nclass Needy(Counter):\n    def __init__(self, k):\n        pass\n",
     "counter_model.py:Needy cannot be made without arguments"),
    ("counter_model.py:Slash", COUNTER + "\nclass Slash(Counter):\n    name = 'a/b'\n",
     "counter_model.py:Slash has the name 'a/b'; use 1 to 64 lower-case letters, digits, '-' or '.'"),
    ("counter_model.py:Caps", COUNTER + "\nclass Caps(Counter):\n    variants = ('Racy',)\n",
     "counter_model.py:Caps has the variant 'Racy'; use 1 to 64 lower-case letters"),
    ("counter_model.py:Mine", COUNTER + "\nclass Mine(Counter):\n    name = 'retry-after-cancel'\n",
     "is named 'retry-after-cancel', a built-in scenario's name; give it another name"),
])
def test_a_bad_reference_is_one_line_naming_the_file_and_what_to_do(tmp_path, monkeypatch, capsys, reference,
                                                                    contents, expected):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    if contents is not None:
        (tmp_path / "counter_model.py").write_text(contents)
    try:
        code, out, err = run(capsys, "check", reference, "--variant", "racy")
    finally:
        sys.modules.pop("counter_model", None)
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert expected in err, err
    if reference == "counter_model:X":  # a module's error names its file and line
        assert f"{tmp_path / 'counter_model.py'}, line 1): RuntimeError: at import" in err


def test_no_reference_is_made_up_for_what_no_reference_can_load():
    from unpack_race.scenarios.registry import SCENARIOS

    class Local(Scenario):  # defined in a function: no top-level name loads it
        name, summary, params, variants = "local", "", (), ("v",)

        def build(self, variant, params):
            raise AssertionError("not built")

        def expected(self, variant, params):
            return Expectation(Verdict.PASS)

    class Needy(Local):
        def __init__(self, threads=2):  # made with arguments, perhaps not the defaults
            self.threads = threads

    assert Local().reference() is None and Needy(3).reference() is None
    assert all(s.reference() is None for s in SCENARIOS.values())  # a built-in scenario: its name is enough


def test_a_top_level_class_without_arguments_is_referenced_by_its_file(model):
    scenario = load_scenario("counter_model.py:Counter")
    module = sys.modules[type(scenario).__module__]
    fresh = type(scenario)()  # made in Python, not loaded by reference
    assert fresh.loaded_from is None
    assert fresh.reference() == f"{Path(module.__file__).resolve()}:Counter"


def test_reference_errors_from_the_library_are_param_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamError, match="scenario file nothing.py: No such file"):
        api.check("nothing.py:X", "racy")


def test_list_shows_a_users_scenario_by_reference_and_only_what_it_is_given(model, capsys):
    code, out, _ = run(capsys, "list", "counter_model.py:Counter")
    assert code == 0 and out.startswith("scenario counter: a lost update")
    assert "racy" in out and "locked" in out and "retry-after-cancel" not in out
    code, out, _ = run(capsys, "list", "counter_model.py:Counter", "--json")
    listed = json.loads(out)["scenarios"]
    assert [s["name"] for s in listed] == ["counter"]
    assert [(v["name"], v["expected"]["verdict"]) for v in listed[0]["variants"]] == [("racy", "violation"),
                                                                                      ("locked", "pass")]


def test_check_json_gives_the_replay_command_with_the_reference(model, capsys, tmp_path):
    code, out, _ = run(capsys, "check", "counter_model.py:Counter", "--variant", "racy", "--json",
                       "--out", str(tmp_path / "o"))
    found = json.loads(out)
    documents.validate(found)
    (written,) = (tmp_path / "o").iterdir()
    assert code == 1 and found["counterexample"]["schedule"] == str(written)
    assert found["counterexample"]["replay"] == f"unpack-race replay {written} --scenario {model}:Counter"
