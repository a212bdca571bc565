"""Schedules: a counterexample as versioned JSON that loads back and replays step for
step; replays that no longer fit the program say where and why; bad files are refused
with one line naming the field; files are written atomically."""

from __future__ import annotations

import json

import pytest
from toy_world import (
    Recording,
    bank_account,
    money_is_conserved,
    multinomial,
    no_lost_update,
    racy_counter,
    spender_and_depositor,
    step_outcome,
)
from unpack_race.scheduler.explore import PASS, VIOLATION, explore
from unpack_race.scheduler.follow import follow
from unpack_race.scheduler.schedule import (
    FORMAT,
    CRASH_FREE_VERSION,
    VERSION,
    Schedule,
    ScheduledStep,
    ScheduleError,
)
from unpack_race.scheduler.strategies import DepthFirst, Replay, ReplayDivergence

PARAMS = {"initial": 40, "accounts": ["balance"], "audited": False}


def counterexample():
    result = explore(spender_and_depositor(), DepthFirst(state_caching=False), [money_is_conserved()])
    assert result.verdict == VIOLATION
    return result


def recorded_schedule() -> Schedule:
    return Schedule.of("toy-bank", "read-then-write", PARAMS, counterexample().counterexample)


def replay(schedule_steps, program=None, properties=()):
    return explore(program or spender_and_depositor(), Replay(tuple(schedule_steps)), list(properties))


def with_step(schedule: Schedule, index: int, step: ScheduledStep) -> tuple[ScheduledStep, ...]:
    steps = list(schedule.steps)
    steps[index] = step
    return tuple(steps)


# -- round trip ------------------------------------------------------------------------


def test_the_counterexample_has_results_none_results_and_a_failure_to_reproduce():
    # DFS tries actors in program order: spender, spender, depositor, depositor conserves
    # the money (40 - 30 + 50 = 60, 30 withdrawn); the next interleaving, spender,
    # depositor, spender, depositor, loses the withdrawal: the spender's first withdrawal
    # fails, the depositor reads 40, the spender leaves 10, the depositor writes 90.
    steps = counterexample().counterexample
    assert [s.actor for s in steps] == ["spender", "depositor", "spender", "depositor"]
    assert [s.ok for s in steps] == [False, True, True, True]
    assert [s.result for s in steps] == [None, 40, 10, None]


def test_a_counterexample_survives_json_and_replays_to_the_same_steps():
    found = counterexample()
    schedule = Schedule.of("toy-bank", "read-then-write", PARAMS, found.counterexample)
    loaded = Schedule.loads(schedule.dumps())
    assert loaded == schedule
    assert loaded.dumps() == schedule.dumps()

    replayed = replay(loaded.steps, properties=[money_is_conserved()])
    assert replayed.verdict == VIOLATION
    assert replayed.violation == found.violation
    assert [step_outcome(s) for s in replayed.counterexample] == [step_outcome(s) for s in found.counterexample]


def test_a_schedule_file_is_versioned_json_naming_actor_effect_and_arguments():
    data = json.loads(recorded_schedule().dumps())
    assert data["format"] == FORMAT == "unpack-race.schedule"
    assert data["version"] == CRASH_FREE_VERSION == 2 and VERSION == 3  # no crash: written as version 2
    assert (data["scenario"], data["variant"]) == ("toy-bank", "read-then-write")
    assert list(data["params"]) == sorted(PARAMS)  # sorted, whatever the insertion order
    assert data["steps"][0] == {"actor": "spender", "effect": "Withdraw", "args": {"var": "balance", "amount": 1000}}
    assert data["steps"][1] == {"actor": "depositor", "effect": "Read", "args": {"var": "balance"}}


def test_every_execution_of_an_exhaustive_search_replays_from_its_schedule():
    recording = Recording()
    assert explore(racy_counter(2, rounds=2), DepthFirst(state_caching=False), on_run=recording).verdict == PASS
    assert len(recording.executions) == multinomial((4, 4))  # every step of the racy counter is enabled
    for steps in recording.executions:
        loaded = Schedule.loads(Schedule.of("toy", "racy", {}, steps).dumps())
        execution = follow(racy_counter(2, rounds=2), loaded.steps)
        assert [step_outcome(s) for s in execution.steps] == [step_outcome(s) for s in steps]


def test_a_saved_schedule_loads_back_equal(tmp_path):
    schedule = recorded_schedule()
    path = schedule.save(tmp_path / "nested" / "bank.schedule.json")
    assert path == tmp_path / "nested" / "bank.schedule.json"
    assert path.read_text(encoding="utf-8") == schedule.dumps()
    assert Schedule.load(path) == schedule


# -- divergence ------------------------------------------------------------------------


def test_replay_stops_where_the_schedule_names_a_different_effect():
    schedule = recorded_schedule()
    steps = with_step(schedule, 2, ScheduledStep("spender", "Deposit", {"var": "balance", "amount": 30}))
    with pytest.raises(ReplayDivergence) as caught:
        replay(steps)
    assert caught.value.index == 2
    assert str(caught.value) == (
        "step 2: the schedule expects spender to Deposit(var='balance', amount=30); "
        "spender's next effect is Withdraw(var='balance', amount=30)"
    )


def test_replay_stops_where_the_schedule_names_the_same_effect_with_other_arguments():
    schedule = recorded_schedule()
    steps = with_step(schedule, 2, ScheduledStep("spender", "Withdraw", {"var": "balance", "amount": 31}))
    with pytest.raises(ReplayDivergence, match=r"^step 2: .*amount=31\); spender's next effect is Withdraw\(var='balance', amount=30\)$"):
        replay(steps)


def test_replay_stops_where_the_schedule_names_an_unknown_actor():
    schedule = recorded_schedule()
    steps = with_step(schedule, 1, ScheduledStep("mallory", "Read", {"var": "balance"}))
    with pytest.raises(ReplayDivergence) as caught:
        replay(steps)
    assert caught.value.index == 1
    assert str(caught.value) == (
        "step 1: the schedule expects mallory to Read(var='balance'); "
        "there is no such actor (actors: spender, depositor)"
    )


def test_replay_stops_where_the_schedule_moves_an_actor_that_has_finished():
    schedule = recorded_schedule()
    # spender has finished after its two withdrawals, while depositor still has work.
    steps = (schedule.steps[0], schedule.steps[2], ScheduledStep("spender", "Withdraw", {"var": "balance", "amount": 30}))
    with pytest.raises(ReplayDivergence) as caught:
        replay(steps)
    assert caught.value.index == 2
    assert str(caught.value) == (
        "step 2: the schedule expects spender to Withdraw(var='balance', amount=30); spender has already finished"
    )


def test_replay_does_not_silently_ignore_steps_left_when_every_actor_has_finished():
    schedule = recorded_schedule()
    steps = schedule.steps + (ScheduledStep("depositor", "Read", {"var": "balance"}),)
    with pytest.raises(ReplayDivergence) as caught:
        replay(steps, properties=[money_is_conserved()])
    assert caught.value.index == 4
    assert str(caught.value) == (
        "step 4: the schedule expects depositor to Read(var='balance'); depositor has already finished"
    )
    with pytest.raises(ReplayDivergence, match="^step 4: "):
        follow(spender_and_depositor(), steps)


def test_replay_stops_where_the_schedule_moves_a_blocked_actor():
    steps = (
        ScheduledStep("alice", "Lock", {"mutex": "account"}),
        ScheduledStep("bob", "Lock", {"mutex": "account"}),
    )
    with pytest.raises(ReplayDivergence) as caught:
        replay(steps, program=bank_account(locked=True))
    assert caught.value.index == 1
    assert str(caught.value) == (
        "step 1: the schedule expects bob to Lock(mutex='account'); "
        "bob is blocked (mutex account is held by alice)"
    )


def test_a_schedule_of_the_racy_account_does_not_replay_on_the_locked_account():
    found = explore(bank_account(locked=False), DepthFirst(state_caching=False), [no_lost_update()])
    assert found.verdict == VIOLATION
    racy = Schedule.of("toy-bank", "racy", {}, found.counterexample)
    with pytest.raises(ReplayDivergence) as caught:
        replay(racy.steps, program=bank_account(locked=True))
    assert caught.value.index == 0
    assert str(caught.value) == (
        "step 0: the schedule expects alice to Read(var='balance'); "
        "alice's next effect is Lock(mutex='account')"
    )


def test_every_divergence_message_is_one_line():
    schedule = recorded_schedule()
    broken = [
        with_step(schedule, 0, ScheduledStep("spender", "Teleport", {"to": "line\nbreak"})),
        with_step(schedule, 0, ScheduledStep("nobody", "Read", {})),
        schedule.steps + (ScheduledStep("spender", "Read", {}),),
    ]
    for steps in broken:
        with pytest.raises(ReplayDivergence) as caught:
            replay(steps)
        assert "\n" not in str(caught.value)


def test_a_replay_that_ends_with_the_schedule_checks_no_final_state_early():
    # Replaying a prefix stops after the prefix: the final-state property is not judged
    # on a state that is not final.
    schedule = recorded_schedule()
    result = replay(schedule.steps[:2], properties=[money_is_conserved()])
    assert result.verdict == PASS
    assert result.steps == 2


# -- malformed files -------------------------------------------------------------------


def valid_data() -> dict:
    return json.loads(recorded_schedule().dumps())


def mutated(**changes) -> str:
    data = valid_data()
    for key, value in changes.items():
        if value is DELETE:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


def step_mutated(index: int, **changes) -> str:
    data = valid_data()
    for key, value in changes.items():
        if value is DELETE:
            del data["steps"][index][key]
        else:
            data["steps"][index][key] = value
    return json.dumps(data)


DELETE = object()

MALFORMED = {
    "top level is a list": ("[1, 2]", "field (top level): expected a JSON object"),
    "wrong format string": (mutated(format="unpack-race.trace"), "field format: expected 'unpack-race.schedule'"),
    "no format": (mutated(format=DELETE), "field format:"),
    "future version": (mutated(version=4), "field version: this unpack-race reads schedule version 3, the file has 4"),
    "a crash in a version 2 file": (step_mutated(0, crash=True),
                                    "field steps[0].crash: schedule version 2 has no crash steps"),
    "a crash that is not a boolean": (mutated(version=3, steps=[{"actor": "spender", "crash": "yes", "effect": "Read"}]),
                                      "field steps[0].crash: expected true or false, got 'yes'"),
    "version as a string": (mutated(version="2"), "field version:"),
    "version as a boolean": (mutated(version=True), "field version:"),
    "no version": (mutated(version=DELETE), "field version:"),
    "scenario not a string": (mutated(scenario=7), "field scenario: expected a non-empty string, got 7"),
    "empty variant": (mutated(variant=""), "field variant: expected a non-empty string"),
    "params a list": (mutated(params=[1]), "field params: expected a JSON object"),
    "no steps": (mutated(steps=DELETE), "field steps: expected a list of steps, got None"),
    "steps an object": (mutated(steps={"0": {}}), "field steps: expected a list of steps"),
    "a step that is a string": (mutated(steps=["spender Withdraw"]), "field steps[0]: expected an object"),
    "a step's actor a number": (step_mutated(1, actor=3), "field steps[1].actor: expected a non-empty string, got 3"),
    "a step without effect": (step_mutated(2, effect=DELETE), "field steps[2].effect: expected a non-empty string"),
    "a step's args a list": (step_mutated(0, args=["balance"]), "field steps[0].args: expected a JSON object"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_schedule_is_refused_with_one_line_naming_the_field(case):
    text, expected = MALFORMED[case]
    with pytest.raises(ScheduleError) as caught:
        Schedule.loads(text, source="bad.json")
    message = str(caught.value)
    assert message.startswith("bad.json: ")
    assert expected in message
    assert "\n" not in message


def test_truncated_schedule_text_is_refused_as_invalid_json_with_its_position():
    text = recorded_schedule().dumps()
    with pytest.raises(ScheduleError) as caught:
        Schedule.loads(text[: len(text) // 2], source="cut.json")
    message = str(caught.value)
    assert message.startswith("cut.json: not valid JSON (line ")
    assert "\n" not in message


def test_a_missing_or_binary_schedule_file_is_refused_with_its_path(tmp_path):
    with pytest.raises(ScheduleError, match=r"missing\.json: cannot read the schedule file"):
        Schedule.load(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00not utf-8")
    with pytest.raises(ScheduleError, match=r"binary\.json: not a UTF-8 text file"):
        Schedule.load(binary)


# -- atomic writes ---------------------------------------------------------------------


def test_saving_a_schedule_leaves_no_temporary_file_behind(tmp_path):
    schedule = recorded_schedule()
    schedule.save(tmp_path / "a.json")
    schedule.save(tmp_path / "a.json")  # overwriting goes through a rename too
    Schedule("toy", "other", {}, ()).save(tmp_path / "b.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]
    assert Schedule.load(tmp_path / "a.json") == schedule


def test_a_failed_save_leaves_neither_a_temporary_file_nor_a_partial_schedule(tmp_path):
    (tmp_path / "taken").mkdir()  # a directory where the file should go: the rename fails
    with pytest.raises(OSError):
        recorded_schedule().save(tmp_path / "taken")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert list((tmp_path / "taken").iterdir()) == []
