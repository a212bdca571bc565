"""client.(*image).Unpack (client/image.go at 301026e58): unpack an image whose content is
in the store already, layer by layer through pkg/rootfs (model/rootfs.py). `ctr image
unpack`, `ctr run`, `ctr image mount`, CRI image volumes
(internal/cri/server/container_image_mount.go mutateImageMount) and client.Pull, when its
streaming unpacker did nothing, call it.

  ctx, done := client.WithLease(ctx)   -> CreateLease (24 h), on the ctx
  defer done(ctx)                      -> DeleteLease, its error ignored
  getManifest, getLayers               -> reads of content the image roots: no step
  for each layer:
    ApplyLayerWithOpts(layer, chain)   -> model.rootfs.apply_layer; an error is returned as
                                          `apply layer error for "<image>": <err>`
    if applied: label the layer blob containerd.io/uncompressed=<diff ID>
  label the config containerd.io/gc.ref.snapshot.<snapshotter> = ChainID(all diff IDs)

WithLease makes no lease when the ctx has one already (CRI image volumes pass the sandbox's
lease); the model takes the ctr shape, a lease of its own. The snapshot options are the
UnpackConfig's, none for ctr and CRI. `prepare_ref` links pkg/rootfs with the fix idea
(model/rootfs.py).
"""

from __future__ import annotations

import itertools

from unpack_race.model.client import done, lease_id
from unpack_race.model.content import UpdateContentLabels
from unpack_race.model.errdefs import ContainerdError
from unpack_race.model.image import ImageSpec
from unpack_race.model.leases import CreateLease
from unpack_race.model.names import GC_REF_SNAPSHOT, UNCOMPRESSED, chain_id, diff_id, layer_digest
from unpack_race.model.rootfs import apply_layer
from unpack_race.model.unpacker import Ctx, Steps


def image_unpack(actor: str, image: ImageSpec, prepare_ref: bool = False) -> Steps:
    """(*image).Unpack(ctx, snapshotter) of `image`, by `actor`."""
    lease = lease_id(actor)
    yield CreateLease(lease, actor)
    ctx, keys = Ctx(actor, lease), itertools.count()
    try:
        for i in range(image.layers):
            try:
                applied = yield from apply_layer(ctx, i, keys, prepare_ref)
            except ContainerdError as err:
                raise err.wrap(f'apply layer error for "{image.name}"')
            if applied:  # "Set the uncompressed label after the uncompressed digest has been verified"
                yield UpdateContentLabels(layer_digest(i), ((UNCOMPRESSED, diff_id(i)),), "layer")
        yield UpdateContentLabels(image.config, ((GC_REF_SNAPSHOT, chain_id(image.layers - 1)),), "config")
    except ContainerdError:
        yield from done(lease, actor)
        raise
    yield from done(lease, actor)
