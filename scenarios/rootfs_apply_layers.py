"""Scenario rootfs-apply-layers: the other pkg/rootfs helper, ApplyLayers, and BuildKit's
workaround built on it (moby/buildkit PR 6558, 7cb764d22, 2026-03, fixing #6521), checked
at containerd HEAD's metadata semantics (PR 10187 on).

BuildKit's exporter (model/buildkit_export.py) unpacks app, which it has just stored, while
CRI RemoveImage removes base and waits for the collection (scenarios/shared_layers.py). By
default app has base's two layers and none of its own (an image built FROM base that
changes only its config): the top chain ID exists, and only because of base.

ApplyLayers stats only the top chain ID; found, it returns it without a lease (model/rootfs.py).
PR 6558 says of it: it "can return a chainid that may already be deleted by the time the
function returns", and adds the chain ID to the export's lease before calling it. The
property applied-chain-exists (scenarios/layer_invariants.py) checks that claim: the chain
the apply returns must exist when the exporter labels the config with it.

There is no no-missing-parent here: ApplyLayers uses Prepare's parent check as its existence
test (PR 2331: "Calling prepare on upper layers first guarantees that upper layers are not
removed while calling stat on lower layers") and rebuilds a missing parent, so a Prepare
that sees one is not a failure; pull-completes says whether the exporter's unpack ends
without an error and with the image's whole chain, and `rebuilds-missing-parent` (sometimes)
that the rebuild is exercised. Where a `sometimes` property cannot be reached, `unreachable`
says why.

The variants: BuildKit before PR 6558 (the ApplyLayer loop of rootfs-apply-layer), PR 6558
without its pre-lease, PR 6558, and ApplyLayers with the fix idea of model/rootfs.py inside
pkg/rootfs and no pre-lease.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.buildkit_export import APPLY_LAYERS, LOOP, PR_6558, export_unpack
from unpack_race.scenarios import invariants, shared_layers
from unpack_race.scenarios.base import Built, Expectation, Unreachable
from unpack_race.scenarios.containerd_scenario import CallerScenario, Code
from unpack_race.scenarios.layer_invariants import APPLIED_CHAIN_EXISTS, REUSES, applied_chain_exists
from unpack_race.scenarios.retry_after_cancel import bounds_text
from unpack_race.scheduler.properties import Property, on_step, sometimes
from unpack_race.scheduler.verdict import Verdict

EXPORTER = "exporter"
REBUILDS = "rebuilds-missing-parent"
TOP_ONLY = (
    "ApplyLayers looks only at the top chain ID (its Stat, or the fix's target label), and with a layer of its own "
    "above the shared ones that chain is the exporter's own, absent until it commits it; the shared layers are "
    "relied on only through Prepare's parent check, which rebuilds a missing one (rebuilds-missing-parent)"
)
ONE_LAYER = "a single layer is prepared with no parent, so no Prepare can find its parent gone"
NO_REBUILD = (
    "rootfs.ApplyLayer prepares one layer at a time (len(layers) > 1 is false in applyLayers): a Prepare on a "
    "missing parent fails the unpack, and nothing is rebuilt"
)
CLAIM = ("moby/buildkit PR 6558 (tonistiigi): rootfs.ApplyLayers \"can return a chainid that may already be "
         "deleted by the time the function returns\"")
SHORTCUT_UNUSED = (
    "the Stat shortcut needs the top chain ID to exist, and with a layer of its own only the exporter makes "
    "it, under its lease; a lower chain swept before its child's Prepare fails that Prepare with NotFound and "
    "is rebuilt (PR 2331), under the lease too"
)


def _loop(params: Mapping[str, Any]) -> Expectation:
    return Expectation(Verdict.VIOLATION, None, "moby/buildkit#6521, fixed by PR 6558: the ApplyLayer loop relies "
                                                "on every chain it skips, unleased (rootfs-apply-layer)")


def _apply_layers(params: Mapping[str, Any]) -> Expectation:
    if params["own"]:
        return Expectation(Verdict.PASS, None, SHORTCUT_UNUSED)
    return Expectation(Verdict.VIOLATION, APPLIED_CHAIN_EXISTS, CLAIM)


def _pr_6558(params: Mapping[str, Any]) -> Expectation:
    return Expectation(Verdict.PASS, None, "moby/buildkit PR 6558, merged for #6521: its reporter's repro ran 30 "
                                           "minutes without the error (it failed within 3-5 before)")


def _fixed(params: Mapping[str, Any]) -> Expectation:
    return Expectation(Verdict.PASS, None, "the design: each chain ID is leased in the transaction that finds it "
                                           "(PR 10187's lease on an existing target), as core/unpack since d7f83034c")


CODES = (
    Code("apply-layer-loop", "moby/buildkit before 7cb764d22 (PR 6558)",
         "rootfs.ApplyLayer per layer: each chain ID stat'ed and skipped without a lease",
         lambda actor, app: export_unpack(actor, app, LOOP), _loop),
    Code("apply-layers", "moby/buildkit PR 6558 without its pre-lease (never released)",
         "rootfs.ApplyLayers: the top chain ID stat'ed and returned without a lease",
         lambda actor, app: export_unpack(actor, app, APPLY_LAYERS), _apply_layers),
    Code("buildkit-6558", "moby/buildkit 7cb764d22 (PR 6558, 2026-03) and later",
         "AddResource(top chain ID) to the export's lease, then rootfs.ApplyLayers",
         lambda actor, app: export_unpack(actor, app, PR_6558), _pr_6558),
    Code("rootfs-prepare-ref", "a fix idea, not in containerd",
         "rootfs.ApplyLayers with pkg/rootfs Preparing with containerd.io/snapshot.ref instead of the Stat",
         lambda actor, app: export_unpack(actor, app, APPLY_LAYERS, prepare_ref=True), _fixed),
)


def unreachable(variant: str, params: Mapping[str, Any]) -> tuple[Unreachable, ...]:
    """The `sometimes` properties this variant and these (resolved) parameters cannot reach,
    with why. Reachable everywhere else: the exporter finds a shared chain by its Stat (the
    loop, or ApplyLayers' top Stat when the top is shared) before RemoveImage's collection;
    the collection may come first and sweep base's chain, and then ApplyLayers' Prepare of
    the top finds its parent gone and rebuilds it."""
    found = []
    if variant == "apply-layer-loop":
        found.append(Unreachable(REBUILDS, NO_REBUILD))
    elif params["shared"] + params["own"] == 1:
        found.append(Unreachable(REBUILDS, ONE_LAYER))
    if variant != "apply-layer-loop" and params["own"]:
        found.append(Unreachable(REUSES, TOP_ONLY))
    return tuple(found)


def rebuilds_missing_parent(actor: str) -> Property:
    """`sometimes`: a Prepare of `actor` finds its parent gone (applyLayers then rebuilds it)."""
    return sometimes(REBUILDS, on_step(lambda step: step.actor == actor and invariants.saw_missing_parent(step)),
                     f"{actor}'s Prepare finds its parent swept, and ApplyLayers rebuilds it")


class RootfsApplyLayers(CallerScenario):
    name = "rootfs-apply-layers"
    summary = ("BuildKit's exporter on pkg/rootfs ApplyLayers (Stat of the top chain, no lease), with and without "
               "its PR 6558 pre-lease, while CRI RemoveImage collects synchronously")
    params = (shared_layers.shared_param(2), shared_layers.own_param(0), *shared_layers.GC_PARAMS)
    codes = CODES

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        code = self.variant_definition(variant)
        p = self.resolve(params)
        base, app = shared_layers.base_image(p), shared_layers.app_image(p)
        program = shared_layers.caller_program(f"{self.name}[{variant}]", EXPORTER, code.unpacker, base, app, p)
        gone = unreachable(variant, p)
        omitted = {u.property for u in gone}
        sought = (*shared_layers.sought(EXPORTER, app), rebuilds_missing_parent(EXPORTER))
        properties = (
            applied_chain_exists(app.config, app.chain_ids()[-1]),
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes((EXPORTER,), app.chain_ids()),
            *(prop for prop in sought if prop.name not in omitted),
        )
        return Built(program, properties, bounds_text(p), gone)
