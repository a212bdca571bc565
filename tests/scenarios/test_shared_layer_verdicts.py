"""The scenarios where a delete races a Stat then use (remove-image-during-pull,
rootfs-apply-layer, rootfs-apply-layers: an image that shares its base layers is unpacked;
remap-snapshot: a container is created on the remapped snapshot another container holds)
reach the verdicts their variants expect, three ways that must agree:

- the expectation, written from containerd's and BuildKit's history (each Code or Variant
  says which: issue 3787 as first reported, #2382, moby/buildkit#6521 and PR 6558);
- the engine's exhaustive search (DFS with state caching);
- a brute-force enumeration of every interleaving with the kernel alone (toy_world's
  fold_executions, no reduction, no cache of the engine's) judged by predicates written
  here, not the scenarios' properties.

The shortest counterexamples are counted by hand in comments and checked against a
breadth-first search with the kernel alone."""

from __future__ import annotations

import pytest
from toy_world import fold_executions, shortest_violation
from unpack_race.model.errdefs import NotFound
from unpack_race.model.gc import GcCollect
from unpack_race.model.images import DeleteImage
from unpack_race.model.names import GC_REF_SNAPSHOT
from unpack_race.model.snapshotter import PrepareT1, PrepareT2, Stat
from unpack_race.model.variants import SHIPPED
from unpack_race.scenarios import api
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.kernel import Execution, Status, Step
from unpack_race.scheduler.properties import Kind
from unpack_race.scheduler.strategies import BreadthFirst, DepthFirst
from unpack_race.scheduler.verdict import Verdict

CASES = [
    ("remove-image-during-pull", "pull", {}),
    ("remove-image-during-pull", "pull", {"own": 0}),
    ("remove-image-during-pull", "pull", {"kmutex": False}),
    ("rootfs-apply-layer", "unpack", {}),
    ("rootfs-apply-layer", "unpack", {"own": 0}),
    ("rootfs-apply-layer", "unpack", {"shared": 2}),
    ("rootfs-apply-layers", "exporter", {}),
    ("rootfs-apply-layers", "exporter", {"own": 1, "shared": 1}),
    ("rootfs-apply-layers", "exporter", {"own": 1}),
    ("remap-snapshot", "create-b", {}),
    ("remap-snapshot", "create-b", {"layers": 2}),
    ("remap-snapshot", "create-b", {"gc-runs": 0}),
]
def every_case():
    for name, actor, params in CASES:
        sc = scenario(name)
        shipped = {v.name for v in SHIPPED}
        for variant in sc.variants:
            if name == "remove-image-during-pull" and variant not in shipped:
                continue  # a variant registered from a file (tests/conftest.py) has no history here
            yield name, variant, actor, params


def label(case) -> str:
    name, variant, _actor, params = case
    return f"{name}[{variant}]" + "".join(f"-{k}={v}" for k, v in params.items())


def search(name: str, variant: str, params: dict, strategy=None):
    built = scenario(name).build(variant, params)
    return explore(built.program, strategy or DepthFirst(state_caching=True), built.properties, bounds=built.bounds)


def kinds(steps) -> list[str]:
    return [type(s.effect).__name__ for s in steps]  # (Commit's own `name` field shadows Effect.name)


def missing_parent(step: Step) -> bool:
    return (isinstance(step.effect, (PrepareT1, PrepareT2)) and isinstance(step.error, NotFound)
            and str(step.error).startswith("parent snapshot "))


def broken(execution: Execution, actor: str, needed: list[str], tolerates_missing_parent: bool) -> bool:
    """The test's own judgement of a finished interleaving: the unpacking actor failed, or
    a Prepare saw a missing parent where the code cannot recover from one, or the image's
    config names a snapshot that does not exist at the end (once labelled the config is
    rooted by the image, so a chain swept before the label is still missing at the end), or
    a snapshot in `needed` is not committed at the end."""
    world = execution.world
    end = {e.name: e for e in execution.ends()}[actor]
    if end.status is not Status.DONE:
        return True
    if not tolerates_missing_parent and any(missing_parent(s) for s in execution.steps):
        return True
    named = world.content["sha256:f0"].label_map().get(GC_REF_SNAPSHOT)
    if named is not None and named not in world.snapshots:
        return True
    return any(getattr(world.snapshots.get(c), "kind", None) != "committed" for c in needed)


def brute_force_verdict(name: str, variant: str, actor: str, params: dict) -> Verdict:
    sc = scenario(name)
    built, p = sc.build(variant, params), sc.resolve(params)
    tolerates = name == "rootfs-apply-layers"  # ApplyLayers rebuilds a missing parent (PR 2331)
    layers = p["layers"] if name == "remap-snapshot" else p["shared"] + p["own"]
    needed = [f"sha256:c{i}" for i in range(1, layers + 1)]  # model/names.py chain_id
    if name == "remap-snapshot":
        needed.append(f"sha256:remap-c{layers}")  # model/remap.py userns_id
    bad = fold_executions(built.program, lambda execution: broken(execution, actor, needed, tolerates), any)
    return Verdict.VIOLATION if bad else Verdict.PASS


@pytest.mark.parametrize("case", list(every_case()), ids=label)
def test_the_search_and_a_brute_force_enumeration_agree_with_the_expected_verdict(case):
    name, variant, actor, params = case
    expected = scenario(name).expected(variant, params)
    result = search(name, variant, params)
    assert result.verdict is expected.verdict, result.violation
    if expected.property is not None and result.violation is not None:
        assert result.violation.property == expected.property
    assert brute_force_verdict(name, variant, actor, params) is expected.verdict
    if expected.verdict is Verdict.PASS:
        sought = {p.name for p in scenario(name).build(variant, params).properties if p.kind is Kind.SOMETIMES}
        assert set(result.reached) == sought and sought


@pytest.mark.parametrize("params, collector", [
    # the GC scheduler (the default) runs the collection the delete made due (a deletion, then
    # RemoveImage's ScheduleAndWait) on its goroutine; without it RemoveImage collects itself
    ({}, "gc"),
    ({"gc-policy": "any"}, "remove-image"),
])
def test_the_2019_form_fails_where_the_retry_form_fails_with_the_removed_image_s_collection_sweeping_c1(
        params, collector):
    result = search("remove-image-during-pull", "stat-early-return", params)
    last = result.counterexample[-1]
    assert last.actor == "pull" and isinstance(last.effect, (PrepareT1, PrepareT2))
    assert str(last.error) == "parent snapshot sha256:c1 does not exist: not found"
    delete = next(s for s in result.counterexample if isinstance(s.effect, DeleteImage))
    sweep = next(s for s in result.counterexample if isinstance(s.effect, GcCollect))
    stat = next(s for s in result.counterexample if isinstance(s.effect, Stat) and s.ok)
    assert stat.index < sweep.index and delete.index < sweep.index
    assert delete.actor == "remove-image" and sweep.actor == collector
    assert "sha256:c1" in sweep.result.swept_snapshots


@pytest.mark.parametrize("params, fewest", [
    # pull: CreateLease, 2 FetchBlob, Lock c1, Stat c1 (found); the removal's delete and
    # collection after it; Unlock c1, Lock c2, Stat c2, PrepareT1 on c1: 9 + 2
    ({"gc-policy": "any"}, 11),
    # without the duplication suppressor the three lock steps before that Prepare go: 6 + 2
    ({"gc-policy": "any", "kmutex": False}, 8),
    # under the GC scheduler the delete makes a collection due by itself (a deletion since
    # the last one), so gc's collection can come right after it: the same two steps
    ({}, 11),
    ({"kmutex": False}, 8),
])
def test_the_shortest_counterexample_of_the_2019_form_has_the_steps_counted_by_hand(params, fewest):
    built = scenario("remove-image-during-pull").build("stat-early-return", params)
    assert shortest_violation(built.program, missing_parent) == fewest
    assert len(search("remove-image-during-pull", "stat-early-return", params, BreadthFirst()).counterexample) == fewest


def test_image_unpack_at_head_fails_with_apply_layer_error_and_the_shortest_run_is_six_steps():
    # unpack: CreateLease, Stat c1 (found), then the removal's delete and collection, then
    # Stat c2 (not found) and PrepareT1 on c1 (its 4th step): 4 + 2
    built = scenario("rootfs-apply-layer").build("head", {})
    assert shortest_violation(built.program, missing_parent) == 6
    result = search("rootfs-apply-layer", "head", {}, BreadthFirst())
    assert len(result.counterexample) == 6
    steps = result.counterexample
    assert kinds(s for s in steps if s.actor == "unpack") == ["CreateLease", "Stat", "Stat", "PrepareT1"]
    others = [s for s in steps if s.actor != "unpack"]  # under the GC scheduler, the default: gc collects
    assert [(s.actor, type(s.effect).__name__) for s in others] == [("remove-image", "DeleteImage"), ("gc", "GcCollect")]
    assert steps[1].index < others[0].index
    explained = api.explain(api.check("rootfs-apply-layer", "head"))
    assert explained.counterexample.continuation.actor_end("unpack").error.message == (
        'apply layer error for "docker.io/library/app:latest": failed to prepare extraction snapshot '
        '"extract-unpack.0 sha256:c2": parent snapshot sha256:c1 does not exist: not found')
    assert any("rootfs.ApplyLayerWithOpts skips the layer" in s for s in explained.story)
    assert any("pkg/rootfs still stats and skips at HEAD" in s for s in explained.story)


def test_apply_layers_returns_a_chain_the_collection_swept_and_the_shortest_run_is_five_steps():
    # exporter: CreateLease, Stat c2 (found: returned), the removal's delete and collection,
    # then the config label naming sha256:c2: 3 + 2
    result = search("rootfs-apply-layers", "apply-layers", {}, BreadthFirst())
    assert result.violation.property == "applied-chain-exists"
    assert kinds(result.counterexample) == ["CreateLease", "Stat", "DeleteImage", "GcCollect", "UpdateContentLabels"]
    assert "sha256:c2" in result.counterexample[3].result.swept_snapshots
    explained = api.explain(api.check("rootfs-apply-layers", "apply-layers"))
    assert any("a snapshot that no longer exists" in s for s in explained.story)


def test_the_2019_story_names_the_removed_image_and_its_synchronous_collection():
    explained = api.explain(api.check("remove-image-during-pull", "stat-early-return"))
    text = " ".join(explained.story)
    assert "sha256:c1 exists only because image docker.io/library/base:latest roots it" in text
    assert "images.SynchronousDelete()" in text and "This is containerd issue 3787." in text


def test_a_container_created_on_the_remapped_snapshot_another_container_held_fails_when_that_one_goes():
    # create-b: CreateLease, Stat of the remapped snapshot (found); delete-a's Remove of ctr-a;
    # a collection; create-b's PrepareT1 on it (its 3rd step): 3 + 2
    built = scenario("remap-snapshot").build("head", {})
    assert shortest_violation(built.program, missing_parent) == 5
    explained = api.explain(api.check("remap-snapshot", "head"))
    assert explained.counterexample.continuation.actor_end("create-b").error.message == (
        "parent snapshot sha256:remap-c1 does not exist: not found")
    assert any("resolveSnapshotOptions returns it as the parent" in s for s in explained.story)


LARGER = [
    ("rootfs-apply-layer", {"shared": 3, "own": 2, "gc-runs": 2}),
    ("rootfs-apply-layers", {"shared": 3, "own": 1, "gc-runs": 2}),
    ("rootfs-apply-layers", {"shared": 3, "own": 0, "gc-runs": 2, "gc-policy": "dirty"}),
    ("remove-image-during-pull", {"shared": 2, "own": 2, "gc-runs": 2, "kmutex": False}),
    ("remap-snapshot", {"layers": 2, "gc-runs": 3}),
]


@pytest.mark.parametrize("name, params", LARGER, ids=[f"{n}-{p}" for n, p in LARGER])
def test_every_variant_keeps_its_expected_verdict_at_larger_bounds(name, params):
    # more layers on either side of the shared ones and more collections at any step
    # (docs/findings/rootfs-apply-stat-skip.md gives the whole sweep); by the search alone
    sc = scenario(name)
    for variant in sc.variants:
        if name == "remove-image-during-pull" and variant not in {v.name for v in SHIPPED}:
            continue
        expected = sc.expected(variant, params)
        result = search(name, variant, params)
        assert result.verdict is expected.verdict, (variant, result.violation)
        assert expected.property is None or result.violation is None or result.violation.property == expected.property


@pytest.mark.parametrize("waited, collector, told", [
    # gc-policy any or dirty: RemoveImage collects as its own step (model/synchronous_gc.py)
    (False, "remove-image", "and waits for the collection (gc.ScheduleAndWait), which marks from the roots"),
    # gc-policy scheduler: RemoveImage waits in ScheduleAndWait and the scheduler's goroutine collects
    (True, "gc", "and waits for the collection (gc.ScheduleAndWait); the GC scheduler runs it on gc"),
    # gc-policy scheduler: the delete made a collection due, and gc ran it before RemoveImage asked
    (False, "gc", "before it asks for its collection (gc.ScheduleAndWait), gc runs one"),
])
def test_the_story_says_whose_collection_swept_the_removed_image_s_chain(waited, collector, told):
    from unpack_race.model.gc import GcReport, GraphInput
    from unpack_race.model.gc_scheduler import ScheduleAndWait
    from unpack_race.scenarios.issue_3787 import collection_sentence
    from unpack_race.scheduler.kernel import Step

    steps = [Step(0, "remove-image", DeleteImage("docker.io/library/base:latest"), "docker.io/library/base:latest")]
    if waited:
        steps.append(Step(1, "remove-image", ScheduleAndWait("remove-image"), "remove-image"))
    gc = Step(len(steps), collector, GcCollect("scheduler"), GcReport(("sha256:c1",), (), (), GraphInput((), (), (), ())))
    sentence = collection_sentence(tuple(steps), gc, steps[0], "sha256:c1")
    assert sentence.startswith("remove-image removes image docker.io/library/base:latest (step 0): CRI RemoveImage "
                               "deletes its last reference with images.SynchronousDelete()")
    assert told in sentence and sentence.endswith(f"sweeps sha256:c1 (step {gc.index}).")
