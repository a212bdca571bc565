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
from unpack_race.model.unpacker import stat_early_return
from unpack_race.model.switches import LeaseOnExists
from unpack_race.model.variants import HALVES, SHIPPED, Variant, register, registered, unregister, variant
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
    assert chain_id(1, "b") == "sha256:c2b"  # another image's own layer above a shared base
    assert unpack_lock_key("sha256:c1") == "sn://overlayfs/sha256:c1"
    assert extract_key("pull-1", 0, "sha256:c1") == "extract-pull-1.0 sha256:c1"
    assert backend_key(7, "sha256:c1") == "k8s.io/7/sha256:c1"


def test_the_shipped_variants_are_the_four_combinations_of_containerds_two_changes():
    assert sorted((v.skip_check is stat_early_return, v.lease_on_exists.whole) for v in SHIPPED) == [
        (False, False), (False, True), (True, False), (True, True)
    ]
    fixed = variant("prepare-with-lease")
    assert (fixed.skip_check, fixed.lease_on_exists) == (None, LeaseOnExists(prepare=True, commit=True))


def test_every_shipped_variant_has_both_halves_of_pr_10187_or_neither_as_every_release_had():
    # c7fb8a925 changed createSnapshot and Commit in one commit; the backports (v1.6.32, v1.7.17) did the same
    assert all(v.lease_on_exists.prepare == v.lease_on_exists.commit for v in SHIPPED)


def test_the_halves_are_the_two_combinations_no_release_had_and_are_not_registered():
    assert [(h.lease_on_exists.prepare, h.lease_on_exists.commit) for h in HALVES] == [(True, False), (False, True)]
    assert all(h.skip_check is None and h.releases.startswith("never released") for h in HALVES)
    assert not {h.name for h in HALVES} & {v.name for v in registered()}


def test_a_bool_stands_for_both_halves_and_the_pair_refuses_to_be_one_truth_value():
    assert LeaseOnExists.of(True) == LeaseOnExists(True, True)
    assert LeaseOnExists.of(False) == LeaseOnExists(False, False)
    assert a_variant("old-style").lease_on_exists == LeaseOnExists(True, True)  # a variant file before the split
    with pytest.raises(TypeError, match="ask for lease_on_exists.prepare"):
        bool(LeaseOnExists(True, False))
    with pytest.raises(TypeError, match="must be True, False or a LeaseOnExists"):
        LeaseOnExists.of("yes")


def test_a_variant_says_its_code_path_with_both_halves():
    assert variant("stat-early-return").code() == (
        "Stat(chainID) then skip (before PR 10723); PR 10187: Prepare half on, Commit half on")
    assert HALVES[0].code() == "always Prepare (PR 10723); PR 10187: Prepare half on, Commit half off"


def test_containerds_history_fixes_issue_3787_only_with_both_changes():
    # PR 10723 (no Stat early return) needs PR 10187 (lease on AlreadyExists): 1.6.37, 1.7.23, 2.0.0
    assert [v.name for v in SHIPPED if v.violates is None] == ["prepare-with-lease"]
    assert {v.violates for v in SHIPPED if v.violates} == {"no-missing-parent"}


def a_variant(name: str) -> Variant:
    return Variant(name, "an idea", "always Prepare", None, True, None, "a test")


def test_a_registered_variant_is_listed_after_the_shipped_ones_until_it_is_unregistered():
    before = registered()  # the shipped ones first, then any UNPACK_RACE_VARIANT_FILES names
    assert before[: len(SHIPPED)] == SHIPPED
    register(a_variant("my-idea"))
    try:
        assert [v.name for v in registered()] == [v.name for v in before] + ["my-idea"]
        assert variant("my-idea").releases == "an idea"
        with pytest.raises(ValueError, match="a variant named 'my-idea' is already registered"):
            register(a_variant("my-idea"))
    finally:
        unregister("my-idea")
    assert registered() == before


def test_a_shipped_variant_cannot_be_replaced_or_removed():
    with pytest.raises(ValueError, match="already registered"):
        register(a_variant("prepare-with-lease"))
    with pytest.raises(ValueError, match="one of the shipped variants"):
        unregister("prepare-with-lease")


@pytest.mark.parametrize("name", ["", "My-Idea", "a b", "-x", "x/y", "x" * 65])
def test_a_variant_name_must_be_fit_for_a_file_name(name):
    with pytest.raises(ValueError, match="lower-case letters, digits"):
        a_variant(name)


def test_an_unknown_variant_lists_the_known_ones():
    with pytest.raises(KeyError, match="the variants are: stat-early-return-no-lease, stat-early-return"):
        variant("nope")


def test_a_skip_check_that_is_not_a_generator_function_is_refused_when_the_variant_is_defined():
    with pytest.raises(ValueError, match="skip_check must be None or a generator function"):
        Variant("my-idea", "an idea", "Stat then skip", lambda ctx, chain: True, True, None, "a test")
