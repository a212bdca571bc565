"""The GC scheduler: whether a collection is due (plugins/gc/scheduler.go at d7f83034c,
`(*gcScheduler).run`, `mutationCallback`, `ScheduleAndWait`; core/metadata/db.go `Update`).

containerd collects from one goroutine, `run` (L236-352). What it does, read from the code:

- Every DB.Update whose transaction commits calls the mutation callbacks with
  `dirty = db.dirty > 0` (db.go L259-272); the scheduler's sends an event
  {mutation: true, dirty} (L220-229). db.dirty is incremented by the deleting
  transactions: snapshot Remove (core/metadata/snapshot.go L717), lease Delete and
  DeleteResource (leases.go L123, L246), image Delete (images.go L328), content Delete
  (content.go L226), container Delete (containers.go L303); GarbageCollect resets it to
  0 under the exclusive wlock (db.go L435), and its own sweep writes through bolt
  directly, so it sends no event.
- On an event (L266-291) `run` counts `deletions` if it is dirty and `mutations` always;
  ScheduleAndWait's event (mutation false) sets `triggered`. A trigger schedules a
  collection at once (after schedule_delay, 0); so do deletions >= deletion_threshold > 0,
  and, while no tick is armed, a deletion (deletion_threshold 0) or the mutation
  threshold.
- A tick (L257-265) skips and re-arms itself after `interval` only if nothing is pending:
  `!triggered && lastCollection != nil && deletions == 0 && (mutation_threshold == 0 ||
  mutations < mutation_threshold)`. Otherwise it collects, resets triggered, deletions and
  mutations (L324-326), sets lastCollection, re-arms (L343-344) and hands the collection
  to every waiter (L346-349).
- With the default startup_delay (100 ms) the first tick is armed at start (L252-254) and a
  tick stays armed from then on (L263, L305, L344): a deletion or the mutation threshold
  makes the *next tick* collect, 0 to `interval` later (at least 245 ms, c8766123d); a
  trigger pulls it forward to now. The first tick always collects (lastCollection nil).
- An event older than the last collection is dropped (L267): its write was already seen.
- ScheduleAndWait (L187-218) adds a waiter under waiterL, which each collection holds
  from before GarbageCollect to after the hand-out (L296-350), then sends its trigger, and
  blocks until a collection hands it its stats: so the collection that wakes it started
  after the call, and saw every write committed before it.

So whether a tick collects is decided by four things: the first collection is pending
(`GcScheduler.collected` False), a trigger (`GcScheduler.triggered`), a deletion since
the last collection, and the mutation threshold (`World.mutations`, `GcConfig`). *When*
ticks come is timing, which the model does not have (its steps take no time): a
collection that is due may fall between any two steps, or not yet (the search decides);
one that is not due cannot (the tick re-arms). That is gc-policy `scheduler`
(model/gc.py `GcCollect`), and collections recur as often as they become due.

"A deletion since the last collection" is read as db.dirty > 0: a deleting transaction
raises db.dirty and its own callback, which runs before Update releases wlock.RLock (so
no collection can come between), reports dirty; a collection resets both to zero
together. The two differ only where containerd drops an event: a write that commits
while a collection's backend cleanup still runs (after wlock is released, before
GarbageCollect returns, with `backend-cleanup`) sends an event older than that
collection's end. The model counts it. That makes a collection due a little earlier
than in containerd (a deletion during the cleanup), never later: an over-approximation,
sound for the `always` properties. GC failures (L300-316) are not modelled.

Time: the model's clock (World.now) moves only with leases.PassTime, a long wait (hours,
to expire a lease). Ticks come every `interval` (49 times the average pause, at least
245 ms), so a collection due when such a wait begins has run before it ends:
`time_may_pass` says so, and PassTime waits for it.
"""

from __future__ import annotations

import attrs
from unpack_race.model.world import GcScheduler, World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


def quiet() -> GcScheduler:
    """A daemon that has run a while: its startup collection is past and nothing is
    pending (no trigger; no deletion nor mutation since its last collection)."""
    return GcScheduler(collected=True)


def started() -> GcScheduler:
    """A daemon that has just started: its first tick, at startup_delay, collects."""
    return GcScheduler(collected=False)


def mutations(world: World) -> int:
    """The mutation events counted since the last collection (World.updated)."""
    return sum(world.mutations.values())


def reasons(world: World) -> tuple[str, ...]:
    """Why the scheduler's next tick collects, in scheduler.go's terms; () if it skips.
    The mutation threshold is named only when nothing else is pending: only then does
    the count decide (World's fingerprint keeps it only then)."""
    config, state = world.gc_config, world.gc
    if config is None:
        raise ValueError(
            "the GC scheduler is not configured in this world: build it with World(gc_config=GcConfig()) "
            "to let plugins/gc/scheduler.go decide when GC runs, or use gc-policy any or dirty"
        )
    found = []
    if not state.collected:
        found.append("the first collection after startup")
    if state.triggered:
        found.append("a ScheduleAndWait")
    if world.dirty > 0:
        found.append("a deletion since the last collection")
    threshold = config.mutation_threshold
    if not found and threshold > 0 and mutations(world) >= threshold:
        found.append(f"{threshold} mutations since the last collection")
    return tuple(found)


def due(world: World) -> bool:
    """Whether a collection is due: the next tick collects."""
    return bool(reasons(world))


def not_due(world: World) -> str:
    """Why no collection is due, for a blocked collector."""
    threshold = world.gc_config.mutation_threshold if world.gc_config is not None else 0
    counted = f", {mutations(world)} of the {threshold} mutations that make one due" if threshold else ""
    return ("no collection is due: nothing deleted and no ScheduleAndWait since the last one"
            f"{counted} (scheduler.go: the tick finds nothing pending and re-arms)")


def collected(world: World) -> tuple[str, ...]:
    """After a collection: lastCollection is set, triggered and the counters are reset
    (db.dirty by GarbageCollect itself), and every waiter gets the collection. Returns
    the waiters woken, in order."""
    woken = tuple(sorted(world.gc.waiters))
    world.gc = GcScheduler(collected=True)
    world.mutations.clear()
    return woken


def time_may_pass(world: World) -> bool:
    """Whether a long wait may begin: not while a collection is due under the scheduler
    (its tick runs it well within the wait). Without the scheduler, always."""
    return world.gc_config is None or not due(world)


@attrs.frozen
class ScheduleAndWait(Effect):
    """(*gcScheduler).ScheduleAndWait (scheduler.go L187-218), its first half: add a waiter
    and send the trigger, which makes a collection due at once (schedule_delay 0). What
    the synchronous deletes call after their delete: plugins/services/images/local.go
    Delete with Sync (L183-187), plugins/leases/local.go Delete with Synchronous (L76-80).
    `AwaitCollection` is the second half; `schedule_and_wait` yields both."""

    outcome_key = result_ignored  # no actor reads the result

    waiter: str

    def apply(self, world: World) -> str:
        world.gc = attrs.evolve(world.gc, triggered=True, waiters=world.gc.waiters | {self.waiter})
        return self.waiter

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={"gc/scheduler"})

    def narrate(self, actor, result, error) -> str:
        return f"{actor} asks the GC scheduler for a collection and waits for it (ScheduleAndWait)"


@attrs.frozen
class AwaitCollection(Effect):
    """ScheduleAndWait's second half: block until a collection that started after the
    call has handed its stats to the waiter (scheduler.go L206-217). The ctx's
    cancellation (L213) is not modelled."""

    outcome_key = result_ignored  # no actor reads the result

    waiter: str

    def enabled(self, world: World) -> bool:
        return self.waiter not in world.gc.waiters

    def blocked_on(self, world: World) -> str:
        return "it waits in ScheduleAndWait for the next collection"

    def apply(self, world: World) -> str:
        return self.waiter

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(reads={"gc/scheduler"})

    def narrate(self, actor, result, error) -> str:
        return f"{actor}: the collection it asked for has run; ScheduleAndWait returns"


def schedule_and_wait(waiter: str):
    """`gc.ScheduleAndWait(ctx)` for an actor's generator: `yield from
    schedule_and_wait("cri")` after a synchronous delete. It returns once a collection
    that started after the call has run, so that collection saw the delete. It needs a
    collector that runs when one is due (gc-policy scheduler); under gc-policy any or
    dirty the collector's runs may be spent before the trigger, and the waiter blocks."""
    yield ScheduleAndWait(waiter)
    yield AwaitCollection(waiter)


__all__ = ["AwaitCollection", "ScheduleAndWait", "collected", "due", "mutations", "not_due", "quiet", "reasons",
           "schedule_and_wait", "started", "time_may_pass"]
