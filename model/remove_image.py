"""CRI RemoveImage (internal/cri/server/images/image_remove.go, CRIImageService.RemoveImage,
at 301026e58; pkg/cri/server/image_remove.go in v1.6.31 and v1.7.16 has the same loop).

CRI resolves the image in its own in-memory store (LocalResolve), then deletes every image
reference (tag, digest, ID), the last one with images.SynchronousDelete(): "Delete the last
image reference synchronously to trigger garbage collection". The images service
(plugins/services/images/local.go Delete) deletes the record and then, with Sync, calls
gc.ScheduleAndWait before it returns (model/synchronous_gc.py). A reference that is already
gone (NotFound) is no error to CRI (`err == nil || errdefs.IsNotFound(err)`: continue); the
service returns that error before ScheduleAndWait, so no collection follows it.

Modelling choices: the image has one reference, so its one delete is the synchronous one
(with more, the earlier deletes only remove roots the last delete also removes, and
nothing collects synchronously before it); CRI's own store update (imageStore.Update)
and the /images/delete event are left out, as nothing in the model reads them.
"""

from __future__ import annotations

from unpack_race.model.errdefs import NotFound
from unpack_race.model.images import DeleteImage
from unpack_race.model.synchronous_gc import schedule_and_wait
from unpack_race.model.unpacker import Steps


def remove_image(name: str, waiter: str, policy: str) -> Steps:
    """RemoveImage of the image named `name` by the actor `waiter`: delete its (last)
    reference, then wait for the collection the synchronous delete triggers (under the
    GC policy `policy`, model/synchronous_gc.py)."""
    try:
        yield DeleteImage(name)
    except NotFound:
        return  # someone else deleted it: CRI goes on, and nothing is collected
    yield from schedule_and_wait(waiter, policy)
