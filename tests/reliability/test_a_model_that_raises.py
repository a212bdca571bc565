"""A model that raises is a finding about the model, not a crash of the tool: the
command exits 3 with the run up to the failing step narrated, the exception, and a
schedule file that reproduces it, so that `replay` shows it again."""

from __future__ import annotations

import json

import pytest

from unpack_race.model.kmutex import Lock, Unlock
from unpack_race.reports import documents
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import api
from unpack_race.scenarios.base import Built, Expectation, Scenario
from unpack_race.scenarios.cli import main
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.schedule import Schedule, ScheduledStep
from unpack_race.scheduler.verdict import Verdict

KEY = "sn://overlayfs/sha256:c1"


def unlocks_twice():
    yield Lock(KEY, "pull-1")
    yield Unlock(KEY, "pull-1")
    yield Unlock(KEY, "pull-1")  # kmutex panics on unlock of unlocked


def gives_up():
    yield Lock(KEY, "pull-2")
    raise ValueError("the actor's own code is wrong")  # not a Failure


class Panics(Scenario):
    """Two pulls on one chain ID's lock: pull-1 unlocks it twice (its effect raises),
    pull-2 raises in its own code after taking the lock."""

    name = "panics"
    summary = "a model with two bugs"
    params = ()
    variants = ("as-written",)

    def build(self, variant, params):
        world = lambda: World(lease_on_exists=True, pulls={p: PullContext(requested=True) for p in ("pull-1", "pull-2")})  # noqa: E731
        actors = (ActorSpec("pull-1", unlocks_twice), ActorSpec("pull-2", gives_up))
        return Built(Program("panics", world, actors), (), "(none)")

    def expected(self, variant, params):
        return Expectation(Verdict.PASS)


@pytest.fixture
def panics(monkeypatch):
    monkeypatch.setitem(SCENARIOS, "panics", Panics())


def test_check_exits_3_with_the_narrated_run_the_exception_and_a_schedule(panics, tmp_path, capsys):
    assert main(["check", "panics", "--variant", "as-written", "--out", str(tmp_path), "--quiet"]) == 3
    out, err = capsys.readouterr()
    # DFS moves pull-1 first: it locks, unlocks, and its second Unlock raises
    assert "The model raised an exception in execution 1" in out
    assert "pull-1 takes lock sn://overlayfs/sha256:c1" in out and "pull-1 releases lock" in out
    assert ">> 2  pull-1: Unlock(key='sn://overlayfs/sha256:c1', pull='pull-1') raised RuntimeError: " \
           "pull-1 unlocks sn://overlayfs/sha256:c1 held by None" in out
    assert err.count("\n") == 1 and err.startswith("unpack-race: the model raised (scenario panics")
    assert "Traceback" not in out + err
    (written,) = tmp_path.glob("*.schedule.json")
    steps = json.loads(written.read_text())["steps"]
    assert [(s["actor"], s["effect"]) for s in steps] == [("pull-1", "Lock"), ("pull-1", "Unlock"), ("pull-1", "Unlock")]

    # the schedule reproduces it
    assert main(["replay", str(written)]) == 3
    again, err = capsys.readouterr()
    assert ">> 2  pull-1: Unlock(key='sn://overlayfs/sha256:c1', pull='pull-1') raised RuntimeError" in again
    assert err.startswith("unpack-race: the model raised")


def test_an_actor_whose_own_code_raises_is_reported_after_its_last_step(panics):
    # pull-2 moves first: it takes the lock, then its own code raises; the step it took is
    # the run's last, and no further step is recorded as failing
    first = Schedule("panics", "as-written", {}, (ScheduledStep("pull-2", "Lock", {"key": KEY, "pull": "pull-2"}),))
    with pytest.raises(api.ModelRaised) as raised:
        api.replay(first)
    failure = raised.value.failure
    assert failure.failing is None
    assert [(s.actor, type(s.effect).__name__) for s in failure.run.steps] == [("pull-2", "Lock")]
    assert "actor pull-2 raised ValueError: the actor's own code is wrong" in str(failure)
    assert raised.value.schedule.steps == first.steps


def test_compare_exits_3_for_a_model_that_raises_and_says_which_variant(panics, capsys):
    assert main(["compare", "--scenario", "panics", "--quiet"]) == 3
    out, err = capsys.readouterr()
    assert "variant as-written" in err and "Schedule written to" in out


def test_the_library_raises_model_raised_with_what_reproduces_it(panics):
    with pytest.raises(api.ModelRaised) as raised:
        api.check("panics", "as-written")
    schedule = raised.value.schedule
    assert schedule.scenario == "panics" and schedule.variant == "as-written"
    assert "replay" in schedule.extensions["comment"]


def test_with_json_a_model_that_raises_prints_the_model_error_document_and_all_its_text_on_stderr(
        panics, tmp_path, capsys):
    assert main(["check", "panics", "--variant", "as-written", "--out", str(tmp_path), "--quiet", "--json"]) == 3
    out, err = capsys.readouterr()
    found = json.loads(out)  # one document, and nothing else, on stdout
    documents.validate(found)
    (written,) = tmp_path.glob("*.schedule.json")
    assert found["format"] == "unpack-race.model-error" and found["exit_code"] == 3
    assert (found["command"], found["scenario"], found["variant"]) == ("check", "panics", "as-written")
    assert found["schedule"] == str(written) and found["execution"] == 1
    assert found["failing"] == {"actor": "pull-1", "effect": "Unlock"}  # the double unlock, as the text says
    assert [s["effect"] for s in found["steps"]] == ["Lock", "Unlock"]
    assert "The model raised an exception in execution 1" in err and "Schedule written to" in err
    assert err.splitlines()[-1].startswith("unpack-race: the model raised (scenario panics")
