"""The facade takes a scenario written by its user, as an object, not only a registered
name (issue 8): `api.check` finds the race and passes the fix, `api.lint` finds a
footprint that does not say what its step writes, and a world without `fingerprint()`
is refused as bad input (one of `api.INPUT_ERRORS`), in one line.

The world here is a plain counter with its own effect, `Bump`, that reads and writes
one named counter: two threads that read-then-write the same counter without a lock
lose an update (a violation of "every bump counts", by hand), one `Bump` per thread
cannot (a pass); a `Bump` whose footprint names the other counter is wrong on its
face, which is what lint must say."""

from __future__ import annotations

from typing import ClassVar

import attrs
import pytest
from unpack_race.scenarios import api
from unpack_race.scenarios.base import Built, Expectation, Scenario
from unpack_race.scheduler import ActorSpec, Effect, Footprint, Program, at_end
from unpack_race.scheduler.resources import Keyed, ResourceMap
from unpack_race.scheduler.verdict import Verdict


class Counters:
    RESOURCES: ClassVar[ResourceMap] = ResourceMap(values=Keyed("counter/{key}"))

    def __init__(self) -> None:
        self.values = {"hits": 0, "misses": 0}

    def fingerprint(self):
        return tuple(sorted(self.values.items()))


class Unkeyed(Counters):
    fingerprint = None  # as if it had none


@attrs.frozen
class Get(Effect):
    counter: str

    def apply(self, world):
        return world.values[self.counter]

    def footprint(self, world=None):
        return Footprint.of(reads=[f"counter/{self.counter}"])


@attrs.frozen
class Set(Effect):
    counter: str
    value: int

    def apply(self, world):
        world.values[self.counter] = self.value

    def footprint(self, world=None):
        return Footprint.of(writes=[f"counter/{self.counter}"])


@attrs.frozen
class Bump(Effect):
    counter: str
    declared: str  # the counter its footprint names: the same one, unless the footprint is wrong

    def apply(self, world):
        world.values[self.counter] += 1

    def footprint(self, world=None):
        return Footprint.of(reads=[f"counter/{self.declared}"], writes=[f"counter/{self.declared}"])


def read_then_write():
    hits = yield Get("hits")
    yield Set("hits", hits + 1)


def bump(declared):
    def body():
        yield Bump("hits", declared)

    return body


class Hits(Scenario):
    name, summary, params = "hits", "two threads count a hit each", ()
    variants = ("read-then-write", "bump", "bump-declaring-misses")

    def __init__(self, world=Counters) -> None:
        self.world = world

    def build(self, variant, params):
        body = {"read-then-write": read_then_write, "bump": bump("hits"),
                "bump-declaring-misses": bump("misses")}[variant]
        every_bump_counts = at_end("every-bump-counts", lambda end: end.world.values["hits"] == 2)
        return Built(Program("hits", self.world, (ActorSpec("a", body), ActorSpec("b", body))),
                     (every_bump_counts,), "two threads")

    def expected(self, variant, params):
        if variant == "read-then-write":
            return Expectation(Verdict.VIOLATION, "every-bump-counts", "a lost update")
        return Expectation(Verdict.PASS, why="one atomic step per bump")


@pytest.mark.parametrize("variant, verdict", [("read-then-write", Verdict.VIOLATION), ("bump", Verdict.PASS)])
def test_check_takes_a_scenario_object_and_meets_its_expected_verdict(variant, verdict):
    checked = api.check(Hits(), variant)
    assert checked.verdict is verdict and checked.as_expected
    if verdict is Verdict.VIOLATION:
        assert checked.counterexample.violation.property == "every-bump-counts"
        assert {step.actor for step in checked.counterexample.steps} == {"a", "b"}  # a lost update takes both


def test_lint_takes_a_scenario_object_and_finds_the_footprint_that_names_the_wrong_counter():
    (wrong,) = api.lint(Hits(), variant="bump-declaring-misses")
    kinds = {f.kind for f in wrong.report.findings}
    assert {"undeclared-read", "undeclared-write"} <= kinds
    finding = next(f for f in wrong.report.findings if f.kind == "undeclared-write")
    assert "Bump(counter='hits', declared='misses') writes counter/hits" in finding.summary
    assert "add counter/hits to the writes of Bump.footprint()" in finding.advice
    (right,) = api.lint(Hits(), variant="bump")
    assert right.report.findings == ()


def test_a_world_without_a_fingerprint_is_bad_input_for_a_search_that_keys_states():
    with pytest.raises(api.INPUT_ERRORS) as caught:
        api.check(Hits(world=Unkeyed), "bump")
    assert isinstance(caught.value, api.ProgramError) and "\n" not in str(caught.value)
    assert "the world (a Unkeyed) has none" in str(caught.value)
    assert api.check(Hits(world=Unkeyed), "bump", strategy="dfs", state_caching=False).verdict is Verdict.PASS
