"""The parallel breadth-first search (scheduler/parallel_search.py) against the serial one
(scheduler/strategies/bfs.py): the same distinct states, verdict, `sometimes` properties
reached and counterexample, step for step, for 1, 2 and 3 worker processes and through
Dask on a LocalCluster; a partition that does not depend on PYTHONHASHSEED; a model that
raises surfacing as in the serial search; Ctrl-C; and the command line's refusals."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from toy_world import build, locked_counter, opposite_locks, program, program_specs, racy_counter
import unpack_race
from unpack_race.scenarios.cli import main
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.effect import Effect
from unpack_race.scheduler.explore import Budget, ModelFailure, explore
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.parallel_backends import DaskCluster, Processes
from unpack_race.scheduler.parallel_search import parallel_bfs
from unpack_race.scheduler.properties import always, on_state, sometimes
from unpack_race.scheduler.shared_memory import Read, Write
from unpack_race.scheduler.strategies.bfs import BreadthFirst
from unpack_race.scheduler.strategies.registry import OptionError
from unpack_race.scheduler.verdict import Verdict

HERE = Path(__file__).resolve().parent
PACKAGE_PARENT = Path(unpack_race.__file__).parent.parent

SCENARIOS = [
    ("lastzero", None, {"n": 3}),
    ("reorder-3-bad", None, {}),
    ("account-bad", None, {}),
    ("deadlock01-bad", None, {}),
    ("retry-after-cancel", "stat-early-return", {}),
    ("retry-after-cancel", "prepare-with-lease", {}),
    ("retry-after-cancel", "prepare-without-lease", {}),
    ("retry-after-cancel", "stat-early-return-no-lease", {"layers": 1}),
]


def view(result):
    """What must agree: verdict, states, the `sometimes` properties, the violation, the
    counterexample step for step (with outcomes), and where serial BFS met it."""
    steps = tuple((s.actor, s.effect, repr(s.result), repr(s.error)) for s in result.counterexample)
    return (result.verdict, result.states, result.reached, result.unreached, result.violation, steps,
            result.found_in if result.violation is not None else None)


def built_of(name, variant, params):
    sc = scenario(name)
    return sc.build(sc.choose_variant(variant), sc.resolve(params))


@pytest.mark.parametrize("name,variant,params", SCENARIOS, ids=lambda x: str(x))
def test_the_parallel_search_finds_what_serial_bfs_finds_with_any_number_of_workers(name, variant, params):
    built = built_of(name, variant, params)
    serial = explore(built.program, BreadthFirst(), built.properties)
    for workers in (1, 2, 3):
        parallel = parallel_bfs(built.program, built.properties, Processes(workers))
        assert view(parallel) == view(serial), (name, variant, workers)
        assert parallel.coverage.facts.algorithm.endswith(f"across {workers} worker{'s' if workers > 1 else ''} "
                                                          f"(processes)")


def test_the_scenarios_above_include_violations_and_passes():
    verdicts = {explore((b := built_of(*case)).program, BreadthFirst(), b.properties).verdict for case in SCENARIOS}
    assert {Verdict.PASS, Verdict.VIOLATION} <= verdicts


TOYS = {
    "racy counter, 3 actors": lambda: racy_counter(3),
    "locked counter, 2 x 2 rounds": lambda: locked_counter(2, rounds=2),
    "opposite locks (deadlock)": opposite_locks,
}


@pytest.mark.parametrize("name", TOYS)
def test_toys_agree_with_serial_bfs(name):
    prop = [always("counter-below-3", on_state(lambda world: world.vars.get("counter", 0) < 3)),
            sometimes("counter-reaches-1", on_state(lambda world: world.vars.get("counter", 0) == 1))]
    serial = explore(TOYS[name](), BreadthFirst(), prop)
    for workers in (1, 2):
        assert view(parallel_bfs(TOYS[name](), prop, Processes(workers))) == view(serial), (name, workers)


@settings(max_examples=25, deadline=None)
@given(spec=program_specs(max_total_steps=8))
def test_random_programs_agree_with_serial_bfs(spec):
    prop = [always("x-is-not-2", on_state(lambda world: world.vars["x"] != 2)),
            sometimes("y-is-1", on_state(lambda world: world.vars["y"] == 1))]
    serial = explore(build(spec, daemons=True), BreadthFirst(), prop)
    for workers in (1, 3):
        assert view(parallel_bfs(build(spec, daemons=True), prop, Processes(workers))) == view(serial)


# -- the model raises, or is not deterministic --------------------------------------------------


@attrs.frozen
class Boom(Effect):
    """An effect whose apply raises: a bug in the model."""

    def apply(self, world):
        raise ZeroDivisionError("the model divided by zero")


def exploding():
    def slow():
        yield Read("x")
        yield Write("x", 1)
        yield Boom()

    def other():
        yield Write("y", 1)
        yield Write("y", 2)

    return program("exploding", {"x": 0, "y": 0}, [("slow", slow), ("other", other)])


def test_a_model_that_raises_in_a_worker_raises_as_in_the_serial_search():
    with pytest.raises(ModelFailure) as serial:
        explore(exploding(), BreadthFirst())
    with pytest.raises(ModelFailure) as parallel:
        parallel_bfs(exploding(), [], Processes(2))
    assert str(parallel.value) == str(serial.value)
    assert [(s.actor, s.effect) for s in parallel.value.run.steps] == [(s.actor, s.effect) for s in serial.value.run.steps]
    assert parallel.value.failing == serial.value.failing
    assert parallel.value.execution == serial.value.execution


def test_a_nondeterministic_model_is_caught():
    instances = itertools.count()

    def wavering():
        yield Write("x", 1)
        yield Write("x" if next(instances) % 2 == 0 else "y", 2)
        yield Write("z", 1)

    def steady():
        yield Read("z")
        yield Read("z")

    with pytest.raises(Exception, match="not deterministic"):
        parallel_bfs(program("wavering", {"x": 0, "y": 0, "z": 0}, [("w", wavering), ("s", steady)]), [],
                     Processes(2))


# -- budget and Ctrl-C ---------------------------------------------------------------------------


def test_ctrl_c_stops_the_workers_and_raises_interrupted_with_the_result_so_far():
    built = built_of("retry-after-cancel", "prepare-with-lease", {})
    backend = Processes(2)
    levels = []

    def progress(p):
        levels.append(p.states)
        if len(levels) == 3:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as stop:
        parallel_bfs(built.program, built.properties, backend, progress=progress)
    partial = stop.value.partial
    assert partial.verdict is Verdict.INTERRUPTED and partial.states == levels[-1] > 0
    assert not partial.coverage.finished
    assert backend._processes == []  # stopped and joined


def test_a_budget_stops_between_levels():
    built = built_of("retry-after-cancel", "prepare-with-lease", {})
    result = parallel_bfs(built.program, built.properties, Processes(2), budget=Budget(max_executions=50))
    full = explore(built.program, BreadthFirst(), built.properties)
    assert result.verdict is Verdict.BUDGET and 0 < result.states < full.states


# -- the partition is the same in every process -----------------------------------------------

DIGESTS = textwrap.dedent(
    """
    import collections
    import hashlib
    from toy_world import Audit, program
    from unpack_race.scheduler.shared_memory import Read, Write

    ACCOUNTS = frozenset({"alice", "bob", "carol", "dave"})  # its iteration order follows the hash seed

    def depositor(account):
        def body():
            balance = yield Read(account)
            yield Write(account, balance + 1)
        return body

    def auditor():
        total = yield Audit(ACCOUNTS)
        yield Write("audit", total)

    def audited_bank():
        return program("small-audit", {a: 10 for a in sorted(ACCOUNTS)} | {"audit": 0},
                       [("bob", depositor("bob")), ("auditor", auditor), ("alice", depositor("alice"))])
    from unpack_race.scheduler.kernel import Execution
    from unpack_race.scheduler.state_digest import DigestInterner, owner_of, state_digest
    from unpack_race.scheduler.parallel_search import parallel_bfs
    from unpack_race.scheduler.parallel_backends import Processes
    from unpack_race.scheduler.explore import explore
    from unpack_race.scheduler.strategies.bfs import BreadthFirst

    interner = DigestInterner()
    frontier, seen, known = collections.deque([()]), [], set()
    while frontier:  # every state by brute force, breadth first
        path = frontier.popleft()
        execution = Execution(audited_bank(), interner)
        for actor in path:
            execution.step(actor)
        key = state_digest(execution, interner)
        if key not in known:
            known.add(key)
            seen.append(key)
            frontier.extend(path + (actor,) for actor in execution.runnable())
        execution.close()
    print(len(seen), hashlib.sha256(b"".join(seen)).hexdigest())
    print(sorted(set(owner_of(k, 3) for k in seen)))
    result = parallel_bfs(audited_bank(), [], Processes(3))
    serial = explore(audited_bank(), BreadthFirst())
    print(result.verdict, result.states == serial.states == len(seen))
    """
)


def test_digests_and_owners_do_not_depend_on_the_hash_seed():
    outputs = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed,
                   PYTHONPATH=os.pathsep.join([str(PACKAGE_PARENT), str(HERE)]))
        done = subprocess.run([sys.executable, "-c", DIGESTS], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert "\n[0, 1, 2]\n" in outputs[0]  # every owner owns states
    assert f"{Verdict.PASS} True" in outputs[0]


# -- through Dask ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


@pytest.mark.parametrize("case", [("lastzero", None, {"n": 3}), ("retry-after-cancel", "stat-early-return", {})],
                         ids=str)
def test_through_dask_the_result_is_serial_bfss(cluster, case):
    from unpack_race.scenarios.api.parallel import ScenarioBuild

    name, variant, params = case
    sc = scenario(name)
    variant = sc.choose_variant(variant)
    values = sc.resolve(params)
    built = sc.build(variant, values)
    serial = explore(built.program, BreadthFirst(), built.properties)
    backend = DaskCluster(cluster.scheduler_address)
    assert backend.n == 2
    parallel = parallel_bfs(built.program, built.properties, backend, build=ScenarioBuild(name, variant, values))
    assert view(parallel) == view(serial)
    assert f"across 2 workers (Dask at {cluster.scheduler_address})" in parallel.coverage.facts.algorithm


# -- the command line --------------------------------------------------------------------------


def test_the_command_line_runs_it_and_refuses_what_it_cannot(capsys):
    assert main(["check", "lastzero", "--n", "3", "--strategy", "bfs", "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "visited set partitioned by state hash across 2 workers (processes)" in out
    assert main(["check", "lastzero", "--strategy", "bfs", "--workers", "0"]) == 2
    assert "--workers must be at least 1, got 0" in capsys.readouterr().err
    assert main(["check", "lastzero", "--strategy", "dfs", "--workers", "2"]) == 2
    assert "--strategy dfs has no parallel form: use --strategy bfs" in capsys.readouterr().err
    assert main(["check", "lastzero", "--strategy", "pct", "--dask"]) == 2
    assert "--dask runs a breadth-first search" in capsys.readouterr().err


def test_an_unreachable_scheduler_is_a_teaching_error(capsys):
    with pytest.raises(OptionError, match=r"no Dask scheduler answered within 3 s"):
        DaskCluster("tcp://127.0.0.1:9")
    assert main(["check", "lastzero", "--strategy", "bfs", "--dask", "tcp://127.0.0.1:9"]) == 2
    assert "`dask scheduler`" in capsys.readouterr().err
