"""What the scenarios of an image delete racing an unpack share (containerd-semantics §5.3;
issue 3787 as Random-Liu first reported it in 2019-10, on v1.3, where the unpack went
through rootfs.ApplyLayerWithOpts; #2382, #3635): two images with the same bottom layers,
the world they start from, the actor removing the one image, the background GC, and the
parameters and properties that go with them.

- `base` (docker.io/library/base:latest) has the `shared` bottom layers; it was pulled and
  unpacked, and its pull's lease is gone, so the image record is the only root of its
  chain (model/pulled.py);
- `app` (docker.io/library/app:latest) has those layers and `own` more above them; the
  scenario says whether it is being pulled or is stored already and being unpacked;
- `remove-image` removes base through CRI RemoveImage, whose last reference is deleted with
  images.SynchronousDelete(), and so waits for a collection (model/remove_image.py);
- `gc` is the GC scheduler's goroutine (model/collector.py): under gc-policy `scheduler`,
  the default, it runs every collection that becomes due, RemoveImage's ScheduleAndWait
  and each deletion's among them; under `any` (or `dirty`) it runs `gc-runs` more
  collections at any step (or only while the db is dirty), for the other triggers a
  daemon has, and RemoveImage collects as its own step (model/synchronous_gc.py).

While base is deleted and collected, app's lower layers exist only because of base; the
unpacker of app that observes one of them without leasing it loses it to that collection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from unpack_race.model.collector import garbage_collector
from unpack_race.model.gc import SCHEDULER, daemon_gc
from unpack_race.model.image import ImageSpec
from unpack_race.model.pulled import pulled_image
from unpack_race.model.remove_image import remove_image
from unpack_race.model.unpacker import Steps
from unpack_race.model.world import PullContext, World
from unpack_race.scenarios import invariants
from unpack_race.scenarios.base import Param
from unpack_race.scenarios.containerd_scenario import gc_policy_param
from unpack_race.scenarios.layer_invariants import reuses_deleted_image_layer
from unpack_race.scheduler.program import ActorSpec, Program
from unpack_race.scheduler.properties import Property

REMOVER, GC = "remove-image", "gc"


def shared_param(default: int) -> Param:
    return Param("shared", default, "bottom layers the unpacked image shares with the image being removed",
                 minimum=1, maximum=4)


def own_param(default: int) -> Param:
    return Param("own", default, "layers of the unpacked image above the shared ones", minimum=0, maximum=3)


GC_PARAMS = (
    Param("gc-runs", 0, "how many more times GC may run under gc-policy any or dirty (besides a synchronous "
          "delete's own collection; under scheduler it runs whenever a collection is due)", minimum=0, maximum=3),
    gc_policy_param(),
)


def base_image(params: Mapping[str, Any]) -> ImageSpec:
    """The image being removed: the shared layers only."""
    return ImageSpec(name="docker.io/library/base:latest", layers=params["shared"],
                     manifest="sha256:mb", config="sha256:fb")


def app_image(params: Mapping[str, Any]) -> ImageSpec:
    """The image being unpacked: the shared layers and its own above them."""
    return ImageSpec(layers=params["shared"] + params["own"])


def world(lease_on_exists: bool, unpacker: str, app: ImageSpec, base: ImageSpec, app_stored: bool,
          params: Mapping[str, Any]) -> World:
    """The daemon before the race: base pulled and unpacked; app stored (not unpacked) if
    `app_stored`; the unpacker's ctx, never cancelled; its GC under the gc-policy."""
    daemon = World(lease_on_exists=lease_on_exists, pulls={unpacker: PullContext(requested=True)},
                   **daemon_gc(params["gc-policy"]))
    pulled_image(daemon, base, unpacked=True)
    if app_stored:
        pulled_image(daemon, app, unpacked=False)
    return daemon


def other_actors(base: ImageSpec, params: Mapping[str, Any]) -> list[ActorSpec]:
    """RemoveImage of base, and the GC scheduler's goroutine if it may run."""
    actors = [ActorSpec(REMOVER, lambda: remove_image(base.name, REMOVER, params["gc-policy"]))]
    if params["gc-policy"] == SCHEDULER or params["gc-runs"]:
        actors.append(ActorSpec(GC, lambda: garbage_collector(params["gc-runs"], params["gc-policy"]), daemon=True))
    return actors


def caller_program(name: str, caller: str, unpacker: Callable[[str, ImageSpec], Steps], base: ImageSpec,
                   app: ImageSpec, params: Mapping[str, Any]) -> Program:
    """The program of a pkg/rootfs caller: the actor `caller` runs `unpacker(caller, app)` on
    app (stored, not unpacked) while base is removed, at HEAD's metadata semantics (PR
    10187 on)."""
    actors = (ActorSpec(caller, lambda: unpacker(caller, app)), *other_actors(base, params))
    return Program(name, lambda: world(True, caller, app, base, app_stored=True, params=params), actors)


def sought(unpacker: str, app: ImageSpec) -> tuple[Property, ...]:
    """The `sometimes` properties: the unpacker finds a layer only base holds; a collection
    sweeps a committed layer. The second is reachable under every variant and parameter:
    base's chain exists when the unpacker starts, and RemoveImage's collection may come
    before the unpacker leases or re-creates anything. The first is wherever the unpacker
    looks at the shared chain IDs (the unpacker's Stat or target label, pkg/rootfs's
    per-layer Stat) before that collection; ApplyLayers, which looks only at the top chain
    ID, does not when the image has a layer of its own (rootfs_apply_layers.unreachable)."""
    return (reuses_deleted_image_layer(unpacker), invariants.gc_sweeps_committed_layer(app.chain_ids()))
