"""The content store as the pull and the unpacker use it (core/metadata/content.go,
core/remotes fetch handlers, images.SetChildrenMappedLabels).

A blob is written under the pull's lease: if it already exists, the content Writer adds
it to the lease in the same transaction as the existence check and returns
AlreadyExists (content has had "lease on exists" since v1.1); otherwise the ingest is
committed and leased. The model folds the ingest (its own lease, its own transaction)
into one step: nothing in the race reads ingests.
"""

from __future__ import annotations

import attrs
from unpack_race.model import leases
from unpack_race.model.errdefs import Canceled, NotFound
from unpack_race.model.world import Blob, World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


def write_blob(world: World, digest: str, lease: str, labels: tuple[tuple[str, str], ...]) -> bool:
    """Write (or find) a blob under the lease; return True when it was already there."""
    leases.check_lease(world, lease)
    blob = world.content.get(digest)
    existed = blob is not None
    merged = dict(blob.labels) if blob else {}
    merged.update(labels)
    world.content[digest] = Blob(tuple(sorted(merged.items())))
    leases.add_content_lease(world, lease, digest)
    # the DB.Updates of client.Pull's handlers for one blob (client/pull.go fetch): the
    # Writer's (it commits the content lease when the blob exists) and a new blob's
    # Commit (core/metadata/content.go), SetChildrenMappedLabels' Update of the children
    # labels, and AppendDistributionSourceLabel's Update (core/remotes/docker/handler.go;
    # a label no step reads, so the model does not write it)
    world.updated(f"lease/{lease}", (1 if existed else 2) + (1 if labels else 0) + 1)
    return existed


def fetch(world: World, pull: str, digest: str, lease: str, labels=()) -> bool:
    """A fetch under the pull's ctx: a cancelled ctx fails it with `context canceled`;
    otherwise the blob is written (or found) under the lease. True if it was there."""
    if world.pulls[pull].cancelled:
        raise Canceled()
    return write_blob(world, digest, lease, labels)


def fetch_footprint(pull: str, digest: str, lease: str) -> Footprint:
    return Footprint.of(reads={f"pull/{pull}"}, writes={f"content/{digest}", f"lease/{lease}"})


@attrs.frozen
class FetchBlob(Effect):
    """client.Pull's fetch (client/pull.go `fetch`, remotes.FetchHandler): fetch one
    blob (the manifest, then the config) under the pull's ctx and lease. A cancelled ctx
    fails the fetch with `context canceled`: the manifest's step folds in the resolve,
    whose Go error wraps that text in the resolver's (`failed to resolve reference
    "<ref>": failed to do request: Head "<url>": context canceled`, client/pull.go fetch)
    when the cancel lands before the HEAD request, and Dispatch's limiter returns it bare
    after it; no step reads more of it than errors.Is(err, context.Canceled). For the manifest, the children labels that
    images.SetChildrenMappedLabels sets (gc.ref.content.config, gc.ref.content.l.<i>)
    are written in the same step; the manifest is leased, so GC cannot tell the
    difference."""

    outcome_key = result_ignored  # no actor reads the result

    digest: str
    what: str  # "manifest" or "config", for the narration
    lease: str
    pull: str
    labels: tuple[tuple[str, str], ...] = ()

    def apply(self, world: World) -> str:
        existed = fetch(world, self.pull, self.digest, self.lease, self.labels)
        return "already present, leased" if existed else "fetched, leased"

    def footprint(self, world: World | None = None) -> Footprint:
        return fetch_footprint(self.pull, self.digest, self.lease)

    def narrate(self, actor, result, error) -> str:
        if error:
            return f"{actor} fetching the {self.what} {self.digest} fails: {error}"
        return f"{actor} fetches the {self.what} {self.digest} ({result} in {self.lease})"


@attrs.frozen
class UpdateContentLabels(Effect):
    """content.Store.Update with label fieldpaths (core/metadata/content.go
    (*contentStore).Update at d7f83034c, metadata/content.go in 1.6 and 1.7): one write
    transaction; a missing blob is `content digest <digest>: not found`
    (`fmt.Errorf("content digest %v: %w", info.Digest, errdefs.ErrNotFound)`). The unpacker sets
    containerd.io/uncompressed on each layer blob after Commit, and, after the last
    layer, containerd.io/gc.ref.snapshot.<snapshotter> = <top chain ID> on the config:
    the edge that lets the image keep its snapshot chain alive."""

    outcome_key = result_ignored  # no actor reads the result

    digest: str
    labels: tuple[tuple[str, str], ...]
    what: str = "blob"

    def apply(self, world: World) -> str:
        blob = world.content.get(self.digest)
        if blob is None:
            raise NotFound(f"content digest {self.digest}")
        merged = blob.label_map()
        merged.update(self.labels)
        world.content[self.digest] = Blob(tuple(sorted(merged.items())))
        world.updated(f"content/{self.digest}")
        return self.digest

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"content/{self.digest}"})

    def narrate(self, actor, result, error) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in self.labels)
        if error:
            return f"{actor} cannot label the {self.what} {self.digest}: {error}"
        return f"{actor} labels the {self.what} {self.digest}: {labels}"
