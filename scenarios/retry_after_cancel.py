"""Scenario retry-after-cancel (containerd-semantics §5.1, Saket Jajoo's kubelet-restart
reproduction of issue 3787).

pull-1 pulls an image of N layers under its lease; the kubelet cancels it at some step
(a restart); pull-1 aborts its extraction and deletes its lease on return; the kubelet
retries as pull-2, which may start while pull-1 is still unwinding; a GC may run at any
step, up to K times. Under the variants with the Stat early return, or without PR 10187's
lease on AlreadyExists, pull-2 can rely on a layer pull-1 committed without leasing it,
GC sweeps it, and pull-2's next Prepare fails with
`parent snapshot sha256:c1 does not exist: not found`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.client import pull_image
from unpack_race.model.collector import garbage_collector
from unpack_race.model.gc import POLICIES
from unpack_race.model.image import ImageSpec
from unpack_race.model.kubelet import kubelet
from unpack_race.model.unpacker import UnpackOptions
from unpack_race.model.variants import VARIANTS, variant as get_variant
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import invariants
from unpack_race.scheduler.verdict import Verdict
from unpack_race.scenarios.base import Built, Expectation, Param, Scenario
from unpack_race.scheduler.program import ActorSpec, Program

FIRST, RETRY = "pull-1", "pull-2"


class RetryAfterCancel(Scenario):
    name = "retry-after-cancel"
    summary = "a pull is cancelled at any step and retried while GC may run (issue 3787, §5.1)"
    params = (
        Param("layers", 2, "image layers", minimum=1, maximum=8),
        Param("gc_runs", 1, "how many times GC may run", minimum=0, maximum=5),
        Param("overlap", True, "the retry may start while the cancelled pull unwinds"),
        Param("gc_policy", "any", "when GC may run: any step, or only while the db is dirty", choices=POLICIES),
        Param("kmutex", True, "CRI's process-wide duplication suppressor is shared by both pulls"),
        Param("backend_cleanup", False, "each GC is followed by the backend cleanup step"),
    )
    variants = tuple(v.name for v in VARIANTS)

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        image = ImageSpec(layers=p["layers"])
        options = UnpackOptions(stat_early_return=v.stat_early_return, kmutex=p["kmutex"])

        def make_world() -> World:
            return World(
                lease_on_exists=v.lease_on_exists,
                pulls={FIRST: PullContext(requested=True), RETRY: PullContext()},
            )

        program = Program(
            f"{self.name}[{variant}]",
            make_world,
            (
                ActorSpec(FIRST, lambda: pull_image(FIRST, image, options, wait_for_request=False)),
                ActorSpec(RETRY, lambda: pull_image(RETRY, image, options, wait_for_request=True)),
                ActorSpec("kubelet", lambda: kubelet(FIRST, RETRY, p["overlap"])),
                ActorSpec(
                    "gc",
                    lambda: garbage_collector(p["gc_runs"], p["gc_policy"], p["backend_cleanup"]),
                    daemon=True,
                ),
            ),
        )
        properties = (
            invariants.NO_MISSING_PARENT,
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes((FIRST, RETRY), image.chain_ids()),
            invariants.retry_reuses_layer(RETRY),
            invariants.gc_sweeps_committed_layer(image.chain_ids()),
        )
        return Built(program, properties, bounds_text(p))

    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation:
        v = get_variant(self.check_variant(variant))
        p = self.resolve(params)
        if p["gc_runs"] == 0:
            return Expectation(Verdict.VACUOUS, None, "without GC nothing is ever swept")
        if p["layers"] < 2:
            return Expectation(Verdict.VACUOUS, None,
                "a single layer has no parent to lose, and no GC can sweep it: after its only "
                "Commit the pull never looks at its ctx again, so it completes and the image roots it",
            )
        if v.stat_early_return or not v.lease_on_exists:
            return Expectation(Verdict.VIOLATION, "no-missing-parent",
                "containerd issue 3787: the retry relies on an unleased snapshot",
            )
        return Expectation(Verdict.PASS, None, "PR 10723 + PR 10187: the snapshot is leased when relied on")


def bounds_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k.replace('_', '-')}={_show(v)}" for k, v in params.items())


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
