"""Scenario remove-image-during-pull: CRI RemoveImage, with its synchronous collection,
races a CRI pull of an image whose lower layers exist only because of the image being
removed. It is issue 3787 as first reported (Random-Liu, 2019-10-29, on v1.3: a cri-tools
test removed images and pulled again; the reading that the tests' images share a base layer
is the inference of containerd-semantics §5.3), and #2382 (2018-06: remove
test-image-tags:1/2/3, then pull :1 fails with `failed to prepare extraction snapshot ...:
parent snapshot sha256:4feb... does not exist: not found`) and #3635 (2019-09, the same text
in a CI flake). Those releases unpacked through pkg/rootfs (scenarios/rootfs_apply_layer.py
models that path at HEAD); this scenario runs the streaming unpacker of core/unpack under
each registered variant (model/variants.py), where 30d92eff1 (2019-11) had inlined the same
Stat then skip.

pull (client.Pull with WithPullUnpack, model/client.py) fetches app's manifest and config
under its lease and unpacks it: under the variants with the Stat early return it finds
sha256:c1, base's, and skips the layer without a lease; remove-image deletes base and waits
for the collection, which sweeps sha256:c1; the pull's Prepare of sha256:c2 on it fails
with `parent snapshot sha256:c1 does not exist: not found`. Without PR 10187, Prepare's
AlreadyExists on the target is just as unleased.

The pull is never cancelled (there is no kubelet restart here), so there is no retry:
pull-completes says it must complete, with its image's whole chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.client import pull_image
from unpack_race.model.unpacker import UnpackOptions
from unpack_race.model.variants import variant as get_variant
from unpack_race.scenarios import invariants, shared_layers
from unpack_race.scenarios.base import Built, Expectation, Param
from unpack_race.scenarios.containerd_scenario import ContainerdScenario
from unpack_race.scenarios.retry_after_cancel import bounds_text
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.verdict import Verdict

PULL = "pull"

HISTORY = (
    "containerd issue 3787 as first reported (2019-10, an image removed while another that shares "
    "its base layer is pulled), and #2382, #3635: the pull relies on a layer only the removed image "
    "held, unleased; fixed by PR 10723 with PR 10187"
)


def failing_property(params: Mapping[str, Any]) -> str | None:
    """Which property the race breaks, from the image's shape (reasoning about containerd,
    not a run): with a layer of its own above the shared ones, the pull Prepares on the
    swept layer (no-missing-parent); with none, and one shared layer, no Prepare has a
    parent, and the pull completes with its chain swept (pull-completes); with none and
    more shared layers, either can come first (None: any)."""
    if params["own"]:
        return invariants.NO_MISSING_PARENT.name
    return "pull-completes" if params["shared"] == 1 else None


class RemoveImageDuringPull(ContainerdScenario):
    name = "remove-image-during-pull"
    summary = ("CRI RemoveImage collects synchronously while a pull relies on a base layer only the removed "
               "image held (issue 3787 as first reported, #2382, #3635)")
    params = (
        shared_layers.shared_param(1),
        shared_layers.own_param(1),
        *shared_layers.GC_PARAMS,
        Param("kmutex", True,
              "CRI's process-wide duplication suppressor (one pull here: it adds its lock steps and leases nothing)"),
    )

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        base, app = shared_layers.base_image(p), shared_layers.app_image(p)
        options = UnpackOptions(v.skip_check, kmutex=p["kmutex"])
        actors = (
            ActorSpec(PULL, lambda: pull_image(PULL, app, options, wait_for_request=False)),
            *shared_layers.other_actors(base, p),
        )
        program = Program(
            f"{self.name}[{variant}]",
            lambda: shared_layers.world(v.lease_on_exists, PULL, app, base, app_stored=False, params=p),
            actors,
        )
        properties = (
            invariants.NO_MISSING_PARENT,
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes((PULL,), app.chain_ids()),
            *shared_layers.sought(PULL, app),
        )
        return Built(program, properties, bounds_text(p))

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        # what the variant's definition writes down (containerd's history): the variants
        # that rely on an unleased snapshot in the kubelet-restart form of issue 3787 rely
        # on one here too; which property breaks first depends on the image's shape
        if v.violates is not None:
            return Expectation(Verdict.VIOLATION, failing_property(p), f"{HISTORY}; {v.why}")
        return Expectation(Verdict.PASS, None, v.why)
