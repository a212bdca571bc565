"""Scenario rootfs-apply-layer: the residual Stat then skip of containerd HEAD (301026e58).
client.(*image).Unpack (model/image_unpack.py) unpacks app, stored already, layer by layer
through pkg/rootfs's ApplyLayerWithOpts (model/rootfs.py), whose Stat of each chain ID skips
the layer without a lease (unchanged since 28caf9027, 2018), while CRI RemoveImage removes
base and waits for the collection (scenarios/shared_layers.py). The metadata snapshotter is
HEAD's (PR 10187 on); it cannot help, as no Prepare on this path carries the
containerd.io/snapshot.ref label its lease on an existing target needs.

unpack stats sha256:c1: it exists, base's, so the layer is skipped; remove-image deletes
base and its collection sweeps sha256:c1; unpack stats sha256:c2 (not found) and Prepares it
on sha256:c1: `apply layer error for "docker.io/library/app:latest": failed to prepare
extraction snapshot "extract-unpack.0 sha256:c2": parent snapshot sha256:c1 does not exist:
not found`. With no layer of its own (own=0) the image is all skipped, and the config is
labelled with a chain the collection may have swept (applied-chain-exists).

Field evidence for this path: moby/buildkit#6521 (a repro failing within minutes), whose
exporter ran this loop of rootfs.ApplyLayer until PR 6558; containerd #2382 (2018), where
CRI's pull reached it through client.Pull -> Image.Unpack. The variants: HEAD's code, and
the fix idea of model/rootfs.py inside pkg/rootfs (scenarios/rootfs_apply_layers.py checks
ApplyLayers and BuildKit's workaround). docs/findings/rootfs-apply-stat-skip.md writes it up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.image_unpack import image_unpack
from unpack_race.scenarios import invariants, shared_layers
from unpack_race.scenarios.base import Built, Expectation
from unpack_race.scenarios.containerd_scenario import CallerScenario, Code
from unpack_race.scenarios.layer_invariants import APPLIED_CHAIN_EXISTS, applied_chain_exists
from unpack_race.scenarios.retry_after_cancel import bounds_text
from unpack_race.scheduler.verdict import Verdict

UNPACK = "unpack"
HEAD_HISTORY = (
    "moby/buildkit#6521 ran this loop of rootfs.ApplyLayer and failed with `parent snapshot ... does not "
    "exist`; PR 6558: rootfs.ApplyLayer \"can cause this\"; containerd #2382 (2018) reached it through "
    "client.Pull -> Image.Unpack"
)


def _head(params: Mapping[str, Any]) -> Expectation:
    """Which property the race breaks, from the image's shape (reasoning about the code):
    with a layer of its own above the shared ones, a Prepare on a swept shared layer;
    with none and one shared layer, no Prepare at all, and the config is labelled with the
    swept chain; with none and more shared layers, either can come first (None: any)."""
    if params["own"]:
        failing = invariants.NO_MISSING_PARENT.name
    else:
        failing = APPLIED_CHAIN_EXISTS if params["shared"] == 1 else None
    return Expectation(Verdict.VIOLATION, failing, HEAD_HISTORY)


def _fixed(params: Mapping[str, Any]) -> Expectation:
    return Expectation(Verdict.PASS, None, "the design: each chain ID is leased in the transaction that finds it "
                                           "(PR 10187's lease on an existing target), as core/unpack since d7f83034c")


CODES = (
    Code("head", "containerd 301026e58 (HEAD) and every release since 1.1.1; BuildKit's exporter before PR 6558",
         "Image.Unpack: per layer, ApplyLayerWithOpts stats the chain ID and skips it without a lease",
         lambda actor, app: image_unpack(actor, app), _head),
    Code("rootfs-prepare-ref", "a fix idea, not in containerd",
         "pkg/rootfs Prepares with containerd.io/snapshot.ref instead of the Stat; AlreadyExists then Stat",
         lambda actor, app: image_unpack(actor, app, prepare_ref=True), _fixed),
)


class RootfsApplyLayer(CallerScenario):
    name = "rootfs-apply-layer"
    summary = ("client Image.Unpack at HEAD (pkg/rootfs ApplyLayerWithOpts: Stat then skip, no lease) while CRI "
               "RemoveImage collects synchronously")
    params = (shared_layers.shared_param(1), shared_layers.own_param(1), *shared_layers.GC_PARAMS)
    codes = CODES

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        code = self.variant_definition(variant)
        p = self.resolve(params)
        base, app = shared_layers.base_image(p), shared_layers.app_image(p)
        program = shared_layers.caller_program(f"{self.name}[{variant}]", UNPACK, code.unpacker, base, app, p)
        top = app.chain_ids()[-1]
        properties = (
            invariants.NO_MISSING_PARENT,
            applied_chain_exists(app.config, top),
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes((UNPACK,), app.chain_ids()),
            *shared_layers.sought(UNPACK, app),
        )
        return Built(program, properties, bounds_text(p))
