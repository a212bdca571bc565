"""A lease pruner: another client that deletes a lease an in-flight pull still works under
(moby #53321, open: with the containerd image store, `docker image prune` deletes every
lease labelled moby/prune.images, in-flight pulls' included, the last with
SynchronousDelete; `ctr leases rm --sync` does the same to any lease it is given).

It deletes the lease through the lease service with leases.SynchronousDelete:
plugins/leases/local.go `(*local).Delete` (as of d7f83034c) calls the metadata lease
manager's Delete (core/metadata/leases.go L105: one write transaction that drops the
lease bucket, db.dirty++, and no check of who works under it), and only if that
succeeds, `gc.ScheduleAndWait` (plugins/gc/scheduler.go L187): a collection now, before
Delete returns. The model takes the collection as the pruner's next step (a GC that
runs for the pruner, under the database write lock as every collection does), so
other steps can fall between the delete and it, as they can between the two calls.
"""

from __future__ import annotations

from unpack_race.model.errdefs import NotFound
from unpack_race.model.gc import GcCollect
from unpack_race.model.leases import DeleteLease
from unpack_race.model.unpacker import Steps


def prune_lease(lease: str, synchronous: bool = True) -> Steps:
    """Delete `lease` (listed earlier by the pruner); with `synchronous`, wait for the
    collection it schedules. A lease already gone is the error Delete returns, and
    nothing is collected."""
    try:
        yield DeleteLease(lease)
    except NotFound:
        return
    if synchronous:
        yield GcCollect()
