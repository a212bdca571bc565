"""The close matches a one-line error suggests for a mistyped name (scheduler.suggestions)."""

from __future__ import annotations

from unpack_race.scheduler.suggestions import MOST, close_matches, did_you_mean

VARIANTS = ("stat-early-return-no-lease", "stat-early-return", "prepare-without-lease", "prepare-with-lease")


def test_a_transposition_a_missing_letter_or_a_wrong_case_finds_the_name():
    assert close_matches("prepare-with-leese", VARIANTS)[0] == "prepare-with-lease"
    assert did_you_mean("--layer", ("--layers", "--out", "--quiet")) == " (did you mean --layers?)"
    assert did_you_mean("GC-RUNS", ("layers", "gc-runs")) == " (did you mean gc-runs?)"
    assert did_you_mean("dsf", ("dfs", "random", "hypothesis")) == " (did you mean dfs?)"


def test_several_close_names_are_all_offered_the_closest_first():
    assert close_matches("stat-early-retrun", VARIANTS) == ["stat-early-return", "stat-early-return-no-lease"]
    assert did_you_mean("stat-early-retrun", VARIANTS) == (
        " (did you mean stat-early-return or stat-early-return-no-lease?)")
    assert len(close_matches("ab", [f"a{c}" for c in "bcdefgh"] + ["ba"])) <= MOST


def test_nothing_is_suggested_for_a_name_that_exists_is_far_from_all_or_is_huge():
    assert did_you_mean("dfs", ("dfs", "bfs")) == ""
    assert did_you_mean("kubernetes", VARIANTS) == ""
    assert did_you_mean("x" * 50_000, ("x" * 10,)) == ""
    assert did_you_mean("anything", ()) == ""


def test_the_suggestion_does_not_depend_on_the_order_names_are_given_in():
    names = ["token-ring-bad", "stack-bad", "account-bad", "twostage-bad"]
    assert close_matches("acount-bad", names) == close_matches("acount-bad", list(reversed(names)))
