"""The lint's tools: a world that records every access in footprint terms, and worlds as
values (a structural copy, a complete canonical identity, deterministic rendering and
differences)."""

from __future__ import annotations

from typing import ClassVar

import attrs
import pytest
from unpack_race.scheduler.recorder import recording
from unpack_race.scheduler.resources import (
    All,
    Constant,
    Keyed,
    ResourceMap,
    Scalar,
    WriteOnly,
)
from unpack_race.scheduler.world_values import (
    canonical,
    copy_value,
    differences,
    differing_attributes,
    show,
)


@attrs.frozen
class Owner:
    name: str
    tags: frozenset[str] = frozenset()


@attrs.define
class Account:
    balance: int = 0
    frozen: bool = False

    def empty(self) -> bool:
        return self.balance == 0


@attrs.define
class Bank:
    RESOURCES: ClassVar[ResourceMap] = ResourceMap(
        accounts=Keyed("account/{key}"), owners=Keyed("owner/{key}"), open=Keyed("open/{key}"),
        now=Scalar("clock"), overdraft=Constant(), audit=WriteOnly(),
    )

    accounts: dict[str, Account] = attrs.field(factory=dict)
    owners: dict[str, Owner] = attrs.field(factory=dict)
    open: set[str] = attrs.field(factory=set)
    now: int = 0
    overdraft: int = 10
    audit: list[str] = attrs.field(factory=list)

    def balance_of(self, name: str) -> int:
        return self.accounts[name].balance


def bank() -> Bank:
    return Bank({"alice": Account(5), "bob": Account()}, {"alice": Owner("Alice", frozenset({"vip"}))}, {"alice"})


def accesses(recorder) -> list[tuple[str, str]]:
    return [("write" if a.write else "read", str(a.resource)) for a in recorder.accesses]


# -- the recorder ------------------------------------------------------------------------


def test_entries_of_a_keyed_dict_are_their_own_resources():
    proxy, recorder = recording(bank(), Bank.RESOURCES)
    assert proxy.accounts.get("carol") is None and "bob" in proxy.accounts
    proxy.accounts["carol"] = Account(1)
    proxy.owners.setdefault("bob", Owner("Bob"))
    assert accesses(recorder) == [("read", "account/carol"), ("read", "account/bob"), ("write", "account/carol"),
                                  ("read", "owner/bob"), ("write", "owner/bob")]


def test_a_mutable_value_inside_an_entry_belongs_to_that_entry():
    world = bank()
    proxy, recorder = recording(world, Bank.RESOURCES)
    proxy.accounts["bob"].frozen = True
    assert proxy.accounts["alice"].empty() is False  # its own methods run on the recording value
    assert world.accounts["bob"].frozen is True
    assert accesses(recorder) == [("read", "account/bob"), ("write", "account/bob"),
                                  ("read", "account/alice"), ("read", "account/alice")]
    assert recorder.accesses[1].where == "world.accounts['bob'].frozen"


def test_going_through_a_whole_collection_reads_every_entry():
    proxy, recorder = recording(bank(), Bank.RESOURCES)
    total = sum(a.balance for a in proxy.accounts.values())
    assert total == 5 and not proxy.open == set()
    assert {r for _, r in accesses(recorder)} >= {str(All("accounts")), str(All("open"))}
    assert str(All("open")) == "every entry of world.open"


def test_sets_scalars_constants_and_world_methods():
    world = bank()
    proxy, recorder = recording(world, Bank.RESOURCES)
    proxy.open.discard("alice")
    proxy.now += 1
    assert proxy.balance_of("alice") == 5 and proxy.overdraft == 10
    # the entry, then its balance; reading a constant needs no resource
    assert accesses(recorder) == [("write", "open/alice"), ("read", "clock"), ("write", "clock"),
                                  ("read", "account/alice"), ("read", "account/alice")]
    assert world.open == set() and world.now == 1 and isinstance(proxy, Bank)


def test_write_only_and_constant_attributes_are_noted_without_a_resource():
    proxy, recorder = recording(bank(), Bank.RESOURCES)
    proxy.audit.append("x")
    proxy.overdraft = 0
    assert [(a.write, a.resource, a.attribute) for a in recorder.accesses] == [
        (True, None, "audit"), (True, None, "overdraft")]


def test_a_resource_map_says_what_it_misses_and_rejects_unknown_specs():
    @attrs.define
    class Wider(Bank):
        extra: int = 0

    assert Bank.RESOURCES.problems(bank()) == []
    assert Bank.RESOURCES.problems(Wider()) == [
        "Wider.RESOURCES does not say what world.extra is: add extra=Keyed(...), Scalar(...), Constant() or WriteOnly()"]
    with pytest.raises(TypeError, match="say Keyed"):
        ResourceMap(accounts="account/{key}")


# -- worlds as values ------------------------------------------------------------------------


def test_a_copy_shares_what_is_immutable_and_copies_the_rest():
    world = bank()
    copied = copy_value(world)
    assert copied == world and copied is not world
    assert copied.owners["alice"] is world.owners["alice"]  # frozen: shared
    copied.accounts["alice"].balance = 0
    copied.open.add("bob")
    assert world.accounts["alice"].balance == 5 and world.open == {"alice"}


def test_the_canonical_form_ignores_insertion_order_and_nothing_else():
    one, other = bank(), Bank({"bob": Account(), "alice": Account(5)}, {"alice": Owner("Alice", frozenset({"vip"}))},
                              {"alice"})
    assert canonical(one) == canonical(other)
    other.accounts["bob"].frozen = True
    assert canonical(one) != canonical(other)
    other.accounts["bob"].frozen = False
    other.audit.append("seen")
    assert canonical(one) != canonical(other)
    assert canonical(one, leave_out={"audit"}) == canonical(other, leave_out={"audit"})


def test_values_are_shown_with_sets_and_dicts_sorted():
    assert show({"zeta", "alpha", "mid"}) == "{'alpha', 'mid', 'zeta'}"
    assert show({"b": 1, "a": frozenset({3, 1})}) == "{'a': {1, 3}, 'b': 1}"
    assert show(Owner("Alice", frozenset({"vip", "new"}))) == "Owner(name='Alice', tags={'new', 'vip'})"
    assert show("x" * 500).endswith("...") and len(show("x" * 500)) == 160


def test_differences_name_the_path_to_what_differs():
    one, other = bank(), bank()
    other.accounts["bob"].balance = 3
    del other.owners["alice"]
    assert differing_attributes(one, other) == ("accounts", "owners")
    assert differences(one, other) == [
        "world.accounts['bob'].balance: 0 in one, 3 in the other",
        "world.owners['alice']: Owner(name='Alice', tags={'vip'}) in one, absent in the other",
    ]
    assert differences(one, bank()) == []
