"""containerd, as data and actors: the metadata snapshotter, leases, content, images, the
garbage collector, the CRI-wide keyed mutex, the unpacker, the pull client and the
kubelet. Each step is an effect (see `scheduler.effect`) whose docstring names the
containerd function it follows; `containerd-semantics.md` (in ../shared) is the source.

This package knows nothing of scheduling strategies; it uses only the effect protocol.
"""
