"""The duplication suppressor (internal/kmutex/kmutex.go): a keyed mutex that CRI
creates once per process and passes to every pull (internal/cri/server/images/
service.go), keyed `sn://<snapshotter>/<chainID>` by the unpacker. It serialises work on
one chain ID; it leases nothing, so it gives no protection from GC.
"""

from __future__ import annotations

import attrs
from unpack_race.model.errdefs import Canceled
from unpack_race.model.world import World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


@attrs.frozen
class Lock(Effect):
    """kmutex.Lock(ctx, key): blocks while another holder has the key; honours ctx
    cancellation: golang.org/x/sync's semaphore.Acquire checks ctx.Done() before taking
    a free slot ("we prefer to fail even if we could acquire"), so a cancelled pull gets
    `context canceled` instead of the lock."""

    outcome_key = result_ignored  # no actor reads the result

    key: str
    pull: str

    def enabled(self, world: World) -> bool:
        return self.key not in world.locks or world.pulls[self.pull].cancelled

    def blocked_on(self, world: World) -> str:
        return f"{self.key} is held by {world.locks.get(self.key)}"

    def apply(self, world: World) -> str:
        if world.pulls[self.pull].cancelled:
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
