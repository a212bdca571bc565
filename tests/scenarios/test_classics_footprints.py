"""The classics' footprints are sound for partial-order reduction, as the engine's own
self-check (scheduler.lint) judges them: in every reachable state, two steps whose
footprints do not conflict commute and leave each other enabled, and every footprint
covers what its step reads and writes. Every classic at its default size is linted in
tests/scenarios/test_lint_clean.py; here the parametric ones at a larger size, a
deliberately careless write, and the precision the reduction relies on (no conflict where
the C program has none), which lint does not check."""

from __future__ import annotations

import attrs
import pytest
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scheduler.shared_memory import Write, pthread_program
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.lint import lint

BY_NAME = {s.name: s for s in CLASSICS}


@pytest.mark.parametrize(("name", "params"), [("lastzero", {"n": 4}), ("indexer", {"n": 3}), ("filesystem", {"n": 3})])
def test_the_parametric_classics_lint_clean_at_a_larger_size(name, params):
    built = BY_NAME[name].build("as-written", params)
    report = lint(built.program, built.properties)
    assert report.clean and report.coverage.complete
    assert report.coverage.pairs > 10  # independent steps were tried in both orders


@attrs.frozen
class CarelessWrite(Write):
    """A write whose footprint forgets the variable."""

    def _touches(self, world):
        return set(), set()


def test_a_write_whose_footprint_misses_the_variable_is_caught():
    def writes(value, effect):
        def body():
            yield effect("x", value)

        return body

    program = pthread_program("careless", {"x": 0}, (), [("a", writes(1, CarelessWrite)), ("b", writes(2, Write))])
    assert CarelessWrite("x", 1).footprint() == Footprint()
    report = lint(program)
    assert not report.clean
    assert {f.kind for f in report.findings} == {"undeclared-read", "undeclared-write", "not-commuting"}


def test_steps_on_different_mutexes_and_reads_of_one_variable_do_not_conflict():
    # the precision a reduction relies on: no conflict where the C program has none
    program = BY_NAME["filesystem"].build("as-written", {"n": 2}).program
    execution = Execution(program)
    first, second = (execution.pending(t).footprint(execution.world) for t in ("thread0", "thread1"))
    assert first == Footprint.of(reads={"mutex/locki[0]", "var/inode[0]"}, writes={"mutex/locki[0]"},
                                 acquires={"mutex/locki[0]"})  # lock(&locki[0]) takes that mutex
    assert not first.conflicts_with(second)
    lastzero = Execution(BY_NAME["lastzero"].build("as-written", {"n": 2}).program)
    reader, writer1 = (lastzero.pending(t).footprint(lastzero.world) for t in ("reader", "writer1"))
    assert reader == Footprint.of(reads={"var/array[2]"}) and writer1 == Footprint.of(reads={"var/array[0]"})
    assert not reader.conflicts_with(writer1)
