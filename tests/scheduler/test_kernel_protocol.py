"""The kernel's side of the effect protocol: what an actor may yield and raise, what
happens to domain failures, and how model bugs are reported. The actors here are bare
generators given to the kernel (not threads of `toy_world.program`, whose wrapper
would catch a bad yield before the kernel does)."""

from __future__ import annotations

import itertools

import pytest
from toy_world import Increment, InsufficientFunds, Lock, Shared, Withdraw
from unpack_race.scheduler.choices import NondeterminismError
from unpack_race.scheduler.explore import PASS, Budget, explore
from unpack_race.scheduler.kernel import Execution, ProtocolError, Status
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.strategies import DepthFirst


def shared(held: dict[str, str] | None = None) -> Shared:
    return Shared({"x": 0, "balance": 5, "withdrawn": 0}, frozenset({"gate"}), dict(held or {}))


def program_of(*actors: ActorSpec, world=shared) -> Program:
    return Program("protocol", world, actors)


def well_behaved():
    yield Increment("x")


# -- protocol errors -----------------------------------------------------------------


def test_an_actor_yielding_something_that_is_not_an_effect_is_a_protocol_error_naming_it():
    def yields_a_number():
        yield 42

    expected = r"actor bad-actor yielded 42 \(type int\), not an effect; an actor yields instances of an @attrs.frozen"
    with pytest.raises(ProtocolError, match=expected):
        Execution(program_of(ActorSpec("good", well_behaved), ActorSpec("bad-actor", yields_a_number)))


def test_a_non_effect_yielded_after_some_steps_stops_the_search_with_a_protocol_error():
    def goes_wrong_later():
        yield Increment("x")
        yield "Increment x please"

    program = program_of(ActorSpec("late-offender", goes_wrong_later))
    with pytest.raises(ProtocolError) as caught:
        explore(program, DepthFirst(state_caching=False))
    assert "actor late-offender yielded 'Increment x please'" in str(caught.value)


def test_an_actor_raising_a_non_failure_exception_is_a_protocol_error_naming_it():
    def crashes():
        value = yield Increment("x")
        raise ValueError(f"cannot handle {value}")

    with pytest.raises(ProtocolError) as caught:
        explore(program_of(ActorSpec("crasher", crashes)), DepthFirst(state_caching=False))
    message = str(caught.value)
    assert message.startswith("actor crasher raised ValueError: cannot handle 1")
    assert "only scheduler.Failure subclasses may escape an actor" in message
    assert isinstance(caught.value.error.cause, ValueError)  # the original exception is kept
    assert [s.actor for s in caught.value.run.steps] == ["crasher"]  # and the run up to it


def test_an_actor_raising_before_its_first_yield_is_a_protocol_error_naming_it():
    def broken():
        raise KeyError("config")
        yield Increment("x")  # pragma: no cover - makes this a generator

    with pytest.raises(ProtocolError, match=r"^actor early raised KeyError"):
        Execution(program_of(ActorSpec("early", broken)))


def test_an_actor_body_that_is_not_a_generator_is_a_protocol_error_naming_it():
    with pytest.raises(ProtocolError, match=r"^actor plain raised TypeError"):
        Execution(program_of(ActorSpec("plain", lambda: None)))


def test_a_failure_escaping_an_actor_is_an_outcome_not_a_protocol_error():
    def overdraws():
        yield Withdraw("balance", 10)

    execution = Execution(program_of(ActorSpec("spender", overdraws)))
    step = execution.step("spender")
    assert not step.ok
    assert isinstance(step.error, InsufficientFunds)
    assert step.narrate() == "spender: withdraws 10 from balance; balance holds 5, cannot withdraw 10"
    actor = execution.actor("spender")
    assert actor.status is Status.FAILED
    assert actor.error is step.error
    assert execution.runnable() == ()
    assert explore(program_of(ActorSpec("spender", overdraws)), DepthFirst(state_caching=False)).verdict == PASS


def test_a_failure_is_thrown_into_the_actor_which_may_catch_it_and_go_on():
    seen = []

    def careful():
        try:
            yield Withdraw("balance", 10)
        except InsufficientFunds as error:
            seen.append(str(error))
        remaining = yield Withdraw("balance", 2)
        return remaining

    execution = Execution(program_of(ActorSpec("careful", careful)))
    execution.step("careful")
    second = execution.step("careful")
    assert seen == ["balance holds 5, cannot withdraw 10"]
    assert second.ok and second.result == 3
    assert execution.actor("careful").status is Status.DONE
    assert execution.actor("careful").returned == 3


def test_moving_a_finished_or_blocked_actor_is_a_protocol_error():
    def takes_gate():
        yield Lock("gate")

    execution = Execution(
        program_of(
            ActorSpec("incrementer", well_behaved),
            ActorSpec("taker", takes_gate),
            world=lambda: shared(held={"gate": "someone"}),
        )
    )
    execution.step("incrementer")
    with pytest.raises(ProtocolError, match=r"step 1: incrementer has finished and cannot move"):
        execution.step("incrementer")
    with pytest.raises(ProtocolError, match=r"step 1: taker is blocked \(mutex gate is held by someone\)"):
        execution.step("taker")
    with pytest.raises(KeyError, match=r"no actor named 'nobody' \(actors: incrementer, taker\)"):
        execution.step("nobody")


def test_an_actor_that_never_stops_is_reported_instead_of_looping_forever():
    def forever():
        while True:
            yield Increment("x")

    with pytest.raises(ProtocolError, match=r"ran past 50 steps; does an actor loop forever\?"):
        explore(program_of(ActorSpec("spinner", forever)), DepthFirst(state_caching=False), budget=Budget(max_steps_per_execution=50))


def test_dfs_reports_a_model_whose_runnable_actors_change_between_identical_replays():
    runs = itertools.count()

    def make_world():
        # Nondeterministic on purpose: every other execution starts with the gate closed.
        return shared(held={"gate": "someone"} if next(runs) % 2 else {})

    def takes_gate():
        yield Lock("gate")

    program = program_of(ActorSpec("incrementer", well_behaved), ActorSpec("taker", takes_gate), world=make_world)
    with pytest.raises(NondeterminismError, match=r"step 0: replaying the same choices.*not deterministic"):
        explore(program, DepthFirst(state_caching=False))


def test_a_program_refuses_two_actors_with_the_same_name():
    with pytest.raises(ValueError, match=r"actor names must be unique"):
        Program("twins", shared, (ActorSpec("x", well_behaved), ActorSpec("x", well_behaved)))


def test_state_keys_need_an_interner():
    execution = Execution(program_of(ActorSpec("a", well_behaved)))
    with pytest.raises(RuntimeError, match="HistoryInterner"):
        execution.state_key()

