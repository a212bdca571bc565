"""A search with reduction against brute force (DESIGN.md, "Tests"; issue 3, item 5).

On small random programs (tests/scheduler/random_programs.py: shared integers, locks,
branches on what was read, possible deadlocks) and on the hand-written toys, each
reduced search must reach

- the same final worlds (world fingerprints of every execution that ran to its end,
  deadlocked ones included) as enumerating every interleaving, and the same final
  states counting local ones (the world plus what each actor returned or waits for);
- the same verdicts: deadlock, and `always` "variable v never holds value k";
- the same values of each single variable and mutex in some reached state (so every
  `always` property about one variable gets the same verdict);
- no more executions than brute force (not counting sleep-set-blocked ones);
- and, for DPOR, at least one execution of every Mazurkiewicz trace: the set of trace
  keys of its complete executions equals the brute-force set (Godefroid 1996; Abdulla et
  al. 2014). DFS with state caching runs here as a check of the harness: it reaches all
  final states but cuts executions short, so only "its keys are brute-force keys" holds.

The ratio (reduced executions / Mazurkiewicz traces) is collected for every example and
printed by the last test (run with `-s` to see it).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from random_programs import (
    MUTEXES,
    VARIABLES,
    ProgramSpec,
    Read,
    Write,
    build,
    mutex,
    program_specs,
    var,
)
from unpack_race.reports.claims import claim
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED
from unpack_race.scheduler.explore import PASS, VIOLATION, explore
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import NO_DEADLOCK, always, on_state
from unpack_race.scheduler.strategies.dfs import DepthFirst
from unpack_race.scheduler.traces import TraceCount, count_traces, trace_key
from scheduler_toys import (
    bank_account,
    independent_program,
    locked_counter,
    opposite_locks,
    Recording,
    racy_counter,
    spender_and_depositor,
    waiter_on_closed_gate,
)
from unpack_race.scheduler.strategies.dpor import Dpor


@attrs.frozen
class Reduced:
    """A reduced search and what may be asked of it."""

    make: Callable[[], object]
    every_trace: bool  # one complete execution per Mazurkiewicz trace, at least


def dpor(**options) -> Reduced:
    return Reduced(lambda: Dpor(**options), every_trace=True)


SEARCHES = {
    "dfs-state-caching": Reduced(lambda: DepthFirst(state_caching=True), every_trace=False),
    "dpor-source": dpor(),
    "dpor-fg05": dpor(reduction="fg05"),
    "dpor-source-no-sleep-sets": dpor(sleep_sets=False),
}

#: (search, program, sizes, brute-force executions, traces, reduced complete executions,
#: sleep-set-blocked executions); printed by the last test
STATS: list[tuple[str, str, tuple[int, ...], int, int, int, int]] = []


def as_daemons(program: Program) -> Program:
    """The same program with every actor a daemon: an execution that ends blocked is then
    an ordinary final state, not a deadlock violation that stops the search."""
    return attrs.evolve(program, actors=tuple(attrs.evolve(a, daemon=True) for a in program.actors))


#: the locks of the hand-written toys (scheduler_toys), whose footprints name a lock
#: "lock:<name>" and a variable by its bare name; the random programs write var/<x> and
#: mutex/<m>
TOY_LOCKS = ("m", "account", "a", "b", "gate")


def single_value_observers(program: Program, seen: set) -> list:
    """One state property per variable and per lock, each declaring the one resource it
    reads, that records the variable's value or the lock's holder (None when free)."""

    def recorder(resource: str, value):
        def record(world) -> bool:
            seen.add((resource, value(world)))
            return True

        return always(f"observe-{resource}", on_state(record, reads={resource}))

    world = program.make_world()
    if hasattr(world, "holders"):  # random_programs.Memory
        observers = [recorder(var(v), lambda w, v=v: w.vars[v]) for v in VARIABLES]
        return observers + [recorder(mutex(m), lambda w, m=m: w.holders.get(m)) for m in MUTEXES]
    observers = [recorder(v, lambda w, v=v: w.vars.get(v)) for v in sorted(world.vars)]
    return observers + [recorder(f"lock:{m}", lambda w, m=m: w.locks.get(m)) for m in TOY_LOCKS]


def observe(program: Program, strategy, recording: Recording | None = None) -> tuple[set, object]:
    """Explore (actors as daemons) recording every single-variable value seen (and, with
    a `recording`, every run)."""
    seen: set = set()
    result = explore(as_daemons(program), strategy, single_value_observers(program, seen), on_run=recording)
    assert result.verdict == PASS, claim(result)
    return seen, result


def verdict(result) -> tuple[str, str | None]:
    return result.verdict, result.violation.property if result.violation else None


def check_against_brute_force(
    name: str, label: str, program: Callable[[], Program], sizes: tuple[int, ...], watch: tuple[str, int]
) -> None:
    search = SEARCHES[name]
    brute: TraceCount = count_traces(program())
    assert brute.exhausted

    # final states, trace keys, single-variable values, execution counts
    brute_values, _ = observe(program(), DepthFirst(state_caching=False))
    recorder = Recording()
    values, result = observe(program(), search.make(), recorder)
    complete = recorder.completed()
    keys = {trace_key(steps) for steps in complete}
    where = f"{name} on {label}"
    assert set(recorder.final_worlds) == brute.final_worlds, f"{where}: different final worlds"
    assert set(recorder.final_states) == brute.final_states, (
        f"{where}: different final states (actors' results included)"
    )
    assert values == brute_values, f"{where}: values of single variables differ"
    assert keys <= brute.keys, f"{where}: an execution that brute force does not have"
    blocked = result.coverage.cut_by(SLEEP_SET_BLOCKED)
    if search.every_trace:
        missing = len(brute.keys - keys)
        assert keys == brute.keys, f"{where}: {missing} of {brute.traces} Mazurkiewicz traces never explored"
        assert result.executions - blocked == len(complete), (
            f"{where}: {result.executions - len(complete)} executions cut short, "
            f"but sleep_blocked says {blocked}"
        )
    assert result.executions - blocked <= brute.executions
    STATS.append((name, label, sizes, brute.executions, brute.traces, len(complete), blocked))

    # verdicts: deadlock (actors not daemons), and "v never holds k"
    deadlock_brute = verdict(explore(program(), DepthFirst(state_caching=False)))
    deadlock_reduced = verdict(explore(program(), search.make()))
    assert deadlock_brute == ((VIOLATION, NO_DEADLOCK) if brute.deadlocks else (PASS, None))
    assert deadlock_reduced == deadlock_brute, f"{where}: deadlock verdict differs"
    name, value = watch
    resource = var(name) if hasattr(program().make_world(), "holders") else name
    never = [always(f"{name}-never-{value}", on_state(lambda world: world.vars.get(name) != value, reads={resource}))]
    brute_never = verdict(explore(as_daemons(program()), DepthFirst(state_caching=False), never))
    reduced_never = verdict(explore(as_daemons(program()), search.make(), never))
    assert reduced_never == brute_never, f"{where}: verdict of {name} never {value} differs"
    assert (brute_never[0] == VIOLATION) == any(k in ((var(name), value), (name, value)) for k in brute_values)


# -- random programs --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEARCHES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=program_specs(), watch=st.tuples(st.sampled_from(VARIABLES), st.integers(0, 3)))
def test_a_reduced_search_agrees_with_brute_force_on_random_programs(name, spec: ProgramSpec, watch):
    check_against_brute_force(name, repr(spec), lambda: build(spec), spec.sizes(), watch)


# -- hand-written programs ----------------------------------------------------------------

TOYS = {
    "racy counter, 2 actors": (lambda: racy_counter(2), (2, 2), ("counter", 1)),
    "racy counter, 3 actors": (lambda: racy_counter(3), (2, 2, 2), ("counter", 2)),
    "racy counter, 2 actors x 2 rounds": (lambda: racy_counter(2, rounds=2), (4, 4), ("counter", 2)),
    "locked counter, 2 actors x 2 rounds": (lambda: locked_counter(2, rounds=2), (8, 8), ("counter", 3)),
    "locked counter, 3 actors": (lambda: locked_counter(3), (4, 4, 4), ("counter", 2)),
    "bank account": (lambda: bank_account(locked=False), (2, 2), ("balance", 110)),
    "locked bank account": (lambda: bank_account(locked=True), (4, 4), ("balance", 110)),
    "spender and depositor": (spender_and_depositor, (2, 2), ("balance", 60)),
    "independent actors": (lambda: independent_program((2, 2, 1)), (2, 2, 1), ("x0", 2)),
    "opposite locks": (opposite_locks, (4, 4), ("x", 0)),
    "daemon on a closed gate": (lambda: waiter_on_closed_gate(daemon=True), (2, 1), ("x", 1)),
}


@pytest.mark.parametrize("name", sorted(SEARCHES))
@pytest.mark.parametrize("toy", sorted(TOYS))
def test_a_reduced_search_agrees_with_brute_force_on_hand_written_programs(name, toy):
    make, sizes, watch = TOYS[toy]
    check_against_brute_force(name, toy, make, sizes, watch)


def test_recording_the_runs_does_not_change_the_search():
    program = build(ProgramSpec(((Write("x", 1, False), Read("y")), (Read("x"), Write("y", 2, True)))))
    plain = explore(program, Dpor())
    recorder = Recording()
    recorded = explore(program, Dpor(), on_run=recorder)
    assert recorded.coverage == plain.coverage and recorded.verdict is plain.verdict
    assert len(recorder.runs) == recorded.executions == plain.executions
    assert all(s.footprint is not None for steps in recorder.executions for s in steps)


# -- the summary ----------------------------------------------------------------------------


def test_summary_of_reduced_executions_per_mazurkiewicz_trace():
    """The soundness tests' numbers, printed as a table (pytest -s shows it), and what
    the table claims, asserted: every search that explores every trace ran at least one
    complete execution per trace (ratio >= 1), no reduced search ran more complete
    executions than brute force, and the reductions did reduce somewhere."""
    if not STATS:
        pytest.skip("no soundness test ran in this session")
    lines = ["", f"{'search':28} {'sizes':12} {'brute':>6} {'traces':>6} {'reduced':>7} {'sleep':>5} {'ratio':>6}"]
    for name in sorted({s[0] for s in STATS}):
        rows = [s for s in STATS if s[0] == name]
        ratios = [reduced / traces for _, _, _, _, traces, reduced, _ in rows]
        largest = sorted(rows, key=lambda s: (-s[4], -s[3]))[:5]  # the most traces
        for _, label, sizes, brute, traces, reduced, blocked in largest:
            lines.append(
                f"{name:28} {str(sizes):12} {brute:6} {traces:6} {reduced:7} {blocked:5} {reduced / traces:6.2f}"
            )
        lines.append(
            f"{name:28} {len(rows)} programs: reduced/traces mean {sum(ratios) / len(ratios):.3f}, "
            f"max {max(ratios):.2f}; {sum(r[5] for r in rows)} reduced vs {sum(r[3] for r in rows)} brute-force "
            f"executions for {sum(r[4] for r in rows)} traces, {sum(r[6] for r in rows)} sleep-set-blocked"
        )
        assert all(reduced <= brute for _, _, _, brute, _, reduced, _ in rows), name
        if SEARCHES[name].every_trace:
            assert min(ratios) >= 1, f"{name} missed a trace"
        assert sum(r[5] for r in rows) < sum(r[3] for r in rows), f"{name} reduced nothing"
    print("\n".join(lines))
