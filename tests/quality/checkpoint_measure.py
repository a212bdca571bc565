"""Checkpoints measured: a hand-run script for the numbers in docs/engine.md's checkpoint
section (not a test). For one exhaustive search it prints, as one JSON line, the CPU
seconds of the search without checkpoints and with one every `every` seconds (medians of
`repeats`, alternating, each search in this process after a warm-up run), the size of
the last checkpoint written, and the CPU time of writing one at the end of the search
(the strategy pickled and the file written, for the state one execution before the end:
the largest the search has), median of `repeats`, and of loading it again (the file read
and checked, the strategy unpickled):

    python3 tests/quality/checkpoint_measure.py retry-after-cancel prepare-with-lease \\
        '{"layers": 5, "gc-runs": 3, "gc-policy": "any"}' dfs '{}' 1 3
"""

from __future__ import annotations

import json
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import attrs

from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler import checkpoint
from unpack_race.scheduler.checkpoint import Checkpointing
from unpack_race.scheduler.explore import Budget
from unpack_race.scheduler.strategies.registry import search


def main(name: str, variant: str, params: str, strategy: str, options: str, every: str, repeats: str) -> None:
    built = scenario(name).build(variant, json.loads(params))
    options, every, repeats = json.loads(options), float(every), int(repeats)
    directory = Path(tempfile.mkdtemp(prefix="checkpoint-measure-"))
    target = directory / "search.ckpt"
    header = {"scenario": name, "variant": variant}
    states: list[checkpoint.SearchState] = []
    writes = [0]

    def save(state: checkpoint.SearchState) -> None:
        states[:] = [state]
        checkpoint.write(target, header, state)
        writes[0] += 1

    def run(saving: Checkpointing | None) -> float:
        started = time.process_time()
        search(strategy, built.program, built.properties, bounds=built.bounds, checkpoint=saving, **options)
        return time.process_time() - started

    run(None)  # warm-up: imports and memos
    plain, saved = [], []
    for _ in range(repeats):
        plain.append(run(None))
        writes[0] = 0
        saved.append(run(Checkpointing(save, every)))
    # the state one execution before the end (taken as a budget stops the search there)
    final: list[checkpoint.SearchState] = []
    whole = search(strategy, built.program, built.properties, bounds=built.bounds, **options)
    search(strategy, built.program, built.properties, bounds=built.bounds,
           budget=Budget(max_executions=whole.executions - 1),
           checkpoint=Checkpointing(lambda s: final.__setitem__(slice(None), [s]), 1e9), **options)
    write_cpu = []
    strategy_object = pickle.loads(final[0].strategy)
    for _ in range(repeats):  # as explore takes one: the strategy saved (pickled), then the file written
        started = time.process_time()
        state = attrs.evolve(final[0], strategy=strategy_object.save())
        size = checkpoint.write(target, header, state)
        write_cpu.append(time.process_time() - started)
    started = time.process_time()  # as --resume loads one: the file read and checked, the strategy unpickled
    pickle.loads(checkpoint.read(target)[1].strategy)
    read_cpu = time.process_time() - started
    print(json.dumps({
        "search_cpu_without": round(statistics.median(plain), 3),
        f"search_cpu_every_{every:g}s": round(statistics.median(saved), 3),
        "checkpoints_written_per_search": writes[0],
        "overhead": round(statistics.median(saved) / statistics.median(plain) - 1, 3),
        "last_checkpoint_bytes": size, "executions": final[0].executions,
        "write_cpu": round(statistics.median(write_cpu), 4), "read_cpu": round(read_cpu, 4),
    }))


if __name__ == "__main__":
    main(*sys.argv[1:])
