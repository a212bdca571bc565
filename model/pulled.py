"""What a finished pull leaves in the daemon, as the state a scenario starts from: the image
record, its content with the labels the pull set, and, if it was unpacked, its committed
snapshot chain (containerd-semantics §3.2, §4.1).

- the image record points at the manifest (client.Pull createNewImage);
- the manifest carries containerd.io/gc.ref.content.config and .l.<i> for its config and
  layers (images.SetChildrenMappedLabels, set during the fetch);
- if unpacked: each layer's chain ID is a committed snapshot whose parent is the chain ID
  below it, labelled containerd.io/snapshot.ref=<chain ID> as the unpacker commits it
  (core/unpack/unpacker.go); each layer blob has containerd.io/uncompressed=<diff ID>; the
  config has containerd.io/gc.ref.snapshot.overlayfs=<top chain ID>, the edge by which the
  image keeps its chain alive;
- no lease: client.Pull's deferred done() deleted the pull's, so the image record is the
  only root of all of this.
Blobs two images share (the same layer digest) are one blob; labels are merged.
"""

from __future__ import annotations

import attrs
from unpack_race.model.image import ImageSpec
from unpack_race.model.names import GC_REF_SNAPSHOT, SNAPSHOT_REF, UNCOMPRESSED, chain_id, diff_id, layer_digest
from unpack_race.model.world import Blob, Snapshot, World


def pulled_image(world: World, image: ImageSpec, unpacked: bool) -> None:
    """Put into `world` what a finished pull of `image` leaves behind (see the module)."""
    world.images[image.name] = image.manifest
    _blob(world, image.manifest, image.manifest_labels())
    top = chain_id(image.layers - 1)
    _blob(world, image.config, ((GC_REF_SNAPSHOT, top),) if unpacked else ())
    for i in range(image.layers):
        _blob(world, layer_digest(i), ((UNCOMPRESSED, diff_id(i)),) if unpacked else ())
    if not unpacked:
        return
    for i in range(image.layers):
        chain = chain_id(i)
        if chain in world.snapshots:
            continue  # a chain another image unpacked already
        bkey = world.next_backend_key(chain)
        world.snapshots[chain] = Snapshot("committed", chain_id(i - 1) if i else "", bkey, ((SNAPSHOT_REF, chain),))
        world.backend[bkey] = "committed"
        if i:
            below = world.snapshots[chain_id(i - 1)]
            world.snapshots[chain_id(i - 1)] = attrs.evolve(below, children=below.children | {chain})


def _blob(world: World, digest: str, labels: tuple[tuple[str, str], ...]) -> None:
    merged = world.content[digest].label_map() if digest in world.content else {}
    merged.update(labels)
    world.content[digest] = Blob(tuple(sorted(merged.items())))
