"""BuildKit's image exporter unpacking the image it has just stored in containerd:
(*imageExporterInstance).unpackImage (moby/buildkit exporter/containerimage/export.go), as
of 7cb764d22 (PR 6558, "exporter: fix snapshot GC race during image unpack", 2026-03, fixing
moby/buildkit#6521) and of its parent.

Before PR 6558 it ran `rootfs.ApplyLayer` per layer, the loop client.(*image).Unpack runs
(model/image_unpack.py). PR 6558 computes the top chain ID, adds it to the export's lease
(leases.Manager.AddResource, `failed to lease snapshot <chainID>: <err>` on an error), calls
`rootfs.ApplyLayers` once, checks that the chain ID it returns is the one it computed (it
always is: a comparison, no step), and labels the config
containerd.io/gc.ref.snapshot.<snapshotter> = that chain ID. The PR's text: "Pre-lease the
top chain ID snapshot before calling ApplyLayers so that GC cannot collect it during the Stat
shortcut path, which does not add snapshots to the lease", and "both containerd
rootfs.ApplyLayer and rootfs.ApplyLayers are unsafe".

  ctx lease: Export's leaseutil.WithLease(..., MakeTemporary) (1 h)  -> CreateLease
  [PR 6558: AddResource(lease, snapshots/<sn>, top chain ID)]        -> AddResource
  rootfs.ApplyLayers(ctx, layers, snapshotter, applier)              -> model.rootfs.apply_layers
  label the config gc.ref.snapshot.<sn> = chain ID                   -> UpdateContentLabels
  the lease is released once the solver has recorded the result     -> DeleteLease

The image record is created before unpackImage (Export's Images.Update/Create loop), so the
image roots its content throughout. BuildKit's snapshotter wrapper
(snapshot.NewContainerdSnapshotter) is taken as containerd's metadata snapshotter, as it is
with moby's containerd image store. The shapes: LOOP is the code before PR 6558, PR_6558 the
code after it, and APPLY_LAYERS is PR 6558 without its AddResource, to check each half;
`prepare_ref` links pkg/rootfs with the fix idea (model/rootfs.py).
"""

from __future__ import annotations

import itertools

from unpack_race.model.client import done, lease_id
from unpack_race.model.content import UpdateContentLabels
from unpack_race.model.errdefs import ContainerdError
from unpack_race.model.image import ImageSpec
from unpack_race.model.leases import SNAPSHOTS, AddResource, CreateLease
from unpack_race.model.names import GC_REF_SNAPSHOT, chain_id
from unpack_race.model.rootfs import apply_layer, apply_layers
from unpack_race.model.unpacker import Ctx, Steps

#: leaseutil.WithLease: leases.WithExpiration(time.Hour)
EXPORT_LEASE_SECONDS = 60 * 60
LOOP, APPLY_LAYERS, PR_6558 = "loop", "apply-layers", "pr-6558"
SHAPES = (LOOP, APPLY_LAYERS, PR_6558)


def export_unpack(actor: str, image: ImageSpec, shape: str, prepare_ref: bool = False) -> Steps:
    """unpackImage of `image` (stored already) by `actor`, under the export's lease, in
    one of the SHAPES."""
    if shape not in SHAPES:
        raise ValueError(f"unknown exporter shape {shape!r}; the shapes are: {', '.join(SHAPES)}")
    lease = lease_id(actor)
    yield CreateLease(lease, actor, EXPORT_LEASE_SECONDS)
    ctx, keys = Ctx(actor, lease), itertools.count()
    top = chain_id(image.layers - 1)
    try:
        if shape == LOOP:  # `for _, layer := range layers { rootfs.ApplyLayer(...) }`
            for i in range(image.layers):
                yield from apply_layer(ctx, i, keys, prepare_ref)
            chain = top  # identity.ChainID(chain)
        else:
            if shape == PR_6558:
                try:
                    yield AddResource(lease, SNAPSHOTS, top)
                except ContainerdError as err:
                    raise err.wrap(f"failed to lease snapshot {top}")  # errors.Wrapf
            chain = yield from apply_layers(ctx, image.layers, keys, prepare_ref)
        yield UpdateContentLabels(image.config, ((GC_REF_SNAPSHOT, chain),), "config")
    except ContainerdError:
        yield from done(lease, actor)
        raise
    yield from done(lease, actor)
