"""The bench's child search as a command: `python -m unpack_race.scenarios.commands.bench_child JOB`
runs one search of the bench in a process of its own (scenarios/bench_child.py says what
it measures and what JOB holds) and prints its answer, one JSON line, for the bench that
started it. It ends itself when that bench has gone."""

from __future__ import annotations

import json
import os
import sys
import time

from unpack_race.scenarios.bench_child import run_job


def _orphaned_ends(parent: int) -> None:
    """End this process when its parent has gone (a bench killed outright leaves no
    search running on): checked twice a second, on a daemon thread."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, daemon=True, name="bench-child-orphan-watch").start()


def main(argv: list[str]) -> int:
    _orphaned_ends(os.getppid())
    if len(argv) != 1:
        print("usage: python -m unpack_race.scenarios.commands.bench_child JOB (one JSON object; "
              "see the docstring of unpack_race/scenarios/bench_child.py)", file=sys.stderr)
        return 2
    print(json.dumps(run_job(json.loads(argv[0]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
