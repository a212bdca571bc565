"""PCT, POS and the Hypothesis search give byte-identical runs in two processes with
different PYTHONHASHSEED values (the program has an effect whose argument is a frozenset
of strings, so any iteration over it that leaked into choices would show)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import unpack_race

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# the children import unpack_race from where this process does (a worktree's, not the installed one)
PACKAGE_PARENT = Path(unpack_race.__file__).parent.parent

PROGRAM = textwrap.dedent(
    """
    import sys
    from unpack_race.scheduler.explore import explore
    from unpack_race.scheduler.properties import always, at_end, on_step
    from unpack_race.scheduler.strategies.hypothesis_search import hypothesis_search
    from unpack_race.scheduler.strategies.pct import PCT
    from unpack_race.scheduler.strategies.pos import POS
    from unpack_race.reports.claims import claim
    from toy_world import Recording, audited_bank

    print(list(frozenset({"alice", "bob", "carol", "dave"})), file=sys.stderr)

    for strategy in (PCT(runs=15, seed=11, depth=3), POS(runs=15, seed=11)):
        recording = Recording()
        result = explore(audited_bank(), strategy, on_run=recording)
        for number, steps in enumerate(recording.executions):
            print(f"{strategy.facts().algorithm}, seed {strategy.seed}: execution {number}")
            for step in steps:
                print(f"  {step.index:>2} {step.narrate()}")
        print(result.verdict, claim(result))

    seen = []
    def record(step):
        seen.append(step.narrate())
        return True
    alice_keeps_every_deposit = at_end("alice-keeps-every-deposit", lambda end: end.world.vars["alice"] == 18)
    result = hypothesis_search(audited_bank(), [always("record", on_step(record)), alice_keeps_every_deposit], runs=30, seed=11)
    print(len(seen), *seen, sep="\\n")
    print(result.verdict, result.executions, result.steps, claim(result))
    for step in result.counterexample:
        print(f"  {step.index:>2} {step.narrate()}")
    """
)


def run_python(code: str, hash_seed: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = hash_seed
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_PARENT), str(REPO), str(HERE)])
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_pct_pos_and_the_hypothesis_search_print_identical_runs_under_different_hash_seeds():
    # The second process also loads many more modules of the project: Hypothesis mixes
    # constants from loaded source into some draws, which must not change the runs.
    more_modules = "import unpack_race.scenarios.registry, unpack_race.scenarios.cli, unpack_race.reports\n"
    first, second = run_python(PROGRAM, "0"), run_python(more_modules + PROGRAM, "12345")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout
    assert "PCT depth 3, seed 11: execution 14" in first.stdout
    assert "POS, seed 11: execution 14" in first.stdout
    assert "runs of Hypothesis-drawn choices, seed 11" in first.stdout
    assert "Audit(accounts=['alice', 'bob', 'carol', 'dave'])" in first.stdout
    assert first.stderr != second.stderr  # the hash seeds really changed set order
