"""gc.ScheduleAndWait (plugins/gc/scheduler.go L187 at 301026e58), as a synchronous delete
calls it: the images service's Delete with Sync (plugins/services/images/local.go, which CRI
RemoveImage reaches through images.SynchronousDelete()) and the lease manager's Delete with
leases.SynchronousDelete (plugins/leases/local.go). It sends the GC scheduler a manual
trigger, which schedules a collection after `schedule_delay` (0 by default) whatever the
deletion and mutation counts, and waits for that collection to finish.

Until the GC scheduler is an actor of its own (model/collector.py; containerd-semantics
§4.4), the collection runs as the caller's own step right after its delete: the same order
as Go (the delete's transaction, then a collection, then the call returns), with every
other actor free to move in between, as it is while the scheduler's goroutine wakes up.
This function is the one place to swap for the scheduler's ScheduleAndWait.
"""

from __future__ import annotations

from unpack_race.model.gc import GcCollect
from unpack_race.model.unpacker import Steps


def schedule_and_wait() -> Steps:
    """Run the collection a manual trigger asks for, and return when it is done."""
    yield GcCollect("any")  # a manual trigger collects whether or not the db is dirty
