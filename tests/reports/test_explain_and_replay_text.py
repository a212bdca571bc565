"""The generic texts of an explanation and of a schedule followed under another program,
on a toy check-then-use race (no containerd): every step in its own words, the racing
pair, the counterfactuals, the window; the verdict, the first departure and the first
changed path of each actor."""

from __future__ import annotations

import json

import attrs
from unpack_race.reports.explain_text import explanation_data, explanation_lines
from unpack_race.reports.replay_text import cannot_follow, followed_lines, verdict_line
from unpack_race.scheduler.effect import Effect, Failure, Footprint
from unpack_race.scheduler.explain import explain
from unpack_race.scheduler.follow import RESYNC, follow, follow_schedule
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.properties import always, on_step
from unpack_race.scheduler.schedule import ScheduledStep


class Gone(Failure):
    pass


@attrs.define
class Box:
    items: set = attrs.field(factory=lambda: {"book"})
    kept: set = attrs.field(factory=set)

    def fingerprint(self):
        return (tuple(sorted(self.items)), tuple(sorted(self.kept)))


@attrs.frozen
class Look(Effect):
    item: str

    def apply(self, world):
        return self.item in world.items

    def footprint(self, world=None):
        return Footprint.of(reads={self.item})

    def narrate(self, actor, result, error):
        return f"{actor} looks for the {self.item}: {'there' if result else 'not there'}"


@attrs.frozen
class Keep(Effect):
    item: str

    def apply(self, world):
        world.kept.add(self.item)
        return self.item in world.items

    def footprint(self, world=None):
        return Footprint.of(reads={self.item}, writes={f"kept/{self.item}"})

    def narrate(self, actor, result, error):
        return f"{actor} looks for the {self.item} and marks it kept"


@attrs.frozen
class Read(Effect):
    item: str

    def apply(self, world):
        if self.item not in world.items:
            raise Gone(f"the {self.item} is gone")
        return "read"

    def footprint(self, world=None):
        return Footprint.of(reads={self.item})

    def narrate(self, actor, result, error):
        return f"{actor} reads the {self.item}" + (f": {error}" if error else "")


@attrs.frozen
class Tidy(Effect):
    item: str

    def apply(self, world):
        if self.item in world.kept:
            return "kept"
        world.items.discard(self.item)
        return "thrown away"

    def footprint(self, world=None):
        return Footprint.of(reads={f"kept/{self.item}"}, writes={self.item})

    def narrate(self, actor, result, error):
        return f"{actor} tidies up: the {self.item} is {result}"


def program(keeps: bool) -> Program:
    def reader():
        found = yield (Keep("book") if keeps else Look("book"))
        if found:
            yield Read("book")

    def tidier():
        yield Tidy("book")

    return Program("box", Box, (ActorSpec("reader", reader), ActorSpec("tidier", tidier)))


NOT_GONE = always("never-gone", on_step(lambda step: not isinstance(step.error, Gone)), "nothing read is gone")
RACE = (ScheduledStep("reader", "Look", {"item": "book"}), ScheduledStep("tidier", "Tidy", {"item": "book"}),
        ScheduledStep("reader", "Read", {"item": "book"}))


def test_the_explanation_text_tells_the_race_in_the_effects_own_words():
    lines = explanation_lines(explain(program(False), [NOT_GONE], RACE))
    text = "\n".join(lines)
    assert lines[0] == "Racing pair: step 1 (tidier Tidy) and step 2 (reader Read), dependent through book:"
    assert "    1  tidier tidies up: the book is thrown away" in text
    assert "    2  reader reads the book: the book is gone" in text
    assert "  - step 1 moved after step 2: never-gone holds in every continuation (1 continuation explored)" in text
    assert "        reader reads the book" in text
    assert "  - step 1 moved before step 0: never-gone holds" in text
    assert ("Window: with step 1 moved just before step 0 or just after step 2, never-gone holds; "
            "at every place in between, it is violated.") in text
    assert lines[-1] == "Smallest change that makes never-gone hold: step 1 moved after step 2."


def test_the_explanation_data_is_json_with_graph_edges_racing_pair_and_counterfactual():
    data = explanation_data(explain(program(False), [NOT_GONE], RACE))
    json.dumps(data)  # JSON-ready
    assert data["violation"] == {"property": "never-gone", "step": 2,
                                 "message": "nothing read is gone: violated by step 2: reader reads the book: the book is gone"}
    assert data["racing_pair"]["first"]["effect"] == "Tidy" and data["racing_pair"]["second"]["effect"] == "Read"
    assert data["racing_pair"]["resources"] == ["book"]
    assert {(e["from"], e["to"], e["kind"]) for e in data["graph"]["edges"]} == {
        (0, 1, "conflict"), (1, 2, "conflict")}  # 0 -> 2 (program order) is implied
    assert data["counterfactual"]["verdict"] == "holds" and data["counterfactual"]["where"] == "after"
    assert data["window"] == {"opens_after_step": 0, "closes_at_step": 2, "closes_after_more_steps": 0}
    assert data["steps"][1]["writes"] == ["book"]


def test_a_schedule_followed_under_another_program_says_where_and_what_instead():
    recorded = follow(program(False), RACE).steps
    run = follow_schedule(program(True), RACE, [NOT_GONE], RESYNC)
    assert verdict_line(run) == "no violation in the 3 steps followed (the run ends with every actor finished)"
    lines = followed_lines(run, recorded)
    assert lines[0] == "first departs at step 0: instead of Look(item='book'), reader does Keep(item='book')"
    assert lines[1] == ("reader takes another path at step 0: instead of Look(item='book'): "
                        "reader looks for the book and marks it kept")
    assert "    1  tidier tidies up: the book is kept" in lines
    assert cannot_follow(run) is None


def test_a_run_that_follows_exactly_or_not_at_all_says_so_in_one_line():
    recorded = follow(program(False), RACE).steps
    run = follow_schedule(program(False), RACE, [NOT_GONE], RESYNC)
    assert followed_lines(run, recorded) == ["the run follows the schedule exactly"]
    assert verdict_line(run).startswith("VIOLATION of never-gone: nothing read is gone: violated by step 2:")
    nobody = follow_schedule(program(False), (ScheduledStep("ghost", "Look", {"item": "book"}),), [], RESYNC)
    assert followed_lines(nobody, recorded) == ["cannot be followed: step 0: the program has no actor ghost to Look(item='book')"]
