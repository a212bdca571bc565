"""pkg/rootfs (model/rootfs.py), client.(*image).Unpack (model/image_unpack.py) and
BuildKit's exporter (model/buildkit_export.py) driven by hand, each step applied to a
world the way the kernel applies it, with an optional hook that lets another party act
just before a given step. Each test cites the Go it checks, at containerd 301026e58
(pkg/rootfs/apply.go, client/image.go) or moby/buildkit 7cb764d22
(exporter/containerimage/export.go)."""

from __future__ import annotations

import itertools

import attrs
from drive_by_hand import Hook, Run, drive, once_before
from unpack_race.model.buildkit_export import APPLY_LAYERS, LOOP, PR_6558, export_unpack
from unpack_race.model.client import lease_id
from unpack_race.model.content import UpdateContentLabels
from unpack_race.model.errdefs import AlreadyExists, NotFound
from unpack_race.model.gc import GcCollect
from unpack_race.model.image import ImageSpec
from unpack_race.model.image_unpack import image_unpack
from unpack_race.model.leases import AddResource, CreateLease, DeleteLease
from unpack_race.model.names import GC_REF_SNAPSHOT, SNAPSHOT_REF, UNCOMPRESSED
from unpack_race.model.pulled import pulled_image
from unpack_race.model.rootfs import apply_layers
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Stat
from unpack_race.model.unpacker import Ctx
from unpack_race.model.world import PullContext, Snapshot, World

BASE = ImageSpec(name="docker.io/library/base:latest", layers=1, manifest="sha256:mb", config="sha256:fb")
APP = ImageSpec(layers=2)  # docker.io/library/app:latest, sha256:c1 (base's) and sha256:c2


def daemon(actor: str = "unpack", base: ImageSpec = BASE, app: ImageSpec = APP) -> World:
    """base pulled and unpacked (its image the only root of sha256:c1), app stored."""
    world = World(lease_on_exists=True, pulls={actor: PullContext(requested=True)})
    pulled_image(world, base, unpacked=True)
    pulled_image(world, app, unpacked=False)
    return world


def remove_base(world: World) -> None:
    """What CRI RemoveImage(base) does: delete the record, then the synchronous collection."""
    del world.images[BASE.name]
    world.dirty += 1
    GcCollect("any").apply(world)


# -- ApplyLayerWithOpts, through Image.Unpack --------------------------------------------


def test_image_unpack_stats_each_chain_and_skips_an_existing_one_without_a_lease():
    # apply.go ApplyLayerWithOpts: `if _, err := sn.Stat(ctx, chainID); err != nil {...}`
    # and nothing else when it is found; client/image.go Unpack labels only applied layers
    world = daemon()
    run = drive(image_unpack("unpack", APP), world)
    assert run.error is None
    assert run.names == ["CreateLease", "Stat", "Stat", "PrepareT1", "PrepareT2", "Commit",
                         "UpdateContentLabels", "UpdateContentLabels", "DeleteLease"]
    assert [e.key for e, _ in run.steps if isinstance(e, Stat)] == ["sha256:c1", "sha256:c2"]
    labelled = [e for e, _ in run.steps if isinstance(e, UpdateContentLabels)]
    assert labelled == [UpdateContentLabels("sha256:l2", ((UNCOMPRESSED, "sha256:d2"),), "layer"),
                        UpdateContentLabels(APP.config, ((GC_REF_SNAPSHOT, "sha256:c2"),), "config")]


def test_no_prepare_of_pkg_rootfs_carries_the_snapshot_ref_label_so_no_target_is_leased():
    # ApplyLayers passes nil opts, Image.Unpack its (empty) UnpackConfig.SnapshotOpts:
    # core/metadata/snapshot.go's target check needs containerd.io/snapshot.ref
    seen = []
    drive(image_unpack("unpack", APP), daemon(), lambda effect, world: seen.append(effect))
    t1 = [e for e in seen if isinstance(e, PrepareT1)]
    t2 = [e for e in seen if isinstance(e, PrepareT2)]
    assert [(e.key, e.parent, e.target) for e in t1] == [("extract-unpack.0 sha256:c2", "sha256:c1", "")]
    assert [e.labels for e in t2] == [()] and [e.labels for e in seen if isinstance(e, Commit)] == [()]


def test_a_chain_swept_after_its_stat_fails_the_next_layers_prepare_with_go_s_wrapped_error():
    # applyLayers: `return fmt.Errorf("failed to prepare extraction snapshot %q: %w", key, err)`
    # (one layer: len(layers) > 1 is false, no rebuild); client/image.go Unpack:
    # `return fmt.Errorf("apply layer error for %q: %w", i.Name(), err)`
    world = daemon()
    hook = once_before(Stat, lambda e: e.key == "sha256:c2", remove_base)
    run = drive(image_unpack("unpack", APP), world, hook)
    assert str(run.error) == ('apply layer error for "docker.io/library/app:latest": failed to prepare extraction '
                              'snapshot "extract-unpack.0 sha256:c2": parent snapshot sha256:c1 does not exist: '
                              'not found')
    assert isinstance(run.error, NotFound)  # errors.Is sees the kind through both wraps
    assert run.names[-1] == "DeleteLease"  # the deferred done(ctx)
    assert "sha256:c1" not in world.snapshots


def test_a_commit_that_finds_the_chain_removes_its_extraction_and_counts_the_layer_not_applied():
    # applyLayers: Commit's error is `failed to commit snapshot %s: %w` (key); the deferred
    # `if err != nil { sn.Remove(ctx, key) }`; ApplyLayerWithOpts: AlreadyExists -> applied
    # stays false, so Image.Unpack does not label the layer blob
    world = daemon()

    def someone_commits_c2(w: World) -> None:
        w.snapshots["sha256:c2"] = Snapshot("committed", "sha256:c1", "k8s.io/9/sha256:c2")

    run = drive(image_unpack("unpack", APP), world, once_before(Commit, lambda e: True, someone_commits_c2))
    assert run.error is None
    commit = run.outcome(Commit)[0]
    assert isinstance(commit, AlreadyExists) and str(commit) == 'snapshot "sha256:c2": already exists'
    assert run.names[run.names.index("Commit") + 1] == "Remove"
    assert [e for e, _ in run.steps if isinstance(e, UpdateContentLabels)] == [
        UpdateContentLabels(APP.config, ((GC_REF_SNAPSHOT, "sha256:c2"),), "config")]


# -- ApplyLayers -----------------------------------------------------------------------


def apply_all(world: World, layers: int, before: Hook | None = None, prepare_ref: bool = False) -> Run:
    CreateLease("L", "unpack").apply(world)
    return drive(apply_layers(Ctx("unpack", "L"), layers, itertools.count(), prepare_ref), world, before)


def test_apply_layers_stats_only_the_top_chain_and_returns_it_without_a_lease():
    # ApplyLayersWithOpts: "Just stat top layer"; found: `return chainID, nil`
    world = daemon(base=attrs.evolve(BASE, layers=2))
    run = apply_all(world, 2)
    assert run.names == ["Stat"] and run.returned == "sha256:c2"
    assert world.leases["L"].snapshots == frozenset()


def test_apply_layers_prepares_top_down_and_rebuilds_a_missing_parent_then_retries_once():
    # applyLayers: Prepare(top) NotFound with len(layers) > 1 -> applyLayers(layers[:n-1]),
    # then `layers = nil; continue` with a new key
    world = World(lease_on_exists=True, pulls={"unpack": PullContext(requested=True)})
    pulled_image(world, APP, unpacked=False)
    run = apply_all(world, 2)
    assert run.error is None and run.returned == "sha256:c2"
    t1 = [(e.key, e.parent) for e, _ in run.steps if isinstance(e, PrepareT1)]
    assert t1 == [("extract-unpack.0 sha256:c2", "sha256:c1"), ("extract-unpack.1 sha256:c1", ""),
                  ("extract-unpack.2 sha256:c2", "sha256:c1")]
    assert str(run.outcome(PrepareT1)[0]) == "parent snapshot sha256:c1 does not exist: not found"
    assert [e.name for e, _ in run.steps if isinstance(e, Commit)] == ["sha256:c1", "sha256:c2"]
    assert world.leases["L"].snapshots == {"sha256:c1", "sha256:c2"}


def test_a_second_missing_parent_after_the_rebuild_is_an_error():
    # after the rebuild `layers = nil`, so the next NotFound fails `len(layers) > 1`
    world = World(lease_on_exists=True, pulls={"unpack": PullContext(requested=True)})
    pulled_image(world, APP, unpacked=False)

    def drop_c1(w: World) -> None:  # a bucket gone without GC: only to reach the branch
        del w.snapshots["sha256:c1"]

    hook = once_before(PrepareT1, lambda e: e.key == "extract-unpack.2 sha256:c2", drop_c1)
    run = apply_all(world, 2, hook)
    assert str(run.error) == ('failed to prepare extraction snapshot "extract-unpack.2 sha256:c2": parent snapshot '
                              'sha256:c1 does not exist: not found')


# -- the fix idea ----------------------------------------------------------------------


def test_the_fix_prepares_with_the_ref_label_so_an_existing_chain_is_leased_where_it_is_found():
    # the fix (model/rootfs.py): no Stat first; core/metadata/snapshot.go createSnapshot T1
    # adds the target to the ctx lease and commits (PR 10187), then AlreadyExists; the Stat
    # that follows finds it
    world = daemon()
    run = drive(image_unpack("unpack", APP, prepare_ref=True), world,
                once_before(PrepareT1, lambda e: e.target == "sha256:c2", remove_base))
    assert run.error is None
    first = run.outcome(PrepareT1)[0]
    assert isinstance(first, AlreadyExists) and str(first) == 'target snapshot "sha256:c1": already exists'
    assert run.names[:4] == ["CreateLease", "PrepareT1", "Stat", "PrepareT1"]
    assert world.snapshots["sha256:c1"].kind == "committed"  # the collection kept it: it was leased
    assert world.content[APP.config].label_map()[GC_REF_SNAPSHOT] == "sha256:c2"


# -- BuildKit's exporter -----------------------------------------------------------------


def test_buildkit_6558_leases_the_top_chain_before_apply_layers_and_labels_the_config_with_it():
    # export.go unpackImage at 7cb764d22: AddResource(leases.Resource{ID: chainID, Type:
    # "snapshots/" + snapshotter.Name()}), then rootfs.ApplyLayers, then the config label
    world = daemon("exporter", base=attrs.evolve(BASE, layers=2))
    run = drive(export_unpack("exporter", APP, PR_6558), world)
    assert run.error is None
    assert run.names == ["CreateLease", "AddResource", "Stat", "UpdateContentLabels", "DeleteLease"]
    assert run.steps[1][0] == AddResource(lease_id("exporter"), "snapshots/overlayfs", "sha256:c2")
    assert run.steps[0][0] == CreateLease(lease_id("exporter"), "exporter", 3600)  # leaseutil: time.Hour


def test_the_exporter_before_pr_6558_runs_the_apply_layer_loop_and_returns_its_errors_as_they_are():
    # export.go unpackImage at 7cb764d22^: `if _, err := rootfs.ApplyLayer(...); err != nil { return err }`
    world = daemon("exporter")
    hook = once_before(Stat, lambda e: e.key == "sha256:c2", remove_base)
    run = drive(export_unpack("exporter", APP, LOOP), world, hook)
    assert str(run.error) == ('failed to prepare extraction snapshot "extract-exporter.0 sha256:c2": parent '
                              'snapshot sha256:c1 does not exist: not found')


def test_apply_layers_returns_a_chain_the_collection_sweeps_and_the_config_then_names_a_missing_snapshot():
    # BuildKit's second claim (PR 6558): ApplyLayers "can return a chainid that may already be
    # deleted by the time the function returns"; here the collection falls between its Stat and
    # the exporter's label, and the unpack still succeeds
    world = daemon("exporter", base=attrs.evolve(BASE, layers=2))
    hook = once_before(UpdateContentLabels, lambda e: e.digest == APP.config, remove_base)
    run = drive(export_unpack("exporter", APP, APPLY_LAYERS), world, hook)
    assert run.error is None
    assert world.content[APP.config].label_map()[GC_REF_SNAPSHOT] == "sha256:c2"
    assert "sha256:c2" not in world.snapshots and "sha256:c1" not in world.snapshots
    assert isinstance(run.steps[-1][0], DeleteLease)


def test_the_pulled_image_setup_is_what_a_finished_pull_leaves():
    # model/pulled.py, against a pull driven to its end (tests/model/test_unpacker.py
    # checks that one): committed chain with parents and children, the config's snapshot
    # label, the layers' uncompressed labels, no lease
    world = World(lease_on_exists=True)
    pulled_image(world, APP, unpacked=True)
    assert {n: (s.kind, s.parent, s.children) for n, s in world.snapshots.items()} == {
        "sha256:c1": ("committed", "", frozenset({"sha256:c2"})),
        "sha256:c2": ("committed", "sha256:c1", frozenset()),
    }
    assert world.snapshots["sha256:c2"].label(SNAPSHOT_REF) == "sha256:c2"
    assert world.content[APP.config].label_map() == {GC_REF_SNAPSHOT: "sha256:c2"}
    assert world.content["sha256:l1"].label_map() == {UNCOMPRESSED: "sha256:d1"}
    assert world.images == {APP.name: APP.manifest} and world.leases == {}
    assert set(world.backend.values()) == {"committed"} and len(world.backend) == 2

