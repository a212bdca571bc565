"""The mistakes a newcomer makes when writing a first model get one-line errors that name
what was given and say what to write instead (issue 8): an effect written as a
dataclass, a generator object where a factory belongs, a helper's generator yielded
instead of delegated to, a world without the `fingerprint()` that state caching keys
states by."""

from __future__ import annotations

import dataclasses

import attrs
import pytest
from unpack_race.scheduler.effect import Effect
from unpack_race.scheduler.explore import ModelFailure, explore
from unpack_race.scheduler.program import ActorSpec, Program, ProgramError
from unpack_race.scheduler.shared_memory import Read, Write, pthread_program
from unpack_race.scheduler.strategies import BreadthFirst, DepthFirst


class Box:
    """A world without a fingerprint."""

    def __init__(self) -> None:
        self.items: list[str] = []


@attrs.frozen
class Put(Effect):
    item: str

    def apply(self, world: Box) -> None:
        world.items.append(self.item)


def putter():
    yield Put("a")


def one_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message
    return message


def run(actor) -> str:
    with pytest.raises(ModelFailure) as caught:
        explore(Program("mistake", Box, (ActorSpec("newcomer", actor),)), DepthFirst(state_caching=False))
    return one_line(caught.value)


@dataclasses.dataclass(frozen=True)
class Take:
    item: str


@dataclasses.dataclass(frozen=True)
class Grab(Effect):
    item: str

    def apply(self, world):
        return None


def test_an_effect_written_as_a_dataclass_is_named_and_the_attrs_form_shown():
    def taker():
        yield Take("a")

    message = run(taker)
    assert "actor newcomer yielded " in message and "Take(item='a'), a dataclass, not an effect" in message
    assert "write it as @attrs.frozen class Take(Effect)" in message


def test_an_effect_subclass_made_a_dataclass_is_told_to_be_an_attrs_class():
    message = run(lambda: (yield Grab("a")))
    assert "yielded Grab, an Effect subclass that is a @dataclass, not an attrs class" in message
    assert "decorate it with @attrs.frozen instead" in message


def test_a_helper_yielded_instead_of_delegated_to_is_told_to_use_yield_from():
    def put_twice():
        yield Put("a")
        yield Put("b")

    def actor():
        yield put_twice()

    message = run(actor)
    assert "yielded a generator object (put_twice(...))" in message
    assert "write `yield from put_twice(...)`, not `yield put_twice(...)`" in message


def test_an_actor_given_a_generator_object_is_told_to_pass_its_factory():
    with pytest.raises(ProgramError) as caught:
        ActorSpec("newcomer", putter())
    message = one_line(caught.value)
    assert "actor 'newcomer': got a generator object (putter() already called), which runs only once" in message
    assert "pass the factory: putter itself, or lambda: putter(...)" in message


def test_a_thread_given_a_generator_object_is_told_to_pass_its_factory():
    def increment():
        x = yield Read("x")
        yield Write("x", x + 1)

    with pytest.raises(ProgramError) as caught:
        pthread_program("lost-update", {"x": 0}, (), [("t1", increment), ("t2", increment())])
    assert "actor 't2': got a generator object (increment() already called)" in one_line(caught.value)


def test_a_world_instead_of_a_world_factory_is_told_to_pass_a_factory():
    with pytest.raises(ProgramError) as caught:
        Program("mistake", Box(), (ActorSpec("newcomer", putter),))
    message = one_line(caught.value)
    assert "program 'mistake': make_world is <" in message and "Box object" in message
    assert "not a factory" in message and "pass a zero-argument function that builds one" in message


def test_actors_written_as_pairs_are_told_to_be_actor_specs():
    with pytest.raises(ProgramError) as caught:
        Program("mistake", Box, (("newcomer", putter),))
    assert "actor 0 is ('newcomer', <function putter" in one_line(caught.value)
    assert "write each actor as ActorSpec(name, factory)" in str(caught.value)


@pytest.mark.parametrize("make", [lambda: DepthFirst(state_caching=True), BreadthFirst], ids=["dfs", "bfs"])
def test_a_world_without_a_fingerprint_is_told_to_add_one_or_search_without_state_caching(make):
    strategy = make()
    program = Program("box", Box, (ActorSpec("newcomer", putter),))
    with pytest.raises(ProgramError) as caught:
        explore(program, strategy)
    message = one_line(caught.value)
    assert f"program 'box': {strategy.facts().algorithm} keys every state by the world's fingerprint()" in message
    assert "the world (a Box) has none; give it `def fingerprint(self)` returning a hashable value" in message
    assert "or search with DepthFirst(state_caching=False)" in message
    assert explore(program, DepthFirst(state_caching=False)).ok  # the way out it names works


def test_a_fingerprint_that_is_not_hashable_is_told_to_return_tuples():
    class ListedBox(Box):
        def fingerprint(self):
            return list(self.items)

    with pytest.raises(ProgramError) as caught:
        explore(Program("box", ListedBox, (ActorSpec("newcomer", putter),)), DepthFirst(state_caching=True))
    message = one_line(caught.value)
    assert "the world's fingerprint() returned [], which is not hashable; return tuples" in message
