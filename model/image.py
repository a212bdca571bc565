"""The image being pulled: an OCI manifest, a config and N layers, with the digests and
chain IDs containerd derives from them (symbolic, see model/names.py).

Two images can share a base: with `own` set, the layers from `shares` up are the image's
own (their digests, diff IDs and so chain IDs carry `own`: sha256:l2b, sha256:c2b), and
those below are the same layers as the default image's (sha256:l1, sha256:c1), as two
images built FROM one base share its chain IDs (identity.ChainID of the same diff IDs)."""

from __future__ import annotations

import attrs
from unpack_race.model import names
from unpack_race.model.names import GC_REF_CONTENT


@attrs.frozen
class ImageSpec:
    name: str = "docker.io/library/app:latest"
    layers: int = 2
    manifest: str = "sha256:m0"
    config: str = "sha256:f0"
    own: str = ""  # the suffix of the image's own layers; "" : every layer is the base's
    shares: int = 0  # with `own`: how many bottom layers it shares with the base

    def _own(self, layer: int) -> str:
        return self.own if self.own and layer >= self.shares else ""

    def chain_id(self, layer: int) -> str:
        return names.chain_id(layer, self._own(layer))

    def layer_digest(self, layer: int) -> str:
        return names.layer_digest(layer, self._own(layer))

    def diff_id(self, layer: int) -> str:
        return names.diff_id(layer, self._own(layer))

    def chain_ids(self) -> tuple[str, ...]:
        return tuple(self.chain_id(i) for i in range(self.layers))

    def manifest_labels(self) -> tuple[tuple[str, str], ...]:
        """images.SetChildrenMappedLabels: the manifest references its config and layers."""
        labels = [(f"{GC_REF_CONTENT}.config", self.config)]
        labels += [(f"{GC_REF_CONTENT}.l.{i}", self.layer_digest(i)) for i in range(self.layers)]
        return tuple(labels)
