"""A lease pruner: another client that deletes a lease an in-flight pull still works under
(moby #53321, open: with the containerd image store, `docker image prune` deletes every
lease labelled moby/prune.images, in-flight pulls' included, the last with
SynchronousDelete; `ctr leases rm --sync` does the same to any lease it is given).

It deletes the lease through the lease service with leases.SynchronousDelete:
plugins/leases/local.go `(*local).Delete` (as of d7f83034c) calls the metadata lease
manager's Delete (core/metadata/leases.go L105: one write transaction that drops the
lease bucket, db.dirty++, and no check of who works under it), and only if that
succeeds, `gc.ScheduleAndWait` (plugins/gc/scheduler.go L187): a collection now, before
Delete returns (model/synchronous_gc.py: under gc-policy any, the pruner's next step, so
other steps can fall between the delete and it, as they can between the two calls).
"""

from __future__ import annotations

from unpack_race.model.errdefs import NotFound
from unpack_race.model.leases import DeleteLease
from unpack_race.model.synchronous_gc import schedule_and_wait
from unpack_race.model.unpacker import Steps


def prune_lease(lease: str, pruner: str, policy: str, synchronous: bool = True) -> Steps:
    """The actor `pruner` deletes `lease` (listed earlier); with `synchronous`, it waits
    for the collection that schedules under the GC policy `policy`. A lease already gone
    is the error Delete returns, and nothing is collected."""
    try:
        yield DeleteLease(lease)
    except NotFound:
        return
    if synchronous:
        yield from schedule_and_wait(pruner, policy)
