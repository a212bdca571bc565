"""A search with reduction against brute force (DESIGN.md, "Tests"; issue 3, item 5).

On small random programs (toy_world: shared integers, mutexes, branches on what was
read, possible deadlocks) and on the hand-written toys, each reduced search must reach,
compared with enumerating every interleaving with the kernel alone
(`toy_world.all_executions`, no search of the engine's):

- the same final worlds (world fingerprints of every execution that ran to its end,
  deadlocked ones included), and the same final states counting local ones (the world
  plus what each actor returned or waits for);
- the same values of each single variable and mutex in some reached state (so every
  `always` property about one variable gets the same verdict);
- the verdicts brute force implies: a deadlock exactly when some interleaving ends in
  one, and "variable v never holds value k" violated exactly when some reached state
  has v == k;
- no more executions than brute force (not counting sleep-set-blocked ones);
- and, for DPOR, at least one execution of every Mazurkiewicz trace: the set of trace
  keys of its complete executions equals the brute-force set (Godefroid 1996; Abdulla et
  al. 2014). DFS with state caching runs here as a check of the harness: it reaches all
  final states but cuts executions short, so only "its keys are brute-force keys" holds.

How much each reduction saves is the benchmark's business (`unpack-race bench`); that it
saves at all is checked below on actors that share nothing, whose interleavings form a
single trace.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy_world import (
    VARIABLES,
    Load,
    ProgramSpec,
    Recording,
    Store,
    all_executions,
    bank_account,
    build,
    independent_program,
    locked_counter,
    multinomial,
    mutex,
    opposite_locks,
    program_specs,
    racy_counter,
    spender_and_depositor,
    var,
    waiter_on_closed_gate,
)
from unpack_race.reports.claims import claim
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED
from unpack_race.scheduler.explore import PASS, VIOLATION, explore
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import NO_DEADLOCK, always, on_state
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.shared_memory import Read, Write, assert_that, pthread_program
from unpack_race.scheduler.strategies.dfs import DepthFirst
from unpack_race.scheduler.strategies.dpor import Dpor
from unpack_race.scheduler.strategies.optimal_dpor import OptimalDpor
from unpack_race.scheduler.strategies.sleep_dfs import SleepSetDepthFirst
from unpack_race.scheduler.traces import final_state, trace_key


@attrs.frozen
class Reduced:
    """A reduced search and what may be asked of it."""

    make: Callable[[], object]
    every_trace: bool  # one complete execution per Mazurkiewicz trace, at least


def dpor(**options) -> Reduced:
    return Reduced(lambda: Dpor(**options), every_trace=True)


SEARCHES = {
    "dfs-state-caching": Reduced(lambda: DepthFirst(state_caching=True), every_trace=False),
    "dfs-sleep-sets": Reduced(SleepSetDepthFirst, every_trace=False),
    "dpor-source": dpor(),
    "dpor-fg05": dpor(reduction="fg05"),
    "dpor-source-no-sleep-sets": dpor(sleep_sets=False),
    "dpor-optimal": Reduced(OptimalDpor, every_trace=True),
}


def values_of(world) -> set[tuple[str, Hashable]]:
    """Each variable's value and each mutex's holder (None when free), by resource."""
    return {(var(v), value) for v, value in world.vars.items()} | {
        (mutex(m), world.holders.get(m)) for m in world.mutexes
    }


@attrs.frozen
class BruteForce:
    """What enumerating every interleaving finds."""

    executions: int
    keys: frozenset
    final_worlds: frozenset
    final_states: frozenset
    values: frozenset  # (resource, value) in some reached state, the initial one included
    deadlock: bool  # some interleaving ends with a non-daemon actor blocked


def brute_force(program: Program) -> BruteForce:
    values: set = set()
    executions = list(all_executions(program, visit=lambda execution: values.update(values_of(execution.world))))
    runs = [Run.of(e) for e in executions]
    return BruteForce(
        executions=len(runs),
        keys=frozenset(trace_key(r.steps) for r in runs),
        final_worlds=frozenset(r.world.fingerprint() for r in runs),
        final_states=frozenset(final_state(r) for r in runs),
        values=frozenset(values),
        deadlock=any(e.deadlocked() for e in executions),
    )


def single_value_observers(program: Program, seen: set) -> list:
    """One state property per variable and per mutex, each declaring the one resource it
    reads, that records the variable's value or the mutex's holder."""

    def recorder(resource: str, value):
        def record(world) -> bool:
            seen.add((resource, value(world)))
            return True

        return always(f"observe-{resource}", on_state(record, reads={resource}))

    world = program.make_world()
    return [recorder(var(v), lambda w, v=v: w.vars[v]) for v in sorted(world.vars)] + [
        recorder(mutex(m), lambda w, m=m: w.holders.get(m)) for m in sorted(world.mutexes)
    ]


def verdict(result) -> tuple[str, str | None]:
    return result.verdict, result.violation.property if result.violation else None


def check_against_brute_force(label: str, make: Callable[[], Program], watch: tuple[str, int] | None) -> None:
    brute = brute_force(make())
    for name, search in SEARCHES.items():
        where = f"{name} on {label}"
        # final states, trace keys, single-variable values, execution counts
        seen: set = set()
        recorder = Recording()
        program = make().all_daemons()
        result = explore(program, search.make(), single_value_observers(program, seen), on_run=recorder)
        assert result.verdict == PASS, claim(result)
        complete = recorder.completed()
        keys = {trace_key(steps) for steps in complete}
        assert set(recorder.final_worlds) == brute.final_worlds, f"{where}: different final worlds"
        assert set(recorder.final_states) == brute.final_states, (
            f"{where}: different final states (actors' results included)"
        )
        assert seen == brute.values, f"{where}: values of single variables differ"
        assert keys <= brute.keys, f"{where}: an execution that brute force does not have"
        blocked = result.coverage.cut_by(SLEEP_SET_BLOCKED)
        if search.every_trace:
            missing = len(brute.keys - keys)
            assert keys == brute.keys, f"{where}: {missing} of {len(brute.keys)} Mazurkiewicz traces never explored"
            assert result.executions - blocked == len(complete), (
                f"{where}: {result.executions - len(complete)} executions cut short, "
                f"but sleep_blocked says {blocked}"
            )
        assert result.executions - blocked <= brute.executions, f"{where}: more executions than brute force"

        # verdicts: deadlock (actors not daemons), and "v never holds k"
        expected = (VIOLATION, NO_DEADLOCK) if brute.deadlock else (PASS, None)
        assert verdict(explore(make(), search.make())) == expected, f"{where}: deadlock verdict differs"
        if watch is not None:
            v, value = watch
            never = always(f"{v}-never-{value}", on_state(lambda world: world.vars[v] != value, reads={var(v)}))
            expected = (VIOLATION, never.name) if (var(v), value) in brute.values else (PASS, None)
            assert verdict(explore(make().all_daemons(), search.make(), [never])) == expected, (
                f"{where}: verdict of {v} never {value} differs"
            )


# -- random programs --------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=program_specs(), watch=st.tuples(st.sampled_from(VARIABLES), st.integers(0, 3)))
def test_every_reduced_search_agrees_with_brute_force_on_random_programs(spec: ProgramSpec, watch):
    check_against_brute_force(repr(spec), lambda: build(spec), watch)


# -- hand-written programs ----------------------------------------------------------------

TOYS = {
    "racy counter, 2 actors": (lambda: racy_counter(2), ("counter", 1)),
    "racy counter, 3 actors": (lambda: racy_counter(3), ("counter", 2)),
    "racy counter, 2 actors x 2 rounds": (lambda: racy_counter(2, rounds=2), ("counter", 2)),
    "locked counter, 2 actors x 2 rounds": (lambda: locked_counter(2, rounds=2), ("counter", 3)),
    "locked counter, 3 actors": (lambda: locked_counter(3), ("counter", 2)),
    "bank account": (lambda: bank_account(locked=False), ("balance", 110)),
    "locked bank account": (lambda: bank_account(locked=True), ("balance", 110)),
    "spender and depositor": (spender_and_depositor, ("balance", 60)),
    "independent actors": (lambda: independent_program((2, 2, 1)), ("x0", 2)),
    "opposite locks": (opposite_locks, None),  # no variables: the deadlock is the point
    "daemon on a closed gate": (lambda: waiter_on_closed_gate(daemon=True), ("x", 1)),
    "two asserts that abort the program": (lambda: two_aborting_asserts(), ("z", 2)),
}


def two_aborting_asserts() -> Program:
    """A pthread program whose failing asserts abort it (Program.aborts_on): the step of a
    failing assert disables every other step, so a reduction that missed that dependence
    would lose the states reached by moving the others first."""

    def writer():
        yield Write("x", 1)
        yield Write("y", 1)

    def checker(seen: str, mark: int):
        def body():
            value = yield Read(seen)
            assert_that(value == 0, f"{seen} == 0")
            yield Write("z", mark)
        return body

    return pthread_program("two-asserts", {"x": 0, "y": 0, "z": 0}, (),
                           [("w", writer), ("r1", checker("x", 1)), ("r2", checker("y", 2))])


@pytest.mark.parametrize("toy", sorted(TOYS))
def test_every_reduced_search_agrees_with_brute_force_on_hand_written_programs(toy):
    make, watch = TOYS[toy]
    check_against_brute_force(toy, make, watch)


def test_the_watched_values_are_reached_or_not_as_the_programs_say():
    # Guards the verdict checks above against watching only what is never (or always)
    # there: a lost update leaves the racy counter at 1, a lock never does.
    assert (var("counter"), 1) in brute_force(racy_counter(2)).values
    assert (var("counter"), 1) in brute_force(locked_counter(3)).values  # after the first increment
    finals = {e.world.vars["counter"] for e in all_executions(locked_counter(3))}
    assert finals == {3}
    assert brute_force(opposite_locks()).deadlock and not brute_force(racy_counter(2)).deadlock
    aborting = all_executions(two_aborting_asserts())
    assert any(e.aborted for e in aborting) and any(not e.aborted for e in aborting)
    assert not any(e.deadlocked() for e in aborting)


@pytest.mark.parametrize("name", sorted(SEARCHES))
@pytest.mark.parametrize("sizes", [(2, 2), (2, 2, 1), (3, 2, 2)])
def test_every_reduction_runs_fewer_executions_than_brute_force_where_nothing_conflicts(name, sizes):
    # Actors that each increment their own variable: every interleaving (the multinomial
    # many) is one Mazurkiewicz trace, so DPOR needs a single execution; DFS with state
    # caching cuts every execution that reaches a state already seen.
    result = explore(independent_program(sizes), SEARCHES[name].make())
    assert result.verdict == PASS
    reduced = result.executions - result.coverage.cut_by(SLEEP_SET_BLOCKED)
    assert reduced < multinomial(sizes)
    if SEARCHES[name].every_trace:
        assert reduced == 1


def test_recording_the_runs_does_not_change_the_search():
    program = build(ProgramSpec(((Store("x", 1, False), Load("y")), (Load("x"), Store("y", 2, True)))))
    plain = explore(program, Dpor())
    recorder = Recording()
    recorded = explore(program, Dpor(), on_run=recorder)
    assert recorded.coverage == plain.coverage and recorded.verdict is plain.verdict
    assert len(recorder.runs) == recorded.executions == plain.executions
    assert all(s.footprint is not None for steps in recorder.executions for s in steps)
