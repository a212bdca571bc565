"""The independent cross-check against SPIN (issue 12, item 5): the hand-written Promela
model of retry-after-cancel (tests/crosscheck/retry_after_cancel.pml), verified by SPIN
over a grid of variants and parameters (tests/crosscheck/spin_grid.py), held against
unpack-race's exhaustive search of the same configurations (DFS with state caching,
through the library's `api.check`):

- verdicts: both tools reach the verdict containerd's history gives each variant
  (`RetryAfterCancel.expected`, from the variants' definitions), with the same property;
- state counts, where both search everything (the passing configurations): with
  HISTORY=1 each Promela pull keeps the outcomes of its steps, as unpack-race keys an
  actor's state by its history, and SPIN's "states, stored" must equal unpack-race's
  distinct states exactly (tolerance 0). Without it SPIN keys a pull by its current
  locals and merges histories that end alike: it must then store no more states than
  unpack-race and at least NATURAL_TOLERANCE of them (docs/spin-crosscheck.md);
- trails: every SPIN counterexample, converted by tests/crosscheck/spin_trail.py into a
  schedule file, replays in unpack-race step for step (the same actors, effects,
  arguments and outcomes) to the same violation;
- sometimes properties: where unpack-race declares retry-reuses-cancelled-layer or
  gc-sweeps-committed-layer, SPIN finds a run that reaches it (and the run replays in
  unpack-race and reaches it there too); where the scenario leaves one out as
  unreachable, with its reasons, SPIN finds no run that reaches it.

No expected number is written here: the counts are the two tools' outputs, held against
each other. SPIN and gcc are found on PATH; without them the tests are skipped, unless
UNPACK_RACE_REQUIRE_SPIN=1 (CI sets it), which makes them fail instead. The default
run takes the quick grid; UNPACK_RACE_SLOW=1 the full one.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest
import spin_runner
import spin_trail
from spin_grid import Point, full_grid, quick_grid
from unpack_race.model.gc import GcCollect
from unpack_race.model.errdefs import AlreadyExists, Canceled, FailedPrecondition, InvalidArgument, NotFound
from unpack_race.model.snapshotter import PrepareT1
from unpack_race.scenarios import api, invariants
from unpack_race.scenarios.registry import scenario_of
from unpack_race.scheduler.verdict import Verdict

SLOW = bool(os.environ.get("UNPACK_RACE_SLOW"))
GRID = full_grid() if SLOW else quick_grid()
PASSING = tuple(p for p in GRID if scenario_of("retry-after-cancel").expected(p.variant, p.params()).verdict
                is Verdict.PASS)
VIOLATING = tuple(p for p in GRID if p not in PASSING)
#: the natural model (HISTORY=0), at 2 layers in the quick run (every passing point in the slow one)
NATURAL = PASSING if SLOW else tuple(p for p in PASSING if p.layers == 2)
#: SPIN without histories stores at least this share of unpack-race's states (measured
#: 0.78 to 1.0 over the full grid's 49 passing configurations, docs/spin-crosscheck.md):
#: a state of the natural model is a function of an unpack-race state (its locals are
#: functions of the pull's history), so it can store fewer, never more; fewer than this
#: would mean the Promela model lost states, not merged them
NATURAL_TOLERANCE = 0.7
#: the test compiles dozens of small verifiers: compiling dominates, and -O0 compiles in a
#: fifth of -O2's time; the optimisation level changes no count (the bench uses -O2)
OPT = "-O0"
REUSES, SWEEPS = "retry-reuses-cancelled-layer", "gc-sweeps-committed-layer"
SEEK = {REUSES: 1, SWEEPS: 2}


def ids(points) -> list[str]:
    return [p.label.replace(" ", ",") for p in points]


@pytest.fixture(scope="module", autouse=True)
def spin_and_gcc():
    why = spin_runner.missing_tools()
    if why is None:
        return
    if os.environ.get("UNPACK_RACE_REQUIRE_SPIN") == "1":
        pytest.fail(f"UNPACK_RACE_REQUIRE_SPIN=1, but {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("spin")


@functools.cache
def unpack_race(point: Point) -> api.Checked:
    return api.check("retry-after-cancel", point.variant, params=point.params(), strategy="dfs")  # every state


_spin_runs: dict[tuple, spin_runner.PanResult] = {}


def spin(point: Point, workdir: Path, history: bool = True, seek: int = 0) -> spin_runner.PanResult:
    key = (point, history, seek)
    if key not in _spin_runs:
        defines = point.defines(history) + ([f"-DSEEK={seek}"] if seek else [])
        where = workdir / f"{len(_spin_runs):03d}"
        _spin_runs[key] = spin_runner.verify(defines, where, opt=OPT)
    return _spin_runs[key]


@pytest.mark.parametrize("point", GRID, ids=ids(GRID))
def test_spin_and_unpack_race_reach_the_verdict_containerd_history_gives(point, workdir):
    expected = scenario_of("retry-after-cancel").expected(point.variant, point.params())
    ours = unpack_race(point)
    theirs = spin(point, workdir)
    found = ours.result.violation.property if ours.result.violation else None
    assert ours.verdict is expected.verdict, f"unpack-race: {ours.verdict} ({found}), expected {expected.verdict}"
    wanted = expected.property if expected.verdict is Verdict.VIOLATION else None
    assert theirs.violated == wanted, (f"SPIN: {theirs.violated or 'no assertion failed'}, expected "
                                       f"{wanted or 'none'} ({expected.why}); pan said:\n{theirs.output}")
    assert theirs.violated == found


@pytest.mark.parametrize("point", PASSING, ids=ids(PASSING))
def test_with_each_pulls_history_spin_stores_exactly_the_states_unpack_race_visits(point, workdir):
    ours = unpack_race(point).result.coverage.states
    theirs = spin(point, workdir).states
    assert theirs == ours, f"SPIN stored {theirs} states, unpack-race visited {ours} ({point.label})"


@pytest.mark.parametrize("point", NATURAL, ids=ids(NATURAL))
def test_without_histories_spin_merges_states_but_never_adds_any(point, workdir):
    ours = unpack_race(point).result.coverage.states
    natural = spin(point, workdir, history=False)
    assert natural.violated is None
    assert NATURAL_TOLERANCE * ours <= natural.states <= ours, (
        f"SPIN's natural model stored {natural.states} states, unpack-race visited {ours}: expected between "
        f"{NATURAL_TOLERANCE:.0%} of it and all of it ({point.label})")


def outcome_code(step) -> int:
    """An unpack-race step's outcome in the Promela model's codes (its header, E_*)."""
    error = step.error
    if error is None:
        if isinstance(step.effect, PrepareT1):  # 10 + the parent's backend generation
            bparent = step.result[1]
            return 10 + (int(bparent.split("/")[1]) if bparent else 0)
        return 0
    text = str(error)
    if isinstance(error, AlreadyExists):
        return 1 if text.startswith("target snapshot") else 2
    if isinstance(error, Canceled):
        return 6
    if isinstance(error, InvalidArgument):
        return 7
    if isinstance(error, FailedPrecondition):
        return 9
    if isinstance(error, NotFound):
        for prefix, code in (("parent snapshot", 3), ("snapshot", 4), ("lease", 5), ("content digest", 8)):
            if text.startswith(prefix):
                return code
    raise AssertionError(f"step {step.index}: an outcome the Promela model has no code for: {error!r}")


def replay_trail(result: spin_runner.PanResult, point: Point, path: Path):
    """SPIN's trail -> a schedule file -> unpack-race's strict replay; checks that every
    step's outcome is the one SPIN printed."""
    output = spin_runner.trail_output(result)
    data = spin_trail.schedule(output, point.variant, point.params())
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    replayed = api.replay(path)
    printed = [int(fields["out"]) for _, _, fields in spin_trail.parse_steps(output)]
    assert len(replayed.steps) == len(data["steps"]), (
        f"unpack-race replayed {len(replayed.steps)} of the trail's {len(data['steps'])} steps ({path})")
    assert [outcome_code(s) for s in replayed.steps] == printed, f"the outcomes differ along {path}"
    return replayed


@pytest.mark.parametrize("point", VIOLATING, ids=ids(VIOLATING))
def test_spins_counterexample_replays_in_unpack_race_to_the_same_violation(point, workdir):
    theirs = spin(point, workdir)
    assert theirs.violated is not None, f"SPIN found no violation ({point.label})"
    replayed = replay_trail(theirs, point, theirs.workdir / "spin-trail.schedule.json")
    assert replayed.violated, f"the trail replays in unpack-race without a violation ({theirs.workdir})"
    violation = replayed.result.violation
    assert violation.property == theirs.violated
    assert violation.step_index == len(replayed.steps) - 1 or theirs.violated in ("pull-completes", "no-deadlock")


@pytest.mark.parametrize("point", NATURAL, ids=ids(NATURAL))
@pytest.mark.parametrize("sought", (REUSES, SWEEPS))
def test_spin_reaches_a_sometimes_property_exactly_where_unpack_race_declares_it(point, sought, workdir):
    built = unpack_race(point).built
    left_out = {u.property: u.why for u in built.unreachable}
    theirs = spin(point, workdir, seek=SEEK[sought])
    if sought in left_out:
        assert theirs.violated is None, (f"SPIN reaches {sought}, which the scenario leaves out as unreachable "
                                         f"({left_out[sought]}); trail in {theirs.workdir}")
        return
    assert theirs.violated == sought, f"SPIN finds no run that reaches {sought} ({point.label})"
    replayed = replay_trail(theirs, point, theirs.workdir / "spin-seek.schedule.json")
    # a replay checks no `sometimes` property (one run cannot judge one): ask its last step
    last = replayed.steps[-1]
    if sought == REUSES:
        assert invariants.finds_existing_layer(last, "pull-2") is not None, f"{last.narrate()} finds no layer"
    else:
        chains = {f"sha256:c{i + 1}" for i in range(point.layers)}
        assert isinstance(last.effect, GcCollect) and chains & set(last.result.swept_snapshots), (
            f"{last.narrate()} sweeps no committed layer")
