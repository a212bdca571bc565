"""Error kinds and texts (model/errdefs.py), containerd's names (model/names.py) and the
four code variants (model/variants.py)."""

from __future__ import annotations

import pytest
from unpack_race.model.errdefs import (
    AlreadyExists,
    Canceled,
    ContainerdError,
    FailedPrecondition,
    NotFound,
)
from unpack_race.model.names import backend_key, chain_id, extract_key, unpack_lock_key
from unpack_race.model.variants import VARIANTS, variant
from unpack_race.scheduler.effect import Failure


def test_an_error_text_ends_with_its_sentinel_as_go_wraps_it():
    assert str(NotFound("snapshot k does not exist")) == "snapshot k does not exist: not found"
    assert str(AlreadyExists('snapshot "k"')) == 'snapshot "k": already exists'
    assert str(FailedPrecondition("cannot remove snapshot with child")) == (
        "cannot remove snapshot with child: failed precondition"
    )


def test_context_canceled_is_just_gos_text():
    assert str(Canceled()) == "context canceled"


def test_wrapping_keeps_the_kind_and_prefixes_the_text():
    wrapped = NotFound("parent snapshot sha256:c1 does not exist").wrap(
        'failed to prepare extraction snapshot "extract-pull-1.0 sha256:c2"'
    )
    assert isinstance(wrapped, NotFound)
    assert str(wrapped) == (
        'failed to prepare extraction snapshot "extract-pull-1.0 sha256:c2": '
        "parent snapshot sha256:c1 does not exist: not found"
    )
    assert str(Canceled().wrap("outer")) == "outer: context canceled"


def test_errors_are_equal_by_kind_and_text_and_are_scheduler_failures():
    assert NotFound("x") == NotFound("x")
    assert hash(NotFound("x")) == hash(NotFound("x"))
    assert NotFound("x") != AlreadyExists("x")
    assert NotFound("x") != NotFound("y")
    assert isinstance(NotFound("x"), ContainerdError) and isinstance(NotFound("x"), Failure)


def test_containerd_names_follow_the_formats_the_go_code_uses():
    assert chain_id(0) == "sha256:c1"
    assert unpack_lock_key("sha256:c1") == "sn://overlayfs/sha256:c1"
    assert extract_key("pull-1", 0, "sha256:c1") == "extract-pull-1.0 sha256:c1"
    assert backend_key(7, "sha256:c1") == "k8s.io/7/sha256:c1"


def test_the_variants_are_the_four_combinations_of_the_two_switches():
    assert sorted((v.stat_early_return, v.lease_on_exists) for v in VARIANTS) == [
        (False, False), (False, True), (True, False), (True, True)
    ]
    fixed = variant("prepare-with-lease")
    assert (fixed.stat_early_return, fixed.lease_on_exists) == (False, True)


def test_an_unknown_variant_lists_the_known_ones():
    with pytest.raises(KeyError, match="the variants are: stat-early-return-no-lease, stat-early-return"):
        variant("nope")
