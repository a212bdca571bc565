"""The unpacker (core/unpack/unpacker.go, (*Unpacker).unpack and its doUnpackFn), as of
d7f83034c^ (with the Stat early return) and d7f83034c (without it): §1.3 of
containerd-semantics.md, step by step.

Per layer i, bottom to top, under the chain ID's lock:
  the variant's `skip_check`, if it has one, which may skip the layer: before d7f83034c,
  `stat_early_return` (Stat(chainID) and skip the layer if it exists);
  up to 3 tries of Prepare(key, parent, snapshot.ref=chainID): on AlreadyExists,
  Stat(chainID): found -> the layer is done; NotFound -> retry with a new key;
  wait for the layer's blob (the wait observes cancellation: abort and return);
  Apply (extraction into the active snapshot: backend only, folded into the wait);
  Commit(chainID, key): AlreadyExists -> abort and the layer is done;
  label the layer blob containerd.io/uncompressed.
After the last layer: label the config gc.ref.snapshot.<snapshotter> = top chain ID.
abort = Remove(key), errors only logged (cleanup.Do: a ctx that ignores cancellation but
keeps the lease, v2.0/v1.7 after b550526cc). containerd 1.6 (unpacker.go (*unpacker).unpack
at 74951d6cf^ and 74951d6cf, v1.6.37, v1.6.39) aborts only after Apply or Commit: when the
wait sees the ctx done, or a fetch error, it returns the error and leaves the active
extraction snapshot in the lease (`UnpackOptions.abort_on_cancel`, model/releases.py).
Errors are returned as Go returns them: the content Update of the layer's uncompressed
label and of the config's gc.ref.snapshot label unwrapped, the lock's ctx error as it is.

Modelling choices, each an inference stated here:
- the background fetch goroutine (started at the first layer that needs work) is folded
  into the wait for each layer: its writes touch only that layer's blob and the lease,
  which no other step of the race reads; when the ctx is cancelled the wait fails
  (Go's select may pick either ready case; both end in abort);
- the blob:// locks around each blob handler are left out (content only).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterator

import attrs
from unpack_race.model.content import UpdateContentLabels, fetch, fetch_footprint
from unpack_race.model.errdefs import AlreadyExists, ContainerdError, NotFound
from unpack_race.model.image import ImageSpec
from unpack_race.model.kmutex import Lock, Unlock
from unpack_race.model.names import (
    GC_REF_SNAPSHOT,
    SNAPSHOT_REF,
    UNCOMPRESSED,
    extract_key,
    unpack_lock_key,
)
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Remove, Stat
from unpack_race.model.world import World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored

PREPARE_TRIES = 3


@attrs.frozen
class Ctx:
    """The values the pull's ctx carries into the unpacker: who, and which lease."""

    pull: str
    lease: str


Steps = Generator[Effect, object, None]

#: A variant's step before Prepare: given the pull's ctx and the layer's chain ID, yield
#: effects and return True to skip the layer (it is unpacked already), False to go on.
SkipCheck = Callable[[Ctx, str], Generator[Effect, object, bool]]


def stat_early_return(ctx: Ctx, chain: str) -> Generator[Effect, object, bool]:
    """doUnpackFn before d7f83034c (PR 10723): `if _, err := sn.Stat(ctx, chainID); err ==
    nil { return nil }`, and any error other than NotFound fails the layer. Skipping takes
    no lease, fetches nothing and labels nothing."""
    try:
        yield Stat(chain)
    except NotFound:
        return False
    return True


@attrs.frozen
class UnpackOptions:
    skip_check: SkipCheck | None = None  # None: always Prepare (d7f83034c, PR 10723)
    kmutex: bool = True  # CRI passes its process-wide duplication suppressor
    #: the wait for a layer's blob aborts when it fails (1.7, 2.0: cleanup.Do(ctx, abort));
    #: False: containerd 1.6, which returns ctx.Err() (or the fetch error) without the abort
    abort_on_cancel: bool = True


@attrs.frozen
class WaitForLayerFetch(Effect):
    """doUnpackFn's wait: select on ctx.Done() (-> abort, return ctx.Err()), the fetch
    error, or this layer's "fetched" channel. The fetch itself writes the blob under the
    lease (remotes.FetchHandler); it is folded in here."""

    outcome_key = result_ignored  # no actor reads the result

    digest: str
    lease: str
    pull: str

    def apply(self, world: World) -> str:
        fetch(world, self.pull, self.digest, self.lease)
        return self.digest

    def footprint(self, world: World | None = None) -> Footprint:
        return fetch_footprint(self.pull, self.digest, self.lease)

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} waits for layer blob {self.digest} and sees its ctx cancelled: {error}"
        return f"{actor} has layer blob {self.digest} (fetched into {self.lease}) and applies it"


def unpack(ctx: Ctx, image: ImageSpec, options: UnpackOptions) -> Steps:
    """(*Unpacker).unpack: every layer, then the config's gc.ref.snapshot label."""
    attempts = itertools.count()
    for i in range(image.layers):
        yield from do_unpack(ctx, image, i, options, attempts)
    top = image.chain_id(image.layers - 1)
    # `if _, err = cs.Update(ctx, cinfo, ...); err != nil { return err }`: unwrapped
    yield UpdateContentLabels(image.config, ((GC_REF_SNAPSHOT, top),), "config")


def do_unpack(ctx: Ctx, image: ImageSpec, i: int, options: UnpackOptions, attempts: Iterator[int]) -> Steps:
    """doUnpackFn(i, desc): the chain ID's lock is held until the function returns."""
    chain = image.chain_id(i)
    lock = unpack_lock_key(chain)
    if options.kmutex:
        yield Lock(lock, ctx.pull)  # a cancelled ctx fails here (x/sync v0.7.0+), before anything is held
    try:
        yield from _unpack_layer(ctx, image, i, options, attempts)
    except ContainerdError:
        if options.kmutex:
            yield Unlock(lock, ctx.pull)
        raise
    if options.kmutex:
        yield Unlock(lock, ctx.pull)


def _unpack_layer(ctx: Ctx, image: ImageSpec, i: int, options: UnpackOptions, attempts: Iterator[int]) -> Steps:
    parent = image.chain_id(i - 1) if i else ""
    chain = image.chain_id(i)
    if options.skip_check is not None and (yield from options.skip_check(ctx, chain)):
        return  # already unpacked: skip the layer
    labels = ((SNAPSHOT_REF, chain),)
    key = ""
    last: ContainerdError | None = None
    for _ in range(PREPARE_TRIES):
        key = extract_key(ctx.pull, next(attempts), chain)
        try:
            bkey, bparent = yield PrepareT1(key, parent, chain, ctx.lease)
            yield PrepareT2(key, parent, bkey, bparent, ctx.lease, labels)
            break
        except AlreadyExists as err:
            last = err
            try:
                yield Stat(chain)
                return  # the chain ID exists: the layer is done
            except NotFound:
                continue  # "extraction snapshot already exists, chain id not found"
        except ContainerdError as err:
            raise err.wrap(f'failed to prepare extraction snapshot "{key}"')
    else:
        raise last.wrap("unable to prepare extraction snapshot")

    try:
        yield WaitForLayerFetch(image.layer_digest(i), ctx.lease, ctx.pull)
    except ContainerdError:
        if options.abort_on_cancel:  # 1.7, 2.0: cleanup.Do(ctx, abort); 1.6: just return
            yield from _abort(ctx, key)
        raise
    try:
        yield Commit(chain, key, ctx.lease, labels)
    except AlreadyExists:
        yield from _abort(ctx, key)
        return  # someone else committed this chain ID
    except ContainerdError as err:
        yield from _abort(ctx, key)
        raise err.wrap(f"failed to commit snapshot {key}")
    yield UpdateContentLabels(image.layer_digest(i), ((UNCOMPRESSED, image.diff_id(i)),), "layer")


def _abort(ctx: Ctx, key: str) -> Steps:
    """abort: sn.Remove(ctx, key) under cleanup.Do; an error is only logged."""
    try:
        yield Remove(key, ctx.lease)
    except ContainerdError:
        pass
