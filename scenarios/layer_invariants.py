"""The properties of the scenarios where an image delete races an unpack of another image
that shares its bottom layers (scenarios/shared_layers.py), beside those of
scenarios/invariants.py:

- applied-chain-exists (always, on_state): once the unpacked image's config names its
  chain (containerd.io/gc.ref.snapshot.<snapshotter> = the chain ID the apply returned),
  that snapshot exists. The caller labels the config right after the apply returns,
  nothing in between, so this is the chain a successful apply returns still existing when
  it returns; and from the label on, the image roots it. A label naming a snapshot that is
  gone leaves an image reported unpacked without its chain: the next container's
  Prepare on it fails with `parent snapshot <chain ID> does not exist: not found`;
- reuses-deleted-image-layer (sometimes, on_step): the unpacking actor finds a layer's chain
  ID snapshot as existing (its Stat, or a target AlreadyExists): one that only the image
  being deleted holds, since no other actor commits a chain the unpacker has not yet reached;
  `reuses` is the same for another snapshot (the remapped one of scenarios/remap_snapshot.py).
"""

from __future__ import annotations

from unpack_race.model.names import GC_REF_SNAPSHOT
from unpack_race.model.world import World
from unpack_race.scenarios.invariants import finds_existing_layer
from unpack_race.scheduler.properties import Property, always, on_state, on_step, sometimes

APPLIED_CHAIN_EXISTS = "applied-chain-exists"
REUSES = "reuses-deleted-image-layer"


def named_chain(world: World, config: str) -> str | None:
    """The snapshot the config's containerd.io/gc.ref.snapshot.<snapshotter> label names."""
    blob = world.content.get(config)
    return blob.label_map().get(GC_REF_SNAPSHOT) if blob is not None else None


def applied_chain_exists(config: str, chain: str) -> Property:
    """`always`: the config's snapshot label, once set (to `chain`), names an existing
    snapshot. It reads the config blob and that snapshot only."""

    def holds(world: World) -> bool:
        named = named_chain(world, config)
        return named is None or named in world.snapshots

    return always(
        APPLIED_CHAIN_EXISTS,
        on_state(holds, reads={f"content/{config}", f"snapshot/{chain}"}),
        "the chain a successful apply returns exists when its caller labels the image config with it",
        explain=lambda world: f"config {config} names {named_chain(world, config)}, which does not exist",
    )


def reuses_deleted_image_layer(actor: str) -> Property:
    """`sometimes`: `actor` observes a layer's chain ID snapshot as existing."""
    return reuses(actor, REUSES, f"{actor} finds a layer snapshot that only the image being removed holds")


def reuses(actor: str, name: str, description: str) -> Property:
    """`sometimes`: `actor` observes a snapshot as existing (its Stat finds it, or its
    Prepare's target is there already): the window is entered."""
    return sometimes(name, on_step(lambda step: finds_existing_layer(step, actor) is not None), description)
