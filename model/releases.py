"""The release lines of containerd, as far as the model can tell them apart: two facts
that differ between releases and that no variant (model/variants.py) is about, since
neither is a fix of issue 3787.

1. What a cancelled `kmutex.Lock` does on a free key. The duplication suppressor
   (internal/kmutex/kmutex.go, pkg/kmutex in 1.6 and 1.7, the same code in each) is a
   golang.org/x/sync semaphore.Weighted per key, and its Lock is `Acquire(ctx, 1)`.
   x/sync v0.7.0 made Acquire check `ctx.Done()` before taking a free slot ("We prefer
   to fail even if we could acquire the mutex without blocking"); before it, a free
   slot was taken whatever the ctx, and only a waiter saw the cancellation. Read in the
   vendored copy of each tag (`git show TAG:vendor/golang.org/x/sync/semaphore/
   semaphore.go`): v1.6.37 and v1.6.38 vendor v0.3.0, v1.6.39 v0.16.0; v1.7.23 and
   v1.7.24 v0.5.0, v1.7.25 v0.10.0; v2.0.0-rc.0 v0.6.0, v2.0.0-rc.1 to rc.3 v0.7.0,
   v2.0.0 v0.8.0. So the line does not decide it: 1.6.39 and 1.7.25 took the newer
   x/sync in the middle of their lines.
2. What the unpacker does when the wait for a layer's blob ends in a cancelled ctx (or a
   fetch error). containerd 1.6 (`unpacker.go` (*unpacker).unpack, doUnpackFn's select,
   the same at 74951d6cf^, v1.6.37 and v1.6.39) returns ctx.Err() (or the fetch error)
   without calling abort, so the active extraction snapshot stays in the pull's lease;
   1.7 (pkg/unpack/unpacker.go, since b550526cc, in v1.7.0) and 2.0
   (core/unpack/unpacker.go at d7f83034c) run `cleanup.Do(ctx, abort)`: sn.Remove(key)
   with a ctx that ignores the cancellation and keeps the lease.

A scenario takes the release as a parameter (`--release`), not as part of the variant:
every variant, the shipped four and a researcher's, meets both facts on every line. Each
value stands for the releases that share both facts; "2.0" is the default, and what the
model did before the facts were told apart.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Release:
    name: str  # the value of --release
    stands_for: str  # the containerd releases it stands for, with the x/sync they vendor
    #: x/sync v0.7.0+: semaphore.Acquire fails on a cancelled ctx even when the key is free
    acquire_checks_ctx_first: bool
    #: 1.7 and 2.0: the unpacker's wait aborts (Remove(key) under cleanup.Do); 1.6 returns without
    abort_on_cancel: bool


RELEASES: tuple[Release, ...] = (
    Release("2.0", "containerd 2.0.0-rc.1 and later (x/sync v0.7.0+)", True, True),
    Release("1.7.25", "containerd 1.7.25 and later 1.7 releases (x/sync v0.10.0+)", True, True),
    Release("1.7", "containerd 1.7.0 to 1.7.24 (x/sync v0.1.0 to v0.5.0), and 2.0.0-rc.0 (v0.6.0)", False, True),
    Release("1.6.39", "containerd 1.6.39 (x/sync v0.16.0)", True, False),
    Release("1.6", "containerd 1.6.3 to 1.6.38 (x/sync v0.3.0 or older); before 1.6.3 CRI had no kmutex "
            "(--no-kmutex)", False, False),
)

BY_NAME: dict[str, Release] = {r.name: r for r in RELEASES}
NAMES: tuple[str, ...] = tuple(BY_NAME)
DEFAULT = "2.0"


def release(name: str) -> Release:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown release {name!r}; the releases are: {', '.join(NAMES)}") from None


__all__ = ["DEFAULT", "NAMES", "RELEASES", "Release", "release"]
