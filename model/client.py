"""A CRI image pull: internal/cri/server/images/image_pull.go PullImage over
client.Pull (client/pull.go), containerd-semantics §3.2-3.3.

  ctx, done := client.WithLease(ctx)       -> CreateLease (24 h), on the ctx
  defer done(ctx)                          -> DeleteLease, even when cancelled
  fetch: manifest, config                  -> FetchBlob x2 (a cancelled ctx fails)
  unpacker: every layer, config label      -> model.unpacker.unpack
  unpacker.Wait(); createNewImage          -> CreateImage
CRI wraps a failure as `failed to pull and unpack image "<ref>": <err>`.
"""

from __future__ import annotations

import attrs
from unpack_race.model.content import FetchBlob
from unpack_race.model.errdefs import ContainerdError
from unpack_race.model.image import ImageSpec
from unpack_race.model.images import CreateImage
from unpack_race.model.leases import CreateLease, DeleteLease
from unpack_race.model.unpacker import Ctx, Steps, UnpackOptions, unpack
from unpack_race.model.world import World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


def lease_id(pull: str) -> str:
    """client.WithLease makes a random ID; the model names it after the pull."""
    return f"lease-{pull}"


@attrs.frozen
class AwaitPullRequest(Effect):
    """The CRI PullImage RPC arrives (for a retry: once the kubelet sends it)."""

    outcome_key = result_ignored  # no actor reads the result

    pull: str

    def enabled(self, world: World) -> bool:
        return world.pulls[self.pull].requested

    def blocked_on(self, world: World) -> str:
        return f"the kubelet has not asked for {self.pull} yet"

    def apply(self, world: World) -> str:
        return self.pull

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(reads={f"pull/{self.pull}"})

    def narrate(self, actor, result, error) -> str:
        return f"{actor}: CRI receives the kubelet's PullImage request"


def pull_image(pull: str, image: ImageSpec, options: UnpackOptions, wait_for_request: bool) -> Steps:
    """PullImage -> client.Pull with WithPullUnpack; returns the image name."""
    if wait_for_request:
        yield AwaitPullRequest(pull)
    lease = lease_id(pull)
    yield CreateLease(lease, pull)
    ctx = Ctx(pull, lease)
    try:
        yield FetchBlob(image.manifest, "manifest", lease, pull, image.manifest_labels())
        yield FetchBlob(image.config, "config", lease, pull)
        yield from unpack(ctx, image, options)
        yield CreateImage(image.name, image.manifest)
    except ContainerdError as err:
        yield from done(lease, pull)
        raise err.wrap(f'failed to pull and unpack image "{image.name}"')
    yield from done(lease, pull)
    return image.name


def done(lease: str, pull: str) -> Steps:
    """The deferred done(ctx) of client.WithLease (client/lease.go): delete the lease. Pull
    ignores its error, as do (*image).Unpack and the other callers that defer it."""
    try:
        yield DeleteLease(lease, pull)
    except ContainerdError:
        pass
