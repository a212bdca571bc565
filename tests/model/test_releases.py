"""The release lines (model/releases.py) say what containerd's source says: which x/sync a
release vendors and whether its semaphore.Acquire checks the ctx first, and whether its
unpacker aborts when the wait for a layer sees the ctx done.

The expected facts below were read in containerd's tags (`git show TAG:vendor/modules.txt`,
`TAG:vendor/golang.org/x/sync/semaphore/semaphore.go`, `TAG:unpacker.go`,
`TAG:pkg/unpack/unpacker.go`, `TAG:core/unpack/unpacker.go`); where a mirror of containerd
is on this machine, the second test reads them again from it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from unpack_race.model.releases import DEFAULT, RELEASES, release

#: release value -> (a tag it stands for, x/sync's Acquire fails a cancelled ctx on a free key, the wait aborts)
READ_IN_THE_TAGS = {
    "2.0": ("v2.0.0", True, True),  # x/sync v0.8.0; core/unpack: cleanup.Do(ctx, abort)
    "1.7.25": ("v1.7.25", True, True),  # x/sync v0.10.0; pkg/unpack: cleanup.Do(ctx, abort)
    "1.7": ("v1.7.23", False, True),  # x/sync v0.5.0
    "1.6.39": ("v1.6.39", True, False),  # x/sync v0.16.0; unpacker.go: `case <-ctx.Done(): return ctx.Err()`
    "1.6": ("v1.6.37", False, False),  # x/sync v0.3.0
}
MIRROR = Path("/work/.mirror/containerd+containerd/repo")
#: where each line keeps the unpacker
UNPACKER = {"v1.6": "unpacker.go", "v1.7": "pkg/unpack/unpacker.go", "v2.0": "core/unpack/unpacker.go"}


def test_each_release_value_has_the_facts_read_in_its_tags():
    assert {r.name: (r.acquire_checks_ctx_first, r.abort_on_cancel) for r in RELEASES} == {
        name: facts[1:] for name, facts in READ_IN_THE_TAGS.items()}
    assert DEFAULT == "2.0"  # what the model did before the release lines were told apart
    with pytest.raises(KeyError, match="the releases are: 2.0, 1.7.25, 1.7, 1.6.39, 1.6"):
        release("1.5")


def _show(tag: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(MIRROR), "show", f"{tag}:{path}"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.skipif(not MIRROR.is_dir(), reason="no mirror of containerd on this machine")
@pytest.mark.parametrize("name", list(READ_IN_THE_TAGS))
def test_the_facts_are_what_the_mirrored_tags_hold(name):
    tag, ctx_first, aborts = READ_IN_THE_TAGS[name]
    semaphore = _show(tag, "vendor/golang.org/x/sync/semaphore/semaphore.go")
    assert ("We prefer to fail even if we could acquire" in semaphore) is ctx_first
    text = _show(tag, UNPACKER[tag[:4]])
    wait = text[text.index("case <-ctx.Done():"):][:120]
    assert ("cleanup.Do(ctx, abort)" in wait) is aborts
