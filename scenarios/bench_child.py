"""One search of the bench in a process of its own, for its peak memory (peak RSS).

A process's peak resident set only grows, so the bench's own process cannot say what one
search needed: each exhaustive search the bench measures runs here instead, as

    python -m unpack_race.scenarios.commands.bench_child '{"scenario": ..., "variant": ..., ...}'

(`measure` in the bench's process starts it and reads its answer; `run_job` is what the
child does). The child imports the
package, builds the scenario's program, reads its peak RSS so far (the *baseline*: the
interpreter with the program built), runs the search, reads the peak again, and prints
one JSON line: the search's counts, wall and CPU seconds, and both peaks in bytes.

The peak is the kernel's high-water mark of the resident set, VmHWM in /proc/self/status
(Linux, proc(5)). Elsewhere it falls back to getrusage's ru_maxrss (bytes on macOS,
KiB on the other Unixes), and where neither exists (Windows) the peaks are null and
`rss_source` says why. A parallel search's peak is its coordinator's only: the workers
are processes of their own.

The job's keys: scenario, variant, params (the scenario's parameters), strategy, options
(the strategy's), seconds (the search's budget), properties (check the scenario's
properties, else none), whole (every actor a daemon: deadlocks are final states, as the
bench's reduction counts), and for the parallel breadth-first search workers (a number)
or dask (a LocalCluster of `workers`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STATUS = Path("/proc/self/status")
#: the module the child runs (it prints the answer: a command's module)
CHILD = "unpack_race.scenarios.commands.bench_child"


def peak_rss() -> tuple[int | None, str]:
    """This process's peak resident set in bytes so far, and where it was read."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024, "VmHWM in /proc/self/status"
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None, "not measured: no /proc/self/status and no resource module on this platform"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        return peak, "ru_maxrss of getrusage (bytes)"
    return peak * 1024, "ru_maxrss of getrusage (KiB)"


def run_job(job: Mapping[str, Any]) -> dict[str, Any]:
    """The child's work: build, read the baseline, search, read the peak; the answer."""
    from unpack_race.scenarios.registry import SCENARIOS
    from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED
    from unpack_race.scheduler.explore import Budget
    from unpack_race.scheduler.strategies.registry import search

    built = SCENARIOS[job["scenario"]].build(job["variant"], dict(job["params"]))
    program = built.program.all_daemons() if job.get("whole") else built.program
    properties = list(built.properties) if job.get("properties") else []
    budget = Budget(max_seconds=float(job["seconds"]))
    baseline, source = peak_rss()
    cpu, wall = time.process_time(), time.monotonic()
    if job.get("workers") is not None:
        from unpack_race.scenarios.api.parallel import ScenarioBuild, backend_for
        from unpack_race.scheduler.parallel_search import parallel_bfs

        backend = backend_for("bfs", int(job["workers"]), "local" if job.get("dask") else None)
        rebuild = ScenarioBuild(job["scenario"], job["variant"], job["params"])
        result = parallel_bfs(program, properties, backend, build=rebuild, bounds=built.bounds, budget=budget)
    else:
        result = search(job["strategy"], program, properties, bounds=built.bounds, budget=budget,
                        **dict(job.get("options", {})))
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    peak, _ = peak_rss()
    per_transition = result.coverage.steps_per_transition
    return {
        "verdict": result.verdict.value, "executions": result.executions, "complete": result.coverage.complete,
        "sleep_blocked": result.coverage.cut_by(SLEEP_SET_BLOCKED), "states": result.states,
        "steps": result.steps, "elapsed": result.elapsed, "wall_seconds": wall, "cpu_seconds": cpu,
        "steps_per_transition": None if per_transition is None else round(per_transition, 3),
        "counterexample": [[s.actor, repr(s.effect)] for s in result.counterexample],
        "preemptions": result.preemptions,
        "baseline_rss": baseline, "peak_rss": peak, "rss_source": source,
    }


class ChildError(RuntimeError):
    """The child search failed: what it was asked and the end of what it wrote."""


def measure(job: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run `job` (see the module docstring) in a child process and return its answer; the
    child inherits this interpreter and its environment (PYTHONPATH, PYTHONHASHSEED).
    ChildError when it exits with an error, prints no answer, or outlives `timeout`."""
    command = [sys.executable, "-m", CHILD, json.dumps(dict(job))]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as late:
        raise ChildError(f"the bench's child search {json.dumps(dict(job))} ran past {timeout:g} s and was "
                         f"stopped; give the bench a smaller --seconds, or look at what hangs") from late
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise ChildError(f"the bench's child search {json.dumps(dict(job))} exited with {done.returncode} and "
                         f"{'no answer' if not lines else 'an error'}; its last words:\n{tail}\n"
                         f"run `{sys.executable} -m {CHILD} '<the job>'` to see it whole")
    return json.loads(lines[-1])
