"""pkg/rootfs/apply.go at HEAD (301026e58): ApplyLayers/ApplyLayersWithOpts,
ApplyLayer/ApplyLayerWithOpts and their shared applyLayers, step by step. These are the
helpers client.(*image).Unpack (model/image_unpack.py) and BuildKit's image exporter
(model/buildkit_export.py) unpack with. The Stat-then-skip and the recursive rebuild are
those of 28caf9027 (PR 2331, 2018-05, "Add recursive apply layer function"); every later
commit to the file (`git log -- pkg/rootfs/apply.go rootfs/apply.go`) changed imports,
error packages, the unique key and the passing of options, not the steps.

The steps, as Go has them:
- ApplyLayerWithOpts(layer, chain): Stat(chainID); found: return false (the layer counts as
  done: no lease, nothing labelled); NotFound: applyLayers([layer], chain+layer, opts), where
  AlreadyExists counts as done and success as applied; any other Stat error:
  `failed to stat snapshot <chainID>: <err>`.
- ApplyLayersWithOpts(layers): Stat(top chainID) only ("Calling prepare on upper layers first
  guarantees that upper layers are not removed while calling stat on lower layers"); found:
  return the chain ID (no lease); NotFound: applyLayers(layers, chain, nil), AlreadyExists
  ignored, and return the chain ID.
- applyLayers(layers, chain): loop { key = extract-<unique> <chainID>; Prepare(key, parent):
  NotFound with more than one layer left: applyLayers of the layers below (AlreadyExists
  ignored), then try once more with a new key (`layers = nil`, so a second NotFound is an
  error); AlreadyExists: try a new key; any other error: `failed to prepare extraction
  snapshot "<key>": <err>` }. Then Apply (the diff service extracts the blob into the active
  snapshot) and Commit(chainID, key): `failed to commit snapshot <key>: <err>`; on an Apply
  or Commit error the deferred Remove(key) runs, its own error only logged.

The snapshot options: ApplyLayers passes none; Image.Unpack passes UnpackConfig.SnapshotOpts,
none for ctr and CRI image volumes. So no Prepare on this path carries
containerd.io/snapshot.ref: the metadata snapshotter's target check, and with it PR 10187's
lease on an existing target, is never reached; an existing chain is only ever observed by
Stat, which leases nothing (core/metadata/snapshot.go Stat).

Modelling choices, each an inference stated here:
- Apply (diff.Applier.Apply) is folded into the step before Commit: it reads the layer blob,
  which the image being unpacked roots throughout (image -> manifest -> gc.ref.content.l.<i>),
  and writes only the new active snapshot's backend, which no other step reads; its
  failures (a missing blob, a wrong diff ID) cannot happen in the model;
- the prepare loop's AlreadyExists branch is kept as Go has it though it is never taken here:
  keys are unique (uniquePart: nanoseconds and 3 random bytes; the model: the actor and an
  attempt counter) and no target label is set.

`prepare_ref` is a fix idea, not in containerd (docs/findings/rootfs-apply-stat-skip.md): do
what core/unpack does since d7f83034c (PR 10723). No Stat; every Prepare carries
containerd.io/snapshot.ref=<its chain ID>, so that the metadata snapshotter, since PR 10187,
adds an existing chain to the caller's lease in the same transaction as it finds it and
returns AlreadyExists; on AlreadyExists, Stat(chainID): found, the layer is done (return the
AlreadyExists, which both callers take as "exists"); NotFound, a new key. In the recursion
each level labels its own chain ID.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

from unpack_race.model.errdefs import AlreadyExists, ContainerdError, NotFound
from unpack_race.model.names import SNAPSHOT_REF, chain_id, extract_key
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Remove, Stat
from unpack_race.model.unpacker import Ctx
from unpack_race.scheduler.effect import Effect


def apply_layers(ctx: Ctx, layers: int, keys: Iterator[int],
                 prepare_ref: bool = False) -> Generator[Effect, object, str]:
    """ApplyLayers(ctx, layers, sn, a) = ApplyLayersWithOpts(..., nil): apply the image's
    `layers` bottom layers and return their chain ID (the top one)."""
    top = layers - 1
    chain = chain_id(top)
    if not prepare_ref:
        try:
            yield Stat(chain)
            return chain  # the top chain exists: returned without a lease
        except NotFound:
            pass
        except ContainerdError as err:
            raise err.wrap(f"failed to stat snapshot {chain}")
    try:
        yield from _apply_layers(ctx, top, layers, keys, prepare_ref)
    except AlreadyExists:
        pass
    return chain


def apply_layer(ctx: Ctx, layer: int, keys: Iterator[int],
                prepare_ref: bool = False) -> Generator[Effect, object, bool]:
    """ApplyLayerWithOpts(ctx, layers[layer], chain[:layer], sn, a, opts, applyOpts): apply
    one layer on top of the chain below it; True if it was applied, False if it was there."""
    chain = chain_id(layer)
    if not prepare_ref:
        try:
            yield Stat(chain)
            return False  # the chain exists: skipped without a lease
        except NotFound:
            pass
        except ContainerdError as err:
            raise err.wrap(f"failed to stat snapshot {chain}")
    try:
        yield from _apply_layers(ctx, layer, 1, keys, prepare_ref)
    except AlreadyExists:
        return False
    return True


def _apply_layers(ctx: Ctx, top: int, count: int, keys: Iterator[int],
                  prepare_ref: bool) -> Generator[Effect, object, None]:
    """applyLayers(ctx, layers, chain, ...): `count` layers ending at layer `top`, on the
    chain of the layers below them."""
    parent = chain_id(top - 1) if top else ""  # identity.ChainID(chain[:len(chain)-1]); "" for none
    chain = chain_id(top)
    labels = ((SNAPSHOT_REF, chain),) if prepare_ref else ()
    while True:
        key = extract_key(ctx.pull, next(keys), chain)
        try:
            bkey, bparent = yield PrepareT1(key, parent, chain if prepare_ref else "", ctx.lease)
            yield PrepareT2(key, parent, bkey, bparent, ctx.lease, labels)
        except NotFound as err:
            if count > 1:
                try:
                    yield from _apply_layers(ctx, top - 1, count - 1, keys, prepare_ref)
                except AlreadyExists:
                    pass
                count = 0  # "Do no try applying layers again": layers = nil
                continue
            raise err.wrap(f'failed to prepare extraction snapshot "{key}"')
        except AlreadyExists as err:
            if prepare_ref and (yield from _exists(chain)):
                raise err  # the fix: the chain was there, and is now in the lease
            continue  # "Try a different key"
        except ContainerdError as err:
            raise err.wrap(f'failed to prepare extraction snapshot "{key}"')
        break
    try:
        yield Commit(chain, key, ctx.lease, labels)
    except ContainerdError as err:
        yield from _cleanup(ctx, key)
        raise err.wrap(f"failed to commit snapshot {key}")


def _exists(chain: str) -> Generator[Effect, object, bool]:
    """The fix's Stat after a target AlreadyExists (as core/unpack does)."""
    try:
        yield Stat(chain)
    except NotFound:
        return False
    return True


def _cleanup(ctx: Ctx, key: str) -> Generator[Effect, object, None]:
    """applyLayers' deferred cleanup on an error: sn.Remove(ctx, key), its error logged
    ("extraction snapshot removal failed")."""
    try:
        yield Remove(key, ctx.lease)
    except ContainerdError:
        pass
