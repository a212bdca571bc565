"""The GC as an actor: the goroutine of plugins/gc/scheduler.go `run`, which collects
(DB.GarbageCollect, then each dirty snapshotter's backend cleanup) whenever its tick
finds a collection due.

Under gc-policy `scheduler` it loops as `run` does: a collection is enabled only while
one is due (model/gc_scheduler.py), so it recurs as often as deletions, ScheduleAndWait
calls and the mutation threshold make one due, and no more. Each collection but a
daemon's first needs one of those since the collection before it, so a run of finitely
many steps has finitely many collections: no bound is needed, and none is imposed.
Under the `any` and `dirty` abstractions it collects at most `runs` times (`any` could
collect forever).
"""

from __future__ import annotations

from unpack_race.model.gc import SCHEDULER, BackendCleanup, GcCollect
from unpack_race.model.unpacker import Steps


def garbage_collector(runs: int, policy: str, backend_cleanup: bool = False) -> Steps:
    """`runs` bounds the collections under gc-policy any and dirty; under scheduler it is
    not used."""
    collections = 0
    while policy == SCHEDULER or collections < runs:
        yield GcCollect(policy)
        if backend_cleanup:
            yield BackendCleanup()
        collections += 1
