"""The GC as an actor: the scheduler (plugins/gc/scheduler.go) fires collections at
moments the model leaves to the search, up to `runs` times."""

from __future__ import annotations

from unpack_race.model.gc import BackendCleanup, GcCollect
from unpack_race.model.unpacker import Steps


def garbage_collector(runs: int, policy: str, backend_cleanup: bool = False) -> Steps:
    for _ in range(runs):
        yield GcCollect(policy)
        if backend_cleanup:
            yield BackendCleanup()
