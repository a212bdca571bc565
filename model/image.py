"""The image being pulled: an OCI manifest, a config and N layers, with the digests and
chain IDs containerd derives from them (symbolic, see model/names.py)."""

from __future__ import annotations

import attrs
from unpack_race.model.names import GC_REF_CONTENT, chain_id, layer_digest


@attrs.frozen
class ImageSpec:
    name: str = "docker.io/library/app:latest"
    layers: int = 2
    manifest: str = "sha256:m0"
    config: str = "sha256:f0"

    def chain_ids(self) -> tuple[str, ...]:
        return tuple(chain_id(i) for i in range(self.layers))

    def manifest_labels(self) -> tuple[tuple[str, str], ...]:
        """images.SetChildrenMappedLabels: the manifest references its config and layers."""
        labels = [(f"{GC_REF_CONTENT}.config", self.config)]
        labels += [(f"{GC_REF_CONTENT}.l.{i}", layer_digest(i)) for i in range(self.layers)]
        return tuple(labels)
