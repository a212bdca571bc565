"""The lint on toy programs: each kind of mistake is caught, with a message that names
the step, the resource and the fix; a correct program is clean."""

from __future__ import annotations

import attrs
import pytest
from lint_toys import (
    Board,
    ChangesTheRule,
    Copy,
    CopyForgettingItsRead,
    Explodes,
    Indirect,
    Logged,
    Peek,
    Read,
    ReadsTheLog,
    Set,
    SetForgettingItsWrite,
    Sign,
    WaitFor,
    WaitForDeclaringNothing,
    WaitForThatSets,
    program,
)
from unpack_race.reports.lint_text import render
from unpack_race.scheduler.lint import lint
from unpack_race.scheduler.properties import always, at_end, on_state


def kinds(report) -> list[str]:
    return [f.kind for f in report.findings]


def finding(report, kind: str):
    found = [f for f in report.findings if f.kind == kind]
    assert found, f"no {kind} finding in:\n{render(report)}"
    return found[0]


# -- a correct program -----------------------------------------------------------------


def correct_program():
    def reader():
        seen = yield Read("x")
        yield Set("z", seen)

    return program(("copier", [Copy("x", "y"), Logged("y", 5)]), ("writer", [Set("x", 1), WaitFor("y")]),
                   ("reader", reader), ("peeker", [Peek("y"), Set("z", 7)]))


def test_a_correct_program_is_clean_and_every_reachable_state_is_checked():
    report = lint(correct_program(), [always("x-small", on_state(lambda w: w.vars["x"] < 2, reads={"var/x"}))])
    assert report.clean, render(report)
    assert report.coverage.complete
    assert report.coverage.states > 20 and report.coverage.pairs > 5 and report.coverage.footprints > 10
    assert "clean" in render(report).splitlines()[0]


def test_the_lint_does_not_stop_at_a_property_violation():
    violated = at_end("never", lambda end: False)
    plain, judged = lint(correct_program()), lint(correct_program(), [violated])
    assert judged.clean and judged.coverage.states == plain.coverage.states


# -- footprints against what the steps touch ---------------------------------------------


def test_a_footprint_missing_a_read_is_caught_with_the_resource_and_the_fix():
    report = lint(program(("a", [CopyForgettingItsRead("x", "y")]), ("b", [Set("x", 1)])))
    found = finding(report, "undeclared-read")
    assert "a's step CopyForgettingItsRead(source='x', target='y') reads var/x" in found.summary
    assert "world.vars['x'] in apply()" in "\n".join(found.details)
    assert "add var/x to the reads of CopyForgettingItsRead.footprint()" in found.advice
    assert found.path == ()  # shown in the initial state


def test_a_footprint_missing_a_write_is_caught():
    report = lint(program(("a", [SetForgettingItsWrite("y", 1)]), ("b", [Read("y")])))
    found = finding(report, "undeclared-write")
    assert "SetForgettingItsWrite(name='y', value=1) writes var/y" in found.summary
    assert "add var/y to the writes" in found.advice


def test_a_read_inside_enabled_must_be_declared_too():
    report = lint(program(("a", [WaitForDeclaringNothing("x")]), ("b", [Set("x", 1)])))
    found = finding(report, "undeclared-read")
    assert "world.vars['x'] in enabled()" in "\n".join(found.details)
    # the same mistake, seen semantically: b's step enables a's though they do not conflict
    assert "enabling" in kinds(report)


def test_a_step_through_a_whole_collection_needs_a_star():
    @attrs.frozen
    class Total(Read):
        def apply(self, world) -> int:
            return sum(world.vars.values())

    report = lint(program(("a", [Total("x")])))
    found = finding(report, "undeclared-read")
    assert "every entry of world.vars" in found.summary and '"*"' in found.advice


def test_an_effect_whose_enabled_writes_the_world_is_caught():
    report = lint(program(("a", [WaitForThatSets("x")])))
    assert "writes world.vars['x'] in enabled()" in finding(report, "enabled-writes").summary


def test_reading_write_only_bookkeeping_and_writing_a_constant_are_caught():
    report = lint(program(("a", [Logged("x", 1), ReadsTheLog(), ChangesTheRule()])))
    assert "ReadsTheLog() reads world.log (its length), which Board.RESOURCES calls WriteOnly()" in finding(
        report, "write-only-read").summary
    assert "writes world.rule, which Board.RESOURCES calls Constant()" in finding(report, "constant-written").summary


def test_writing_write_only_bookkeeping_needs_no_declaring():
    assert lint(program(("a", [Logged("x", 1)]), ("b", [Logged("y", 2)]))).clean


def test_an_on_exit_hook_that_writes_more_than_the_actors_exit_is_caught():
    def on_exit(world, actor):
        world.vars["z"] = 1

    report = lint(program(("a", [Set("x", 1)]), on_exit=on_exit))
    found = finding(report, "on-exit")
    assert "touches var/z" in found.summary and "write only exit/a" in found.advice


# -- commutation ---------------------------------------------------------------------


def test_steps_declared_independent_that_do_not_commute_are_caught_even_without_a_resource_map():
    @attrs.frozen
    class SetClaimingOwnCell(Set):
        def footprint(self, world=None):
            return attrs.evolve(super().footprint(world), writes=frozenset({f"cell/{self.value}"}))

    report = lint(program(("a", [SetClaimingOwnCell("x", 1)]), ("b", [SetClaimingOwnCell("x", 2)]), mapless=True))
    assert "resource-map" in kinds(report)  # the footprints themselves cannot be checked
    found = finding(report, "not-commuting")
    assert "in either order leaves different worlds" in found.summary
    assert "world.vars['x']: 2 in one, 1 in the other" in found.details
    assert found.steps == ("a: SetClaimingOwnCell(name='x', value=1)", "b: SetClaimingOwnCell(name='x', value=2)")


def test_a_step_that_changes_another_steps_footprint_is_caught():
    report = lint(program(("a", [Set("p", 2)]), ("b", [Indirect("p")]), board={"p": 1, "v1": 0, "v2": 0}))
    assert "changes the footprint of b's step Indirect(pointer='p')" in finding(report, "footprint-changes").summary


# -- fingerprints and state keys ---------------------------------------------------------


class BoardForgettingY(Board):
    def fingerprint(self):
        return tuple(sorted((k, v) for k, v in self.vars.items() if k != "y"))


def forgetful(*actors):
    prog = program(*actors)
    return attrs.evolve(prog, make_world=lambda: BoardForgettingY({"x": 0, "y": 0, "z": 0}))


def test_a_fingerprint_that_leaves_out_a_field_a_step_reads_is_caught():
    report = lint(forgetful(("a", [Set("y", 1)]), ("b", [Copy("y", "z")])))
    found = finding(report, "fingerprint")
    assert "two states with the same fingerprint differ in world.vars" in found.summary
    assert "b's step Copy(source='y', target='z') tells them apart" in found.summary
    assert "world.vars['y']: 0 in one, 1 in the other" in found.details
    assert "BoardForgettingY.fingerprint() must include what Copy reads" in found.advice
    assert found.other_path is not None and len(found.other_path) == 1


def test_a_fingerprint_that_leaves_out_a_field_only_a_property_reads_is_caught():
    y_is_zero = always("y-is-zero", on_state(lambda w: w.vars["y"] == 0, reads={"var/y"}))
    report = lint(forgetful(("a", [Set("y", 1)])), [y_is_zero])
    assert "property y-is-zero tells them apart" in finding(report, "fingerprint").summary


def test_a_fingerprint_that_leaves_out_a_field_nothing_reads_is_sound_and_passes():
    assert lint(forgetful(("a", [Set("y", 1)]), ("b", [Set("x", 1)]))).clean


def test_an_outcome_key_that_drops_what_the_actor_acts_on_is_caught_by_the_state_keys():
    def reader():
        seen = yield Sign("x")
        yield Set("z", seen)

    report = lint(program(("reader", reader), ("writer", [Set("x", 1), Set("x", 2), Set("x", 0)])))
    found = finding(report, "state-key")
    assert "two states with the same state key behave differently: reader waits to take Set(name='z', value=" in found.summary
    assert any("reader's step 1 of its own" in line for line in found.details)


def test_an_actor_reading_a_result_its_effect_says_it_ignores_is_caught():
    def peeker():
        if (yield Peek("x")):
            yield Set("z", 1)

    report = lint(program(("peeker", peeker), ("writer", [Set("x", 1)])))
    found = finding(report, "ignored-result")
    assert found.summary.startswith("actor peeker reads the result of Peek(name='x') (tested its truth) though "
                                    "Peek.outcome_key says it is ignored")
    assert "drop `outcome_key = result_ignored` from Peek" in found.advice


def test_an_actor_that_never_looks_at_an_ignored_result_passes():
    def peeker():
        yield Peek("x")
        yield Set("z", 1)

    assert lint(program(("peeker", peeker), ("writer", [Set("x", 1)]))).clean


# -- state properties --------------------------------------------------------------------


def test_a_state_property_reading_an_undeclared_resource_is_caught():
    sneaky = always("x-below-y", on_state(lambda w: w.vars["x"] <= w.vars["y"] + 1, reads={"var/y"}))
    report = lint(program(("a", [Set("x", 1)])), [sneaky])
    found = finding(report, "state-property-reads")
    assert "property x-below-y reads var/x, which its declared reads {var/y} leave out" in found.summary


def test_a_state_property_without_declared_reads_is_noted_not_checked():
    report = lint(program(("a", [Set("x", 1)])), [always("loose", on_state(lambda w: True))])
    assert report.clean and any("loose" in note for note in report.coverage.notes)


# -- what the lint itself reports ----------------------------------------------------------


def test_a_world_without_a_resource_map_is_a_finding_that_says_how_to_add_one():
    found = finding(lint(program(("a", [Set("x", 1)]), mapless=True)), "resource-map")
    assert "MaplessBoard declares no resource map" in found.summary and "RESOURCES = ResourceMap" in found.advice


def test_an_incomplete_resource_map_is_a_finding():
    @attrs.define
    class Wider(Board):
        extra: int = 0

    prog = attrs.evolve(program(("a", [Set("x", 1)])), make_world=lambda: Wider({"x": 0}))
    assert "Wider.RESOURCES does not say what world.extra is" in finding(lint(prog), "resource-map").summary


def test_an_effect_that_raises_something_other_than_a_failure_is_a_model_error():
    assert "a bug in the model" in finding(lint(program(("a", [Explodes()]))), "model-error").summary


def test_the_state_budget_is_honest_about_what_it_did_not_check():
    report = lint(correct_program(), max_states=5)
    assert report.clean and not report.coverage.complete and report.coverage.states == 5
    assert "NOT every reachable state: the budget of 5 states ran out" in render(report)
    with pytest.raises(ValueError, match="at least 1"):
        lint(correct_program(), max_states=0)


def test_findings_name_the_run_that_reaches_their_state_step_by_step():
    report = lint(program(("a", [Set("x", 1), CopyForgettingItsRead("y", "z")]), ("b", [Set("y", 1)])))
    text = render(report)
    assert "the state is reached by 1 step:" in text and "a: Set(name='x', value=1) -> None" in text


def test_the_report_is_the_same_under_any_hash_seed(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import unpack_race

    script = tmp_path / "lint_once.py"
    script.write_text(
        "from lint_toys import *\nfrom unpack_race.scheduler.lint import lint\n"
        "from unpack_race.reports.lint_text import render\n"
        "r = lint(program(('a', [CopyForgettingItsRead('x', 'y'), SetForgettingItsWrite('z', 1)]),"
        " ('b', [Set('x', 1), Read('z')])))\n"
        "print('\\n'.join(l for l in render(r).splitlines() if not l.lstrip().startswith('checked')))\n")
    path = os.pathsep.join([str(Path(unpack_race.__file__).parent.parent), str(Path(__file__).parent)])
    outputs = {
        subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONPATH": path, "PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1 and "undeclared-read" in outputs.pop()


def test_an_actor_that_raises_before_its_first_step_is_a_model_error_not_a_crash():
    def broken():
        raise ValueError("broken before it starts")
        yield  # pragma: no cover - makes it a generator

    from unpack_race.scheduler.program import ActorSpec, Program

    report = lint(Program("broken", lambda: {}, (ActorSpec("a", broken),)))
    assert [f.kind for f in report.findings] == ["model-error"]
    assert "broken before it starts" in render(report)
