"""Following a schedule under a changed program (the SUBSEQUENCE and RESYNC policies),
and explaining a violation (racing pair, window, counterfactuals), on a toy
check-then-act race: a user checks that a resource exists and then uses it, while a
cleaner may delete it in between. Nothing here knows about containerd."""

from __future__ import annotations

import attrs
import pytest
from unpack_race.scheduler.choices import Move
from unpack_race.scheduler.effect import Effect, Failure, Footprint
from unpack_race.scheduler.explain import AFTER, BEFORE, HOLDS, explain
from unpack_race.scheduler.follow import (
    BLOCKED,
    FINISHED,
    KIND,
    LEFT_OUT,
    REPLACED,
    RESYNC,
    SKIPPED,
    SUBSEQUENCE,
    UNKNOWN_ACTOR,
    every_continuation,
    follow,
    follow_schedule,
)
from unpack_race.scheduler.happens_before import CONFLICT, PROGRAM_ORDER, happens_before
from unpack_race.scheduler.minimize import NotAViolation, minimize
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.properties import always, on_step
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.verdict import Verdict


class Missing(Failure):
    pass


@attrs.define
class Store:
    items: dict[str, str] = attrs.field(factory=lambda: {"res": "ready"})
    pins: set[str] = attrs.field(factory=set)
    gate_open: bool = False

    def fingerprint(self):
        return (tuple(sorted(self.items.items())), tuple(sorted(self.pins)), self.gate_open)


@attrs.frozen
class Check(Effect):
    name: str

    def apply(self, world: Store) -> bool:
        return self.name in world.items

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={f"item/{self.name}"})


@attrs.frozen
class Pin(Effect):
    """Check and pin in one step: a pinned item is never deleted."""

    name: str

    def apply(self, world: Store) -> bool:
        if self.name in world.items:
            world.pins.add(self.name)
            return True
        return False

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={f"item/{self.name}"}, writes={f"pin/{self.name}"})


@attrs.frozen
class PinAnyway(Effect):
    """Pin by name, without looking at the item (a separate step after a Check)."""

    name: str

    def apply(self, world: Store) -> None:
        world.pins.add(self.name)

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={f"pin/{self.name}"})


@attrs.frozen
class Use(Effect):
    name: str

    def apply(self, world: Store) -> str:
        if self.name not in world.items:
            raise Missing(f"{self.name} is gone")
        return world.items[self.name]

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={f"item/{self.name}"})


@attrs.frozen
class Delete(Effect):
    name: str

    def apply(self, world: Store) -> str:
        if self.name in world.pins:
            return "kept (pinned)"
        world.items.pop(self.name, None)
        return "deleted"

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={f"pin/{self.name}"}, writes={f"item/{self.name}"})


@attrs.frozen
class Note(Effect):
    text: str

    def apply(self, world: Store) -> str:
        return self.text

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(writes={f"note/{self.text}"})


@attrs.frozen
class WaitGate(Effect):
    def enabled(self, world: Store) -> bool:
        return world.gate_open

    def apply(self, world: Store) -> None:
        return None

    def footprint(self, world=None) -> Footprint:
        return Footprint.of(reads={"gate"})


def program(kind: str = "check-then-use", cleaner_notes: int = 0, gated: bool = False) -> Program:
    def user():
        yield Note("user starts")
        if kind == "check-then-use":
            if (yield Check("res")):
                yield Use("res")
        elif kind == "check-pin-use":
            if (yield Check("res")):
                yield PinAnyway("res")
                yield Use("res")
        elif kind == "pin-then-use":
            if (yield Pin("res")):
                yield Use("res")
        else:  # "use": no check at all
            yield Use("res")
        yield Note("user done")

    def cleaner():
        if gated:
            yield WaitGate()
        for i in range(cleaner_notes):
            yield Note(f"cleaner {i}")
        yield Delete("res")

    return Program(kind, Store, (ActorSpec("user", user), ActorSpec("cleaner", cleaner)))


NO_MISSING = always(
    "no-missing-use",
    on_step(lambda step: not isinstance(step.error, Missing)),
    "no Use finds its item gone",
)


def S(actor, effect, **args) -> ScheduledStep:
    return ScheduledStep(actor, effect, args)


RACE = (
    S("user", "Note", text="user starts"),
    S("user", "Check", name="res"),
    S("cleaner", "Delete", name="res"),
    S("user", "Use", name="res"),
)


# -- following ------------------------------------------------------------------------------


def test_the_race_schedule_replays_strictly_and_violates():
    run = follow_schedule(program(), RACE, [NO_MISSING])
    assert run.exact and run.violation is not None and run.violation.step_index == 3
    assert [s.ok for s in run.steps] == [True, True, True, False]


def test_resync_lets_an_actor_whose_code_does_something_else_keep_its_turns():
    run = follow_schedule(program("pin-then-use"), RACE, [NO_MISSING], RESYNC)
    assert run.violation is None
    first = run.first_departure()
    assert (first.index, first.kind, first.expected.effect) == (1, REPLACED, "Check")
    assert first.pending == "Pin(name='res')" and first.taken == 1
    assert [s.result for s in run.steps] == ["user starts", True, "kept (pinned)", "ready"]
    assert run.origins == (0, 1, 2, 3)


def test_resync_skips_the_steps_an_actor_leaves_out_until_it_fits_again():
    run = follow_schedule(program("use"), RACE, [NO_MISSING], RESYNC)
    assert [(d.index, d.kind) for d in run.departures] == [(1, LEFT_OUT)]
    assert run.violation is not None and run.violation.property == "no-missing-use"
    assert [type(s.effect).__name__ for s in run.steps] == ["Note", "Delete", "Use"]
    assert run.origins == (0, 2, 3)


def test_subsequence_skips_every_step_that_does_not_fit_and_takes_nothing_else():
    run = follow_schedule(program("pin-then-use"), RACE, [NO_MISSING], SUBSEQUENCE)
    assert [(d.index, d.kind) for d in run.departures] == [(1, SKIPPED), (3, SKIPPED)]
    assert [type(s.effect).__name__ for s in run.steps] == ["Note", "Delete"]
    # by kind, a step with other arguments fits
    other = (S("user", "Note", text="something else"),)
    assert follow_schedule(program(), other, [], SUBSEQUENCE).steps == ()
    assert len(follow_schedule(program(), other, [], SUBSEQUENCE, KIND).steps) == 1


def test_departures_name_blocked_finished_and_unknown_actors():
    gated = (S("cleaner", "WaitGate"), S("mallory", "Use", name="res"), S("user", "Note", text="user starts"))
    run = follow_schedule(program(gated=True), gated, [], RESYNC)
    assert [(d.index, d.kind) for d in run.departures] == [(0, BLOCKED), (1, UNKNOWN_ACTOR)]
    assert "the program has no actor mallory" in run.departures[1].describe()
    extra = RACE[:3] + (S("cleaner", "Delete", name="res"),)
    run = follow_schedule(program("pin-then-use"), extra, [], RESYNC)
    assert run.departures[-1].kind == FINISHED and run.departures[-1].index == 3


def test_every_followed_run_is_an_execution_that_replays_strictly():
    for kind in ("check-then-use", "pin-then-use", "use"):
        for policy in (RESYNC, SUBSEQUENCE):
            run = follow_schedule(program(kind), RACE, [], policy)
            assert [type(s.effect) for s in follow(program(kind), run.schedule()).steps] == [
                type(s.effect) for s in run.steps]


def test_every_continuation_of_a_prefix_is_explored():
    found = every_continuation(program(), [Move("user")] * 2, [NO_MISSING])
    assert found.verdict == Verdict.VIOLATION  # the cleaner can still come before the Use
    found = every_continuation(program(), [Move("user")] * 3, [NO_MISSING])
    assert found.verdict == Verdict.PASS and found.executions >= 1


# -- happens-before ----------------------------------------------------------------------------


def test_the_happens_before_graph_has_program_order_and_conflict_edges_with_resources():
    steps = follow(program(), RACE).steps
    graph = happens_before(steps)
    assert graph.edges[0, 1]["kind"] == PROGRAM_ORDER
    assert graph.edges[1, 2] == {"kind": CONFLICT, "resources": ("item/res",)}
    assert graph.edges[2, 3]["kind"] == CONFLICT
    assert not graph.has_edge(0, 2)  # the note and the delete commute
    reduced = happens_before(steps, reduce=True)
    assert not reduced.has_edge(1, 3)  # implied by 1 -> 2 -> 3


# -- explanation ------------------------------------------------------------------------------


def test_the_explanation_names_the_delete_and_the_use_it_races_with():
    x = explain(program(), [NO_MISSING], RACE)
    assert x.racing == (2, 3)
    assert type(x.steps[2].effect).__name__ == "Delete" and type(x.steps[3].effect).__name__ == "Use"
    assert x.resources == ("item/res",)
    after, before = x.moves
    assert (after.where, after.anchor, after.verdict) == (AFTER, 3, HOLDS)
    assert (before.where, before.anchor, before.verdict) == (BEFORE, 1, HOLDS)
    assert x.opens == 1 and x.closes == (3, 0)
    assert x.smallest is after  # crosses one step of the user, the other two


def test_the_window_scan_reports_the_moves_that_still_fail():
    # the cleaner's notes do not matter; moving the delete before the user's check
    # makes the check fail, so the user never uses it
    x = explain(program(cleaner_notes=2), [NO_MISSING], (
        S("user", "Note", text="user starts"), S("user", "Check", name="res"),
        S("cleaner", "Note", text="cleaner 0"), S("cleaner", "Note", text="cleaner 1"),
        S("cleaner", "Delete", name="res"), S("user", "Use", name="res")))
    assert x.racing == (4, 5)
    kinds = [(m.where, m.anchor, m.verdict) for m in x.moves]
    assert kinds == [(AFTER, 5, HOLDS), (BEFORE, 1, HOLDS)]


def test_the_window_closes_at_the_step_after_which_the_delete_is_harmless_found_by_moving_it_there():
    # check, then pin in a step of its own, then use: the delete between the check and the
    # pin breaks the use; after the pin it is harmless, before the use or not
    x = explain(program("check-pin-use"), [NO_MISSING], (
        S("user", "Note", text="user starts"), S("user", "Check", name="res"),
        S("cleaner", "Delete", name="res"), S("user", "PinAnyway", name="res"), S("user", "Use", name="res")))
    assert x.racing == (2, 4)
    kinds = [(m.where, m.anchor, m.verdict) for m in x.moves]
    assert kinds == [(AFTER, 4, HOLDS), (AFTER, 3, HOLDS), (BEFORE, 1, HOLDS)]
    assert x.opens == 1 and x.closes == (3, 0)
    assert x.smallest.describe() == "step 2 moved after step 3"


def test_a_schedule_without_a_violation_has_nothing_to_explain_or_minimise():
    with pytest.raises(NotAViolation):
        explain(program(), [NO_MISSING], RACE[:2])
    with pytest.raises(NotAViolation):
        minimize(program(), [NO_MISSING], RACE[:2])


def test_minimising_the_race_drops_the_note_and_keeps_the_window():
    result = minimize(program(cleaner_notes=1), [NO_MISSING], (
        S("user", "Note", text="user starts"), S("cleaner", "Note", text="cleaner 0"),
        S("user", "Check", name="res"), S("cleaner", "Delete", name="res"), S("user", "Use", name="res")))
    assert [s.effect for s in result.steps if s.actor == "user"] == ["Note", "Check", "Use"]
    assert result.after.steps == 5  # nothing can go: every step is needed to reach the Use
    assert result.after.preemptions <= result.before.preemptions
