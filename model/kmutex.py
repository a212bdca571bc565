"""The duplication suppressor (internal/kmutex/kmutex.go; pkg/kmutex/kmutex.go in 1.6
and 1.7, the same code): a keyed mutex that CRI creates once per process and passes to
every pull (internal/cri/server/images/service.go), keyed `sn://<snapshotter>/<chainID>`
by the unpacker. It serialises work on one chain ID; it leases nothing, so it gives no
protection from GC.

Its Lock is golang.org/x/sync's semaphore.Weighted(1).Acquire(ctx, 1), and what that does
with a cancelled ctx depends on the x/sync a release vendors (`World.
acquire_checks_ctx_first`, model/releases.py):
- x/sync v0.7.0 and later (containerd 2.0.0-rc.1+, 1.7.25+, 1.6.39): Acquire checks
  `ctx.Done()` first and fails even when the key is free ("We prefer to fail even if we
  could acquire the mutex without blocking", `v2.0.0:vendor/golang.org/x/sync/semaphore/
  semaphore.go`);
- before it (v0.3.0 in 1.6.37, v0.5.0 in 1.7.23): a free key is taken whatever the ctx
  (`s.size-s.cur >= n && s.waiters.Len() == 0` comes first, `v1.6.37:vendor/...`); only a
  waiter selects on ctx.Done() and gets ctx.Err(), unless the key became free first
  ("pretend we didn't notice the cancelation").
Either way a waiter wakes on the cancellation; the model's Lock is one step, taken when
the key is free or the ctx is cancelled, so it leaves out the waiters' FIFO order (two
pulls never queue behind a third here).
"""

from __future__ import annotations

import attrs
from unpack_race.model.errdefs import Canceled
from unpack_race.model.world import World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


@attrs.frozen
class Lock(Effect):
    """kmutex.Lock(ctx, key) (keyMutex.Lock -> semaphore.Weighted.Acquire): blocks while
    another holder has the key; a cancelled ctx wakes it with `context canceled`. On a
    free key a cancelled ctx fails it too with x/sync v0.7.0+ (`World.
    acquire_checks_ctx_first`), and takes the key with the older x/sync of 1.6.38 and
    1.7.24 and before (see the module's docstring). On failure kmutex drops its refcount
    and returns the error as it is."""

    outcome_key = result_ignored  # no actor reads the result

    key: str
    pull: str

    def enabled(self, world: World) -> bool:
        return self.key not in world.locks or world.pulls[self.pull].cancelled

    def blocked_on(self, world: World) -> str:
        return f"{self.key} is held by {world.locks.get(self.key)}"

    def apply(self, world: World) -> str:
        free = self.key not in world.locks
        if world.pulls[self.pull].cancelled and (world.acquire_checks_ctx_first or not free):
            raise Canceled()
        world.locks[self.key] = self.pull
        return self.key

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(reads={f"pull/{self.pull}"}, writes={f"lock/{self.key}"})

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} gives up waiting for lock {self.key}: {error}"
        return f"{actor} takes lock {self.key}"


@attrs.frozen
class Unlock(Effect):
    """kmutex.Unlock(key): deferred by the unpacker when the layer's work returns."""

    outcome_key = result_ignored  # no actor reads the result

    key: str
    pull: str

    def apply(self, world: World) -> str:
        holder = world.locks.pop(self.key, None)
        if holder != self.pull:  # kmutex panics on unlock of unlocked
            raise RuntimeError(f"{self.pull} unlocks {self.key} held by {holder}")
        return self.key

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"lock/{self.key}"})

    def narrate(self, actor, result, error) -> str:
        return f"{actor} releases lock {self.key}"
