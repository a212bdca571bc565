"""gc.ScheduleAndWait (plugins/gc/scheduler.go L187 at 301026e58), as a synchronous delete
calls it: the images service's Delete with Sync (plugins/services/images/local.go, which CRI
RemoveImage reaches through images.SynchronousDelete()) and the lease manager's Delete with
leases.SynchronousDelete (plugins/leases/local.go). It sends the GC scheduler a manual
trigger, which schedules a collection after `schedule_delay` (0 by default) whatever the
deletion and mutation counts, and waits for that collection to finish.

Under gc-policy `scheduler` it is the GC scheduler's own (model/gc_scheduler.py): the
caller adds itself as a waiter and triggers, the `gc` actor runs the collection now due
whenever the search lets it, and the caller returns once a collection that started after
its call has run. Under the `any` and `dirty` abstractions there is no scheduler to
trigger (they count nothing, and their `gc` actor may have spent its runs), so the
collection runs as the caller's own step right after its delete: the same order as Go
(the delete's transaction, then a collection, then the call returns), with every other
actor free to move in between, as it is while the scheduler's goroutine wakes up.
"""

from __future__ import annotations

from unpack_race.model import gc_scheduler
from unpack_race.model.gc import SCHEDULER, GcCollect
from unpack_race.model.unpacker import Steps


def schedule_and_wait(waiter: str, policy: str) -> Steps:
    """Run the collection a manual trigger asks for, and return when it is done: `waiter`
    is the actor that waits, `policy` the GC policy of the run (model/gc.py)."""
    if policy == SCHEDULER:
        yield from gc_scheduler.schedule_and_wait(waiter)
    else:
        yield GcCollect("any")  # a manual trigger collects whether or not the db is dirty
