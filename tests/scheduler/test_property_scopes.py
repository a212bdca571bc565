"""Property scopes are enforced: a property of the state between steps gets the same
verdict under every strategy, or is refused by the one whose reduction cannot preserve
it, in one line that says what to do.

The program: actor a sets x to 1 and back to 0, actor b does the same with y. Of its six
interleavings, the four that run both first steps before either second step pass
through a state with x == 1 and y == 1 (counted by hand: a1 b1 a2 b2, a1 b1 b2 a2,
b1 a1 a2 b2, b1 a1 b2 a2), so "never both" is violated and "sometimes both" is reached.
A partial-order reduction that treats a's and b's steps as independent (they are: no
shared variable) explores one interleaving of the single Mazurkiewicz trace, which may be
a1 a2 b1 b2, where both are never 1 at once."""

from __future__ import annotations

import pytest
from toy_world import Shared, Write, program, var
from unpack_race.scenarios.base import Built, Expectation, Scenario
from unpack_race.scenarios.cli import main
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scheduler.explore import PropertyScopeError, explore
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Scope, always, on_state, on_step, sometimes
from unpack_race.scheduler.strategies import (
    PCT,
    POS,
    BreadthFirst,
    DepthFirst,
    Dpor,
    OptimalDpor,
    RandomWalk,
)
from unpack_race.scheduler.strategies.hypothesis_search import hypothesis_search
from unpack_race.scheduler.verdict import Verdict


def set_and_reset(var: str):
    def body():
        yield Write(var, 1)
        yield Write(var, 0)

    return body


def two_flags() -> Program:
    return program("two-flags", {"x": 0, "y": 0}, [("a", set_and_reset("x")), ("b", set_and_reset("y"))])


def both(world) -> bool:
    return world.vars["x"] == 1 and world.vars["y"] == 1


def never_both(reads=None):
    return always("never-both", on_state(lambda world: not both(world), reads=reads))


def sometimes_both(reads=None):
    return sometimes("sometimes-both", on_state(both, reads=reads))


EXHAUSTIVE = {
    "dfs": lambda: DepthFirst(state_caching=False),
    "dfs with state caching": lambda: DepthFirst(state_caching=True),
    "dfs, at most 1 preemption": lambda: DepthFirst(state_caching=True, preemption_bound=1),
    "bfs": lambda: BreadthFirst(),
    "source-dpor": lambda: Dpor(),
    "dpor fg05": lambda: Dpor(reduction="fg05"),
    "source-dpor without sleep sets": lambda: Dpor(sleep_sets=False),
    "optimal dpor": lambda: OptimalDpor(),
}
SAMPLING = {
    "random walk": lambda: RandomWalk(runs=200, seed=0),
    "pct": lambda: PCT(runs=200, seed=0, depth=2),
    "pos": lambda: POS(runs=200, seed=0),
}
DPOR = [name for name in EXHAUSTIVE if "dpor" in name]


@pytest.mark.parametrize("name", sorted(EXHAUSTIVE) + sorted(SAMPLING))
def test_never_both_with_declared_reads_is_violated_under_every_strategy(name):
    make = {**EXHAUSTIVE, **SAMPLING}[name]
    result = explore(two_flags(), make(), [never_both(reads={var("x"), var("y")})])
    assert result.verdict is Verdict.VIOLATION
    assert both(_world_after(result.counterexample))


@pytest.mark.parametrize("name", sorted(EXHAUSTIVE) + sorted(SAMPLING))
def test_sometimes_both_with_declared_reads_is_reached_under_every_strategy(name):
    make = {**EXHAUSTIVE, **SAMPLING}[name]
    result = explore(two_flags(), make(), [sometimes_both(reads={var("x"), var("y")})])
    assert result.verdict is Verdict.PASS and result.reached == ("sometimes-both",)


def test_the_hypothesis_search_agrees():
    assert hypothesis_search(two_flags(), [never_both()], runs=200, seed=0).verdict is Verdict.VIOLATION
    assert hypothesis_search(two_flags(), [sometimes_both()], runs=200, seed=0).verdict is Verdict.PASS


@pytest.mark.parametrize("name", DPOR)
@pytest.mark.parametrize("prop", [never_both(), sometimes_both()], ids=["always", "sometimes"])
def test_partial_order_reduction_refuses_a_state_property_that_does_not_declare_its_reads(name, prop):
    with pytest.raises(PropertyScopeError) as refused:
        explore(two_flags(), EXHAUSTIVE[name](), [prop])
    message = str(refused.value)
    assert "\n" not in message
    assert f"property {prop.name} reads the state between steps without declaring what it reads" in message
    assert "DPOR" in message and "declare its reads" in message and "--strategy dfs" in message


@pytest.mark.parametrize("name", [n for n in EXHAUSTIVE if n not in DPOR])
def test_searches_without_partial_order_reduction_need_no_declared_reads(name):
    assert explore(two_flags(), EXHAUSTIVE[name](), [never_both()]).verdict is Verdict.VIOLATION


def test_declared_reads_make_only_the_steps_that_write_them_visible():
    # A property that reads only x leaves b's steps independent: DPOR still explores a
    # single interleaving order of b against a's, and x's values are all still seen.
    seen = set()

    def record(world):
        seen.add(world.vars["x"])
        return True

    result = explore(two_flags(), Dpor(), [always("watch-x", on_state(record, reads={var("x")}))])
    assert result.verdict is Verdict.PASS and seen == {0, 1}
    assert result.executions == 1  # the one trace, once


def test_step_properties_are_checked_by_partial_order_reduction_without_declarations():
    prop = always("no-write-of-2", on_step(lambda step: step.effect.value != 2))
    assert prop.scope is Scope.ON_STEP
    assert explore(two_flags(), Dpor(), [prop]).verdict is Verdict.PASS


def test_a_bare_predicate_is_refused_with_what_to_write_instead():
    with pytest.raises(TypeError, match=r"wrap it in on_step\(\.\.\.\)"):
        always("bare", lambda world: True)


def _world_after(steps) -> Shared:
    world = two_flags().make_world()
    for step in steps:
        step.effect.apply(world)
    return world


class TwoFlags(Scenario):
    """The program above as a scenario with its undeclared "never both" property, so the
    command line can be asked to check it."""

    name = "two-flags"
    summary = "two actors set and reset their own flag"
    params = ()
    variants = ("as-written",)

    def build(self, variant, params):
        return Built(two_flags(), (never_both(),), "(none)")

    def expected(self, variant, params):
        return Expectation(Verdict.VIOLATION, "never-both")


@pytest.mark.parametrize(("strategy", "code"), [("dpor", 2), ("dfs", 1), ("bfs", 1), ("pct", 1)])
def test_the_command_line_refuses_the_undeclared_property_under_dpor_in_one_line_and_finds_it_otherwise(
        strategy, code, monkeypatch, capsys):
    monkeypatch.setitem(SCENARIOS, "two-flags", TwoFlags())
    runs = ["--runs", "200"] if strategy == "pct" else []  # (a sampler's option: the others refuse it)
    assert main(["check", "two-flags", "--variant", "as-written", "--strategy", strategy, "--quiet", *runs]) == code
    out, err = capsys.readouterr()
    if code == 2:
        assert out == "" and err.count("\n") == 1
        assert err.startswith("unpack-race: property never-both reads the state between steps without declaring")
    else:
        assert "VIOLATION" in out and "never-both" in out
