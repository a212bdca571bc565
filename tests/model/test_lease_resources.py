"""leases.Manager.AddResource and DeleteResource (model/leases.py) against
core/metadata/leases.go (L186-250): each one write transaction on an explicitly named
lease; AddResource does not check that the resource exists and leaves db.dirty alone;
DeleteResource tolerates a missing member and always dirties the db; a missing lease is
`lease "<id>": not found`; parseLeaseResource's errors for a malformed type. Plus a
Hypothesis stateful test against a dict-of-sets reference."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from unpack_race.model.errdefs import InvalidArgument, NotFound
from unpack_race.model.gc import GcCollect
from unpack_race.model.leases import CONTENT, SNAPSHOTS, AddResource, CreateLease, DeleteLease, DeleteResource
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2
from unpack_race.model.world import PullContext, World


def new_world() -> World:
    world = World(lease_on_exists=True, pulls={"pull-1": PullContext(requested=True)})
    CreateLease("L", "pull-1").apply(world)
    return world


def commit(world: World, name: str, lease: str) -> None:
    bkey, bparent = PrepareT1(f"extract {name}", "", name, lease).apply(world)
    PrepareT2(f"extract {name}", "", bkey, bparent, lease).apply(world)
    Commit(name, f"extract {name}", lease).apply(world)


def test_add_resource_puts_the_snapshot_in_the_named_lease_without_dirtying_the_db():
    world = new_world()
    commit(world, "sha256:c1", "")
    assert AddResource("L", SNAPSHOTS, "sha256:c1").apply(world) == "sha256:c1"
    assert world.leases["L"].snapshots == {"sha256:c1"}
    assert world.dirty == 0


def test_add_resource_does_not_check_that_the_snapshot_exists():
    # Go: CreateBucketIfNotExists + Put of the ID; nothing looks at the snapshots bucket
    world = new_world()
    AddResource("L", SNAPSHOTS, "sha256:gone").apply(world)
    assert world.leases["L"].snapshots == {"sha256:gone"} and "sha256:gone" not in world.snapshots
    report = GcCollect().apply(world)  # the dangling name is marked and skipped, nothing breaks
    assert report.swept_snapshots == ()


def test_a_snapshot_added_to_a_lease_survives_a_gc_that_sweeps_an_unleased_one():
    world = new_world()
    commit(world, "sha256:c1", "")
    commit(world, "sha256:c2", "")
    AddResource("L", SNAPSHOTS, "sha256:c1").apply(world)
    report = GcCollect().apply(world)
    assert report.swept_snapshots == ("sha256:c2",)
    assert "sha256:c1" in world.snapshots


def test_add_resource_puts_content_in_the_lease():
    world = new_world()
    AddResource("L", CONTENT, "sha256:l0").apply(world)
    assert world.leases["L"].content == {"sha256:l0"}


@pytest.mark.parametrize("effect", [AddResource("nope", SNAPSHOTS, "sha256:c1"),
                                    DeleteResource("nope", SNAPSHOTS, "sha256:c1")])
def test_a_missing_lease_is_not_found_in_gos_words_and_changes_nothing(effect):
    world = new_world()
    before = world.fingerprint()
    with pytest.raises(NotFound) as caught:
        effect.apply(world)
    assert str(caught.value) == 'lease "nope": not found'  # fmt.Errorf("lease %q: %w", lease.ID, ErrNotFound)
    assert world.fingerprint() == before and world.dirty == 0


@pytest.mark.parametrize(("resource_type", "text"), [
    ("snapshots", "invalid snapshot resource type snapshots: invalid argument"),
    ("snapshots/overlayfs/x", "invalid snapshot resource type snapshots/overlayfs/x: invalid argument"),
    ("content/x", "invalid resource type content/x: invalid argument"),
])
def test_a_malformed_resource_type_is_invalid_argument_as_parse_lease_resource_says(resource_type, text):
    world = new_world()
    with pytest.raises(InvalidArgument) as caught:
        AddResource("L", resource_type, "sha256:c1").apply(world)
    assert str(caught.value) == text
    assert world.leases["L"].snapshots == frozenset()


def test_a_resource_type_the_model_does_not_hold_is_a_mistake_in_the_model_not_a_containerd_error():
    with pytest.raises(ValueError, match="'snapshots/native' is not in the model"):
        AddResource("L", "snapshots/native", "sha256:c1").apply(new_world())


def test_delete_resource_drops_the_member_and_dirties_the_db_so_a_gc_may_sweep_it():
    world = new_world()
    commit(world, "sha256:c1", "")
    AddResource("L", SNAPSHOTS, "sha256:c1").apply(world)
    DeleteResource("L", SNAPSHOTS, "sha256:c1").apply(world)
    assert world.leases["L"].snapshots == frozenset() and world.dirty == 1
    assert GcCollect(policy="dirty").apply(world).swept_snapshots == ("sha256:c1",)


def test_delete_resource_of_a_member_the_lease_does_not_hold_is_no_error_and_still_dirties_the_db():
    world = new_world()
    DeleteResource("L", SNAPSHOTS, "sha256:c9").apply(world)
    assert world.dirty == 1


def test_the_footprints_name_the_lease_and_for_delete_resource_the_dirty_counter():
    assert AddResource("L", SNAPSHOTS, "s").footprint().writes == {"lease/L"}
    assert DeleteResource("L", SNAPSHOTS, "s").footprint().writes == {"lease/L", "db/dirty"}


NAMES = st.sampled_from(["sha256:c1", "sha256:c2", "sha256:c3"])
LEASES = st.sampled_from(["L", "M"])
KINDS = st.sampled_from([(SNAPSHOTS, "snapshots"), (CONTENT, "content")])


class LeaseResourcesAgainstADict(RuleBasedStateMachine):
    """Random AddResource / DeleteResource / Create / Delete of leases, against a plain
    dict of lease id -> {member set name -> set} and a dirty counter."""

    def __init__(self) -> None:
        super().__init__()
        self.world = World(lease_on_exists=True)
        self.reference: dict[str, dict[str, set[str]]] = {}
        self.dirty = 0

    @rule(lease=LEASES)
    def create(self, lease):
        if lease not in self.reference:
            CreateLease(lease, f"pull-{lease}").apply(self.world)
            self.reference[lease] = {"snapshots": set(), "content": set()}

    @rule(lease=LEASES)
    def delete(self, lease):
        if lease in self.reference:
            DeleteLease(lease, f"pull-{lease}").apply(self.world)
            del self.reference[lease]
            self.dirty += 1

    @rule(lease=LEASES, kind=KINDS, name=NAMES, add=st.booleans())
    def change(self, lease, kind, name, add):
        effect = (AddResource if add else DeleteResource)(lease, kind[0], name)
        if lease not in self.reference:
            with pytest.raises(NotFound):
                effect.apply(self.world)
            return
        effect.apply(self.world)
        members = self.reference[lease][kind[1]]
        if add:
            members.add(name)
        else:
            members.discard(name)
            self.dirty += 1

    @invariant()
    def agrees(self):
        got = {i: {"snapshots": set(l.snapshots), "content": set(l.content)} for i, l in self.world.leases.items()}
        assert got == self.reference
        assert self.world.dirty == self.dirty


TestLeaseResourcesAgainstADict = LeaseResourcesAgainstADict.TestCase
TestLeaseResourcesAgainstADict.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
