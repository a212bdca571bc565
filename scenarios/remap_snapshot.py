"""Scenario remap-snapshot: client/snapshotter_opts_unix.go resolveSnapshotOptions at
containerd HEAD (301026e58), the other Stat then use of the client. A container is created
with user-namespace remap labels on a snapshotter without the remap-ids capability: the
client stats the remapped snapshot (a chown'ed copy of the image's top layer, named by a
digest of the parent and the mapping) and, finding it, prepares the container's snapshot on
it, having leased nothing (model/remap.py, model/containers.py).

The remapped snapshot was committed by an earlier container's NewContainer under that call's
lease, gone since: only the containers whose snapshots have it as their parent keep it alive
(a container record roots its snapshot key, core/metadata/gc.go). While one of them is
deleted with its snapshot (`ctr c rm`, CRI RemoveContainer: container.Delete with
WithSnapshotCleanup), the GC scheduler collects (a snapshot Remove and a container delete
both mark the db dirty); a creation that found the remapped snapshot just before then
prepares on a parent that is gone: `parent snapshot sha256:remap-c1 does not exist: not
found`, returned by NewContainer as it is.

This is an inference from reading the code, with no field report found (the issues corpus,
searched for the remap path, has none); the expected verdict of `head` is that reading's.
CRI's own WithNewSnapshot (internal/cri/opts/container.go) retries once after a NotFound,
after unpacking the image again, and would recover from one loss; `ctr run --remap-labels`
and other clients of client.WithNewSnapshot do not. `lease-first` is the fix idea of
model/remap.py.

Actors: create-b (NewContainer of ctr-b with the remap labels), delete-a (container.Delete of
ctr-a with WithSnapshotCleanup), gc (the GC scheduler's collections: under gc-policy
`scheduler`, the default, each one that becomes due, as the container delete and the
snapshot Remove make one; under `any` or `dirty`, `gc-runs` of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unpack_race.model.collector import garbage_collector
from unpack_race.model.containers import created_container, delete_container, new_container
from unpack_race.model.gc import SCHEDULER, daemon_gc
from unpack_race.model.image import ImageSpec
from unpack_race.model.pulled import pulled_image
from unpack_race.model.remap import REMAP_LABELS, remapped_snapshot, resolve_snapshot_options, userns_id
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import invariants
from unpack_race.scenarios.base import Built, Expectation, Param, Unreachable
from unpack_race.scenarios.containerd_scenario import CallerScenario, Code, gc_policy_param
from unpack_race.scenarios.layer_invariants import reuses
from unpack_race.scenarios.retry_after_cancel import bounds_text
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.verdict import Verdict

CREATOR, DELETER, GC = "create-b", "delete-a", "gc"
REUSES, SWEEPS = "reuses-remapped-snapshot", "gc-sweeps-committed-layer"
NO_GC = ("without a collection nothing is swept: a snapshot Remove deletes only the key it names (ctr-a), never "
         "its parent, so the remapped snapshot the creation relies on cannot disappear [§2.5, §4.2]")
READING = ("an inference from reading client/snapshotter_opts_unix.go resolveSnapshotOptions at 301026e58 (no "
           "field report found): the Stat that finds the remapped snapshot leases nothing, as pkg/rootfs's")


def _no_gc(params: Mapping[str, Any]) -> bool:
    """No collection can run: under gc-policy any or dirty, no GC run."""
    return params["gc-policy"] != SCHEDULER and not params["gc-runs"]


def _head(params: Mapping[str, Any]) -> Expectation:
    if _no_gc(params):
        return Expectation(Verdict.PASS, None, "the race cannot occur: " + NO_GC)
    return Expectation(Verdict.VIOLATION, invariants.NO_MISSING_PARENT.name, READING)


def _fixed(params: Mapping[str, Any]) -> Expectation:
    return Expectation(Verdict.PASS, None, "the design: the remapped snapshot is in the ctx's lease before the Stat "
                                           "that finds it (as BuildKit's PR 6558 leases its top chain)")


CODES = (
    Code("head", "containerd 301026e58 (HEAD); the Stat then use is as old as the remap helper (c76bf5504, 2020)",
         "resolveSnapshotOptions stats the remapped snapshot and uses it as the parent, with no lease",
         lambda actor, chain: new_container(actor, "ctr-b", chain, resolve_snapshot_options, REMAP_LABELS), _head),
    Code("lease-first", "a fix idea, not in containerd",
         "AddResource(the remapped snapshot) to NewContainer's lease, then the Stat",
         lambda actor, chain: new_container(
             actor, "ctr-b", chain, lambda ctx, parent: resolve_snapshot_options(ctx, parent, lease_first=True),
             REMAP_LABELS),
         _fixed),
)


def unreachable(params: Mapping[str, Any]) -> tuple[Unreachable, ...]:
    return (Unreachable(SWEEPS, NO_GC),) if _no_gc(params) else ()


class RemapSnapshot(CallerScenario):
    name = "remap-snapshot"
    summary = ("client WithNewSnapshot's resolveSnapshotOptions at HEAD (Stat of the user-namespace remapped "
               "snapshot, then used as the parent) while another container on it is deleted and GC runs")
    params = (
        Param("layers", 1, "image layers", minimum=1, maximum=4),
        Param("gc-runs", 1, "how many times GC may run under gc-policy any or dirty (under scheduler it runs "
              "whenever a collection is due: a snapshot Remove or a container delete makes one due)",
              minimum=0, maximum=3),
        gc_policy_param(),
    )
    codes = CODES

    def build(self, variant: str, params: Mapping[str, Any]) -> Built:
        code = self.variant_definition(variant)
        p = self.resolve(params)
        image = ImageSpec(layers=p["layers"])
        top = image.chain_ids()[-1]

        def make_world() -> World:
            world = World(lease_on_exists=True, pulls={CREATOR: PullContext(requested=True)},  # HEAD: PR 10187 on
                          **daemon_gc(p["gc-policy"]))
            pulled_image(world, image, unpacked=True)
            created_container(world, "ctr-a", remapped_snapshot(world, top), REMAP_LABELS)
            return world

        actors = [ActorSpec(CREATOR, lambda: code.unpacker(CREATOR, top)),
                  ActorSpec(DELETER, lambda: delete_container("ctr-a", "ctr-a"))]
        if not _no_gc(p):
            actors.append(ActorSpec(GC, lambda: garbage_collector(p["gc-runs"], p["gc-policy"]), daemon=True))
        remapped = userns_id(top)
        gone = unreachable(p)
        sought = (reuses(CREATOR, REUSES, f"{CREATOR} finds the remapped snapshot that only ctr-a's snapshot holds"),
                  invariants.gc_sweeps_committed_layer((remapped,)))
        properties = (
            invariants.NO_MISSING_PARENT,
            invariants.GC_SWEEPS_ONLY_UNREACHABLE,
            invariants.pull_completes((CREATOR,), (*image.chain_ids(), remapped)),
            *(prop for prop in sought if prop.name not in {u.property for u in gone}),
        )
        return Built(Program(f"{self.name}[{variant}]", make_world, tuple(actors)), properties, bounds_text(p), gone)
