"""Checkpoints (scheduler.checkpoint): a search stopped after k executions, saved to a file
and resumed with a fresh strategy ends exactly as the uninterrupted search does (the
expected result is that search's own, run here without checkpoints): verdict, executions,
complete and cut counts, steps, restored steps, states, transitions, reached properties
and the counterexample, step by step. For DFS with and without state caching and
restoring, DPOR (source, FG05, optimal), BFS and a sampler; on passing and violating
programs, toys, classics and retry-after-cancel; resumed twice; resumed in a fresh
process with another PYTHONHASHSEED; and without the saved history interner it goes
wrong, which shows that the interner is what gives the saved state keys their meaning.
Damaged files, files of another version and states of another strategy are refused."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
import unpack_race
from toy_world import locked_counter, racy_counter
from unpack_race.scenarios.registry import scenario_of
from unpack_race.scheduler import checkpoint
from unpack_race.scheduler.checkpoint import CheckpointError, Checkpointing
from unpack_race.scheduler.explore import Budget, Interrupted, Result, explore
from unpack_race.scheduler.kernel import HistoryInterner
from unpack_race.scheduler.properties import at_end
from unpack_race.scheduler.strategies.registry import REGISTRY

#: the folder this process imports unpack_race from (not resolved: it may be a symbolic link)
PACKAGE_PARENT = Path(unpack_race.__file__).parent.parent


def scenario(name: str, variant: str | None, **params):
    sc = scenario_of(name)
    built = sc.build(sc.choose_variant(variant), sc.resolve(params))
    return built.program, built.properties


PROGRAMS = {
    "racy counter (violating)": lambda: (racy_counter(3), [_counter_never(1)]),
    "locked counter (passing)": lambda: (locked_counter(2, rounds=2), [_counter_never(3)]),
    "lastzero (passing)": lambda: scenario("lastzero", None),
    "reorder-3-bad (violating)": lambda: scenario("reorder-3-bad", None),
    "retry-after-cancel stat-early-return (violating)": lambda: scenario(
        "retry-after-cancel", "stat-early-return", **{"gc-policy": "any"}),
    "retry-after-cancel prepare-with-lease (passing)": lambda: scenario(
        "retry-after-cancel", "prepare-with-lease", **{"gc-policy": "any"}),
}

STRATEGIES = {
    "dfs": ("dfs", {}),
    "dfs replaying": ("dfs", {"restore": False}),
    "dfs without state caching": ("dfs", {"state_caching": False}),
    "dfs with sleep sets": ("dfs", {"sleep_sets": True}),
    "dpor source": ("dpor", {}),
    "dpor fg05 replaying": ("dpor", {"reduction": "fg05", "restore": False}),
    "dpor optimal": ("dpor", {"reduction": "optimal"}),
    "bfs": ("bfs", {}),
    "pct": ("pct", {"runs": 40, "seed": 7}),
}


def _counter_never(total: int):
    """Violated late in the search by the racy counter: every actor reads before any writes."""
    return at_end("counter-never", lambda end: end.world.vars["counter"] != total)


def fresh(strategy: str):
    name, options = STRATEGIES[strategy]
    return REGISTRY[name].create(**options)


def summary(result: Result) -> dict:
    """Everything a resumed search must agree on (not the seconds)."""
    c = result.coverage
    return {
        "verdict": result.verdict, "executions": c.executions, "complete": c.complete, "cut": dict(c.cut),
        "steps": c.steps, "restored": c.restored, "states": c.states, "transitions": c.transitions,
        "finished": c.finished, "reached": result.reached, "unreached": result.unreached,
        "found_in": result.found_in, "violation": None if result.violation is None else result.violation.property,
        "counterexample": [(s.actor, repr(s.effect), repr(s.result), repr(s.error)) for s in result.counterexample],
    }


def stopped_after(program, properties, strategy: str, k: int, tmp_path: Path, resume=None) -> checkpoint.SearchState:
    """Run until the k-th execution (of this process) has ended, Ctrl-C there (from
    `on_run`), and return the state saved then, through a file."""
    runs = 0

    def on_run(run) -> None:
        nonlocal runs
        runs += 1
        if runs == k:
            raise KeyboardInterrupt

    target = tmp_path / f"{strategy}-{k}.ckpt"
    saving = Checkpointing(lambda state: checkpoint.write(target, {"what": "test"}, state), every=1e9)
    with pytest.raises(Interrupted):
        explore(program, fresh(strategy), properties, on_run=on_run, checkpoint=saving, resume=resume)
    return checkpoint.read(target)[1]


def resumed(program, properties, strategy: str, state) -> Result:
    return explore(program, fresh(strategy), properties, resume=state)


#: every program under every strategy, but for every interleaving of retry-after-cancel
#: (too many for a test), DPOR on its passing variant (a minute a case: DPOR is weak on
#: this model; its violating variant has it) and PCT on the racy counter (it finds the
#: lost update at once)
CASES = [(p, s) for p in PROGRAMS for s in STRATEGIES
         if not (s == "dfs without state caching" and p.startswith("retry-after-cancel"))
         and not (s.startswith("dpor") and p.startswith("retry-after-cancel prepare"))
         and not (s == "pct" and p.startswith("racy counter"))]


@pytest.mark.parametrize(("program_name", "strategy"), CASES, ids=[f"{p}-{s}" for p, s in CASES])
def test_a_search_stopped_after_k_executions_and_resumed_ends_as_the_uninterrupted_search(
        program_name, strategy, tmp_path):
    program, properties = PROGRAMS[program_name]()
    whole = explore(program, fresh(strategy), properties)
    n = whole.executions
    assert n >= 3, "a program too small to stop in the middle"
    for k in sorted({1, n // 2, n - 1}):
        program, properties = PROGRAMS[program_name]()  # a fresh program too
        state = stopped_after(program, properties, strategy, k, tmp_path)
        assert state.executions == k
        assert summary(resumed(program, properties, strategy, state)) == summary(whole), (program_name, k)


@pytest.mark.parametrize("strategy", ["dfs", "dpor source", "dfs replaying"])
def test_a_resumed_search_stopped_again_and_resumed_again_ends_as_the_uninterrupted_search(strategy, tmp_path):
    make = PROGRAMS["retry-after-cancel stat-early-return (violating)"]
    program, properties = make()
    whole = explore(program, fresh(strategy), properties)
    first = stopped_after(program, properties, strategy, 5, tmp_path)
    second = stopped_after(program, properties, strategy, whole.executions // 2, tmp_path, resume=first)
    assert second.executions == 5 + whole.executions // 2
    assert summary(resumed(*make(), strategy, second)) == summary(whole)


def test_a_budget_that_stops_a_search_saves_its_state_there_and_the_resumed_search_ends_as_the_whole(tmp_path):
    program, properties = PROGRAMS["lastzero (passing)"]()
    whole = explore(program, fresh("dfs"), properties)
    saved = []
    part = explore(program, fresh("dfs"), properties, budget=Budget(max_executions=30),
                   checkpoint=Checkpointing(saved.append, every=1e9))
    assert part.executions == 30 and saved[-1].executions == 30
    assert summary(resumed(program, properties, "dfs", saved[-1])) == summary(whole)


def test_a_stop_request_saves_the_state_at_the_next_boundary_and_stops_as_on_ctrl_c():
    program, properties = PROGRAMS["lastzero (passing)"]()
    whole = explore(program, fresh("dpor source"), properties)
    saved, runs = [], []
    with pytest.raises(Interrupted) as stopped:
        explore(program, fresh("dpor source"), properties, on_run=runs.append,
                checkpoint=Checkpointing(saved.append, every=1e9, stop=lambda: len(runs) >= 4))
    assert stopped.value.partial.executions == 4 and [s.executions for s in saved] == [4]
    assert summary(resumed(program, properties, "dpor source", saved[0])) == summary(whole)


def test_without_its_history_interner_a_saved_visited_set_means_nothing(tmp_path):
    # the state keys hold interned history ids: a fresh interner numbers the histories
    # afresh, so the saved keys no longer name the states they were made for
    program, properties = PROGRAMS["retry-after-cancel prepare-with-lease (passing)"]()
    whole = explore(program, fresh("dfs replaying"), properties)
    state = stopped_after(program, properties, "dfs replaying", whole.executions // 2, tmp_path)
    assert summary(resumed(program, properties, "dfs replaying", state)) == summary(whole)
    wrong = resumed(program, properties, "dfs replaying", attrs.evolve(state, interner=HistoryInterner()))
    assert summary(wrong) != summary(whole)


def stable(value):
    """`value` as plain lists, every set sorted and every attrs value opened: the same
    under every hash seed."""
    if attrs.has(type(value)):
        return [type(value).__name__] + [[f.name, stable(getattr(value, f.name))] for f in attrs.fields(type(value))]
    if isinstance(value, (set, frozenset)):
        return sorted((stable(v) for v in value), key=repr)
    if isinstance(value, dict):
        return sorted(([stable(k), stable(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (tuple, list)):
        return [stable(v) for v in value]
    return value


def result_text(result) -> str:
    """A step's result as text the same under every hash seed (a frozenset's repr follows it)."""
    return repr(stable(result))


RESUME_IN_A_CHILD = "import attrs\n" + inspect.getsource(stable) + \
    inspect.getsource(result_text) + """
import json, sys
from unpack_race.scenarios.registry import scenario_of
from unpack_race.scheduler import checkpoint
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.strategies.registry import REGISTRY
sc = scenario_of("retry-after-cancel")
built = sc.build("stat-early-return", sc.resolve({"gc-policy": "any"}))
state = checkpoint.read(sys.argv[1])[1]
r = explore(built.program, REGISTRY[sys.argv[2]].create(**json.loads(sys.argv[3])), built.properties, resume=state)
c = r.coverage
print(json.dumps([str(r.verdict), c.executions, c.complete, dict(c.cut), c.steps, c.restored, c.states,
                  list(r.reached), [(s.actor, result_text(s.effect), result_text(s.result)) for s in r.counterexample]]))
"""


@pytest.mark.parametrize("strategy", ["dfs", "dpor source"])
def test_a_checkpoint_resumes_in_a_fresh_process_with_another_hash_seed_to_the_same_result(strategy, tmp_path):
    program, properties = PROGRAMS["retry-after-cancel stat-early-return (violating)"]()
    whole = explore(program, fresh(strategy), properties)
    stopped_after(program, properties, strategy, whole.executions // 2, tmp_path)
    name, options = STRATEGIES[strategy]
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed,
                   PYTHONPATH=os.pathsep.join([str(PACKAGE_PARENT), os.environ.get("PYTHONPATH", "")]))
        out = subprocess.run([sys.executable, "-c", RESUME_IN_A_CHILD, str(tmp_path / f"{strategy}-{whole.executions // 2}.ckpt"),
                              name, json.dumps(options)], env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        c = whole.coverage
        expected = [str(whole.verdict), c.executions, c.complete, dict(c.cut), c.steps, c.restored, c.states,
                    list(whole.reached), [(s.actor, result_text(s.effect), result_text(s.result)) for s in whole.counterexample]]
        assert json.loads(out.stdout) == json.loads(json.dumps(expected))


def test_a_damaged_truncated_foreign_or_missing_checkpoint_is_refused_in_one_line_before_unpickling(tmp_path):
    program, properties = PROGRAMS["lastzero (passing)"]()
    state = stopped_after(program, properties, "dfs", 3, tmp_path)
    good = tmp_path / "good.ckpt"
    checkpoint.write(good, {"scenario": "lastzero"}, state)
    data = good.read_bytes()
    cases = {
        "truncated": data[:-10],
        "damaged": data[:-5] + bytes([data[-5] ^ 0xFF]) + data[-4:],
        "not a checkpoint": b'{"format": "unpack-race.schedule", "version": 1}\n',
        "not even json": b"\x80\x04garbage",
        "another version": data.replace(b'"version": 1', b'"version": 99', 1),
    }
    said = {"truncated": "truncated or damaged", "damaged": "truncated or damaged",
            "not a checkpoint": "not an unpack-race checkpoint", "not even json": "not an unpack-race checkpoint",
            "another version": "version-99 checkpoint"}
    for what, content in cases.items():
        bad = tmp_path / f"{what}.ckpt"
        bad.write_bytes(content)
        with pytest.raises(CheckpointError) as refused:
            checkpoint.read(bad)
        message = str(refused.value)
        assert said[what] in message and str(bad) in message and "\n" not in message, (what, message)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        checkpoint.read(tmp_path / "absent.ckpt")
    assert checkpoint.read(good)[0]["scenario"] == "lastzero"


def test_a_state_of_one_strategy_is_refused_by_another():
    program, properties = PROGRAMS["lastzero (passing)"]()
    saved = []
    explore(program, fresh("dfs"), properties, budget=Budget(max_executions=3),
            checkpoint=Checkpointing(saved.append, every=1e9))
    with pytest.raises(CheckpointError, match="DepthFirst search, not a Dpor one"):
        explore(program, fresh("dpor source"), properties, resume=saved[-1])


def test_the_header_names_the_first_setting_that_differs():
    header = {"scenario": "lastzero", "variant": "as-written", "params": {"n": 3}, "strategy": "dfs"}
    assert checkpoint.mismatch(header, dict(header)) is None
    differs = checkpoint.mismatch(header, {**header, "params": {"n": 4}, "strategy": "dpor"})
    assert differs == 'params: the checkpoint has {"n": 3}, this search has {"n": 4}'
