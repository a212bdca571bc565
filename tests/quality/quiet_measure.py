"""One exhaustive search, timed, printed as one JSON line: a hand-run script for the
measurements in docs/engine.md (not a test). Run each measurement in its own process, so
that no memo of an earlier search (the GC re-check's, for one) makes a later one look
faster, and alternate the things compared:

    python3 tests/quality/quiet_measure.py retry-after-cancel prepare-with-lease \\
        '{"layers": 5, "gc-runs": 3, "gc-policy": "any"}' dfs '{"restore": false}'
    python3 tests/quality/quiet_measure.py lastzero as-written '{"n": 10}' dpor '{"reduction": "optimal"}'

It prints the CPU seconds of the search alone (`time.process_time` around
`registry.search`, the program's build excluded), the verdict, executions, distinct
states, steps applied and restored, steps per distinct transition where the strategy
counts transitions, sleep-set-blocked executions and the process's peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED
from unpack_race.scheduler.strategies.registry import search


def main(name: str, variant: str, params: str, strategy: str, options: str) -> None:
    built = scenario(name).build(variant, json.loads(params))
    started = time.process_time()
    result = search(strategy, built.program, built.properties, bounds=built.bounds, **json.loads(options))
    cpu = time.process_time() - started
    coverage = result.coverage
    per_transition = coverage.steps_per_transition
    per_transition = per_transition() if callable(per_transition) else per_transition
    print(json.dumps({
        "cpu": round(cpu, 3), "verdict": str(result.verdict), "executions": result.executions,
        "states": coverage.facts.states, "steps": result.steps, "restored": coverage.restored,
        "steps_per_transition": None if per_transition is None else round(per_transition, 3),
        "sleep_set_blocked": coverage.cut_by(SLEEP_SET_BLOCKED),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit("usage: quiet_measure.py SCENARIO VARIANT PARAMS_JSON STRATEGY OPTIONS_JSON")
    main(*sys.argv[1:])
