"""The names containerd gives things: labels, lock keys, snapshot keys, error texts.

Chain IDs and digests are symbolic (`sha256:c1` is the chain ID of the bottom layer,
`sha256:c2` of the bottom two, ...) so that traces read like the issue thread; their
real values are digests of diff IDs (identity.ChainID) and play no part in the race.
"""

from __future__ import annotations

NAMESPACE = "k8s.io"  # CRI's namespace
SNAPSHOTTER = "overlayfs"

# Labels (core/snapshots, core/metadata/gc.go, core/unpack/unpacker.go)
SNAPSHOT_REF = "containerd.io/snapshot.ref"
UNCOMPRESSED = "containerd.io/uncompressed"
GC_REF_SNAPSHOT = f"containerd.io/gc.ref.snapshot.{SNAPSHOTTER}"
GC_REF_CONTENT = "containerd.io/gc.ref.content"
GC_ROOT = "containerd.io/gc.root"

#: client.WithLease: leases.WithExpiration(24 * time.Hour), in virtual seconds.
LEASE_EXPIRY_SECONDS = 24 * 60 * 60


def chain_id(layer: int, own: str = "") -> str:
    """identity.ChainID(diffIDs[:layer+1]) for the 0-based `layer`; `own` marks a layer of
    another image above a shared base (sha256:c2b: that image's two bottom layers)."""
    return f"sha256:c{layer + 1}{own}"


def layer_digest(layer: int, own: str = "") -> str:
    return f"sha256:l{layer + 1}{own}"


def diff_id(layer: int, own: str = "") -> str:
    return f"sha256:d{layer + 1}{own}"


def unpack_lock_key(chain: str) -> str:
    """The duplication suppressor key of one layer (core/unpack/unpacker.go)."""
    return f"sn://{SNAPSHOTTER}/{chain}"


def extract_key(pull: str, attempt: int, chain: str) -> str:
    """snapshots.UnpackKeyFormat = "extract-%s %s": containerd fills the first %s with
    "<nanoseconds>-<3 random bytes>"; the model uses the pull and a per-pull attempt
    number, which is just as unique and deterministic."""
    return f"extract-{pull}.{attempt} {chain}"


def backend_key(seq: int, key: str) -> str:
    """The backend snapshotter's key for a metadata snapshot: "<ns>/<seq>/<key>".

    containerd takes `seq` from one per-snapshotter bolt sequence; all that matters is
    that every creation gets a new backend key (a re-created sha256:X must not match the
    old one). The model numbers the creations of each key instead (`World.generations`):
    the same uniqueness, without a global counter that would make any two creations look
    dependent to a partial-order reduction."""
    return f"{NAMESPACE}/{seq}/{key}"
