"""The corpus counterexamples of concurrent-pulls and commit-already-exists are told in
containerd's words (scenarios/issue_3787.py): who committed the shared layer, that CRI's
pull progress reporter cancelled that pull and its done() deleted the lease, how the
concurrent pull relied on the layer without leasing it (Stat; or Commit's AlreadyExists
before PR 10187's Commit half), the sweep and the failing Prepare.

The sentences expected are the mechanism of containerd-semantics §5.3 as the module's
docstring tells it, not copied from a run; step numbers are left out."""

from __future__ import annotations

import re

import pytest
from unpack_race.scenarios import api
from unpack_race.scenarios.regression_corpus import CORPUS


def story(name: str) -> str:
    explained = api.explain(CORPUS / name)
    assert explained.story is not None, f"{name}: the run has no story"
    return " ".join(explained.story)


def test_the_concurrent_pull_under_the_stat_early_return_is_told_as_issue_3787s_race():
    text = story("concurrent-pulls.stat-early-return.schedule.json")
    assert re.search(r"pull-1 committed sha256:c1 in lease lease-pull-1 \(step \d+\); pull-1 made no progress "
                     r"for image_pull_progress_timeout and CRI's progress reporter cancelled it \(step \d+\), and "
                     r"pull-1's deferred done\(\) deleted lease lease-pull-1 \(step \d+\): nothing roots sha256:c1 "
                     r"any more\.", text)
    assert re.search(r"pull-2 stats sha256:c1 \(step \d+\): it exists, so the unpacker skips the layer", text)
    assert "parent snapshot sha256:c1 does not exist: not found" in text
    assert "This is the race of containerd issue 3787, with pull-2 pulling at the same time as pull-1" in text
    assert "kubelet restarted" not in text  # a restart would have cancelled pull-2 as well


def test_the_prepare_half_alone_is_told_through_commits_already_exists():
    text = story("commit-already-exists.prepare-half-only.schedule.json")
    assert re.search(r'pull-2 commits its own extraction of sha256:c1 and gets snapshot "sha256:c1": already '
                     r"exists \(step \d+\): another pull committed it first, and without PR 10187's Commit half "
                     r"sha256:c1 is not added to lease lease-pull-2", text)
    assert "parent snapshot sha256:c1 does not exist: not found" in text


@pytest.mark.parametrize("name", ["commit-already-exists.commit-half-only.schedule.json",
                                  "commit-already-exists.prepare-without-lease.schedule.json"])
def test_without_the_prepare_half_the_story_names_prepares_unleased_already_exists(name):
    text = story(name)
    assert "parent snapshot sha256:c1 does not exist: not found" in text
    assert ('target snapshot "sha256:c1": already exists' in text
            or 'snapshot "sha256:c1": already exists' in text)
