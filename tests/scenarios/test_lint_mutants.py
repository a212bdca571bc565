"""The lint catches wrong footprints, fingerprints and outcome keys in the real model.

Each mutant breaks one thing on retry-after-cancel, the way a model change could: a
footprint that forgets a resource (patched on the effect class), a fingerprint that
leaves something out (a World subclass built into the scenario's program), an effect
that claims its result is ignored. The first five survived the whole test suite with
unchanged verdicts before the lint existed. Each runs within the smallest bounds that
reach the states where it shows (a parent needs two layers; the backend cleanup and
the "dirty" GC policy are parameters), under gc-policy any. The GC scheduler's own
state has its mutants in tests/model/test_gc_scheduler.py."""

from __future__ import annotations

import attrs
from unpack_race.model import gc, kmutex, leases, snapshotter
from unpack_race.model.world import World
from unpack_race.reports.lint_text import render
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.effect import Footprint, result_ignored
from unpack_race.scheduler.lint import lint

SCENARIO = scenario("retry-after-cancel")


def lint_retry(variant: str = "prepare-with-lease", world: type[World] | None = None, **params):
    """Lint retry-after-cancel under gc-policy any unless told otherwise: a GC that may
    fall at any step reaches the most states within the smallest bounds."""
    built = SCENARIO.build(variant, {"gc-policy": "any", **params})
    program = built.program
    if world is not None:
        make = program.make_world

        def make_world():
            made = make()
            return world(**{f.name: getattr(made, f.name) for f in attrs.fields(World)})

        program = attrs.evolve(program, make_world=make_world)
    return lint(program, built.properties)


def only(report, kind: str):
    found = [f for f in report.findings if f.kind == kind]
    assert found, f"no {kind} finding:\n{render(report)}"
    return found


def forgetting(monkeypatch, effect: type, *, reads=lambda e, w: (), writes=lambda e, w: ()) -> None:
    """Patch `effect.footprint` to forget some of its resources."""
    original = effect.footprint

    def footprint(self, world=None):
        found = original(self, world)
        return Footprint(found.reads - set(reads(self, world)), found.writes - set(writes(self, world)))

    monkeypatch.setattr(effect, "footprint", footprint)


# -- the five mutants that survived the old suite ----------------------------------------


def test_prepare_t1_forgetting_the_read_of_its_parent_bucket_is_caught(monkeypatch):
    forgetting(monkeypatch, snapshotter.PrepareT1, reads=lambda e, w: {f"snapshot/{e.parent}"})
    (found,) = only(lint_retry(layers=2), "undeclared-read")
    assert "PrepareT1(key='extract-pull-1.1 sha256:c2', parent='sha256:c1'" in found.summary
    assert "reads snapshot/sha256:c1 but its footprint does not declare it" in found.summary
    assert "snapshot/sha256:c1: world.snapshots['sha256:c1'] in apply()" in found.details


def test_commit_forgetting_the_write_of_its_parents_children_is_caught(monkeypatch):
    forgetting(monkeypatch, snapshotter.Commit, writes=lambda e, w: snapshotter._parent_of(w, e.key))
    summaries = [f.summary for f in only(lint_retry(layers=2), "undeclared-write")]
    assert any("Commit(name='sha256:c2'" in s and "writes snapshot/sha256:c1" in s for s in summaries)


class LeaseBlindWorld(World):
    def fingerprint(self):
        found = World.fingerprint(self)
        return found[:2] + found[3:]  # without the leases


def test_a_fingerprint_without_the_leases_is_caught():
    (found,) = only(lint_retry(world=LeaseBlindWorld, layers=1), "fingerprint")
    assert "two states with the same fingerprint differ in world.leases" in found.summary
    assert "gc's step GcCollect(policy='any') tells them apart" in found.summary
    assert "LeaseBlindWorld.fingerprint() must include what GcCollect reads" in found.advice


class GenerationBlindWorld(World):
    """The ghost field committed_by is gone (nothing read it); this is the same mistake
    on a field that something does read: PrepareT1 numbers backend keys from it."""

    def fingerprint(self):
        found = World.fingerprint(self)
        return found[:8] + found[9:]  # without the generations


def test_a_fingerprint_without_a_field_a_step_reads_is_caught():
    (found,) = only(lint_retry(world=GenerationBlindWorld, layers=1, **{"backend-cleanup": True}), "fingerprint")
    assert "differ in world.generations" in found.summary and "PrepareT1" in found.summary


class ClockBlindWorld(World):
    def fingerprint(self):
        found = World.fingerprint(self)
        return found[:9] + found[10:]  # without the clock


def test_a_fingerprint_without_a_field_nothing_changes_here_is_sound_and_lint_says_nothing():
    # retry-after-cancel lets no time pass: every world has now == 0
    assert lint_retry(world=ClockBlindWorld, layers=1).clean


class PullBlindWorld(World):
    def fingerprint(self):
        found = World.fingerprint(self)
        return found[:6] + found[7:]  # without the pull contexts


def test_a_fingerprint_without_the_pull_contexts_is_caught():
    summaries = [f.summary for f in only(lint_retry(world=PullBlindWorld, layers=1), "fingerprint")]
    assert all("differ in world.pulls" in s for s in summaries)
    assert any("CancelPull(pull='pull-1') tells them apart" in s for s in summaries)


# -- the clock, and other mistakes a model change could make -----------------------------


def test_create_lease_without_its_read_of_the_clock_is_caught(monkeypatch):
    forgetting(monkeypatch, leases.CreateLease, reads=lambda e, w: {"clock"})
    (found,) = only(lint_retry(layers=1), "undeclared-read")
    assert "CreateLease(lease='lease-pull-1', pull='pull-1', expires_in=86400) reads clock" in found.summary
    assert "clock: world.now in apply()" in found.details


def test_remove_forgetting_that_it_dirties_the_database_is_caught(monkeypatch):
    forgetting(monkeypatch, snapshotter.Remove, writes=lambda e, w: {"db/dirty"})
    assert any("Remove(" in f.summary and "writes db/dirty" in f.summary
               for f in only(lint_retry(layers=1), "undeclared-write"))


def test_a_lock_that_forgets_it_checks_its_pulls_cancellation_is_caught(monkeypatch):
    forgetting(monkeypatch, kmutex.Lock, reads=lambda e, w: {f"pull/{e.pull}"})
    report = lint_retry(layers=1)
    (found,) = only(report, "undeclared-read")
    assert "Lock(key='sn://overlayfs/sha256:c1', pull='pull-1') reads pull/pull-1" in found.summary
    assert "pull/pull-1: world.pulls['pull-1'] in apply()" in found.details  # and in enabled() when it waits
    # the semantic check sees the same mistake: the cancel changes how the lock ends
    assert any("CancelPull(pull='pull-1')" in f.summary for f in only(report, "not-commuting"))


def test_a_collection_that_declares_only_reads_is_caught(monkeypatch):
    monkeypatch.setattr(gc.GcCollect, "footprint", lambda self, world=None: Footprint.of(reads={"*"}))
    assert all("GcCollect(policy='any') writes" in f.summary for f in only(lint_retry(layers=1), "undeclared-write"))


def test_a_stat_that_declares_nothing_is_caught(monkeypatch):
    monkeypatch.setattr(snapshotter.Stat, "footprint", lambda self, world=None: Footprint())
    (found,) = only(lint_retry("stat-early-return", layers=1), "undeclared-read")
    assert "Stat(key='sha256:c1') reads snapshot/sha256:c1" in found.summary


def test_prepare_t1_claiming_its_result_is_ignored_is_caught(monkeypatch):
    monkeypatch.setattr(snapshotter.PrepareT1, "outcome_key", result_ignored)
    found = only(lint_retry(layers=1), "ignored-result")
    assert found[0].summary.startswith("actor pull-1 reads the result of PrepareT1(key='extract-pull-1.0 sha256:c1'")


class DirtBlindWorld(World):
    def fingerprint(self):
        found = World.fingerprint(self)
        return found[:7] + found[8:]  # without "is the database dirty"


def test_a_fingerprint_without_the_dirty_flag_is_caught_when_gc_waits_for_it():
    (found,) = only(lint_retry(world=DirtBlindWorld, layers=1, **{"gc-policy": "dirty"}), "fingerprint")
    assert "GcCollect(policy='dirty') tells them apart: it is disabled in one and enabled in the other" in found.summary


class LockBlindWorld(World):
    def fingerprint(self):
        # without the createSnapshot calls holding s.l.RLock (the field emptied, not cut by
        # position: fields added after it stay where they are)
        return World.fingerprint(attrs.evolve(self, creating=set()))


def test_a_fingerprint_without_the_prepares_holding_the_read_lock_is_caught():
    (found,) = only(lint_retry(world=LockBlindWorld, layers=1, **{"backend-cleanup": True}), "fingerprint")
    assert "differ in world.creating" in found.summary and "BackendCleanup() tells them apart" in found.summary
