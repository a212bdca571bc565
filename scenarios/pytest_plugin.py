"""unpack-race's pytest plugin: a fixture that model-checks a scenario inside a test.

Installed with the package (entry point `pytest11`), so any test can ask for it:

```python
def test_the_fix_is_safe(unpack_race_check):  # a proof within bounds, or a failure
    unpack_race_check("retry-after-cancel", "prepare-with-lease", params={"overlap": False})

def test_the_variant_has_containerds_verdict(unpack_race_check):
    checked = unpack_race_check("retry-after-cancel", "stat-early-return", expect="scenario")
    assert checked.counterexample.steps[-1].actor == "pull-2"

def test_my_own_model(unpack_race_check):  # a Scenario object of your own, sampled by PCT
    unpack_race_check(MyScenario(), "as-written", strategy="pct", runs=500, seed=3, depth=2)
```

Where the package is not installed, `-p unpack_race.scenarios.pytest_plugin` (or that name
in a conftest's `pytest_plugins`) loads it.

`unpack_race_check(scenario, variant=None, *, params, strategy, budget, expect, **strategy_options)`
runs `api.check` (a scenario name, a reference `file.py:NAME`, or a user's own `Scenario`
object; the variant may be left out where the scenario has only one) and returns the
`Checked` when the verdict is the expected one: by default a pass, `expect="scenario"`
the scenario's own expectation (its verdicts come from containerd's history), or a
`Verdict`, its value, or an `Expectation`. Otherwise the test fails with what was found:
the narrated counterexample, what the search covered, the path of the schedule file and
the exact command that replays it.

The schedule of a failing check is kept in a directory, the database, as Hypothesis keeps
its failing examples in `.hypothesis/` (`.unpack-race/`
under pytest's rootdir; `--unpack-race-database DIR` or the ini option
`unpack_race_database` choose another), one file per scenario, variant, parameters and
properties (scenarios/schedule_database.py). The next check of the same key replays it
strictly first, before any search: while it still fails the test, the test fails from
the replay ("replayed from the database"), without searching; once it no longer does (no
violation, or it no longer replays), the file is removed and the search runs.

Every check writes its coverage record (scenario, variant, strategy, seed, bounds,
executions, states, verdict, and where it came from: `search` or `database`) into the
test's `user_properties`, as pytest's `record_property` does (but without its warning under
the default junit_family xunit2, whose schema has no per-test properties; set
`junit_family = xunit1` for a schema-valid file), so that `--junitxml` carries it as
`<property name="unpack_race.executions" value="..."/>`, one set per check, in order.
Under pytest-xdist (`-n`) each worker checks its own tests and the files are written
atomically; the plugin does not need xdist.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from unpack_race.reports.replay_text import replay_text
from unpack_race.reports.result_text import summarize
from unpack_race.reports.trace_text import counterexample_text
from unpack_race.reports.trace_text import replay_command as trace_replay_command
from unpack_race.scenarios import api
from unpack_race.scenarios.api.checking import matches
from unpack_race.scenarios.base import Expectation, Scenario
from unpack_race.scenarios.registry import SCENARIOS, scenario_of
from unpack_race.scenarios.schedule_database import Database, Key
from unpack_race.scheduler.explore import Result
from unpack_race.scheduler.strategies.registry import DEFAULT_STRATEGY
from unpack_race.scheduler.verdict import Verdict

DEFAULT_DATABASE = ".unpack-race"
PREFIX = "unpack_race."  # of the names of the coverage properties
SOURCE = PREFIX + "source"  # "search", or "database" for a schedule replayed from it
REPLAYED, FROM_SEARCH = "database", "search"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("unpack-race", "unpack-race model checking (the unpack_race_check fixture)")
    group.addoption("--unpack-race-database", dest="unpack_race_database", default=None, metavar="DIR",
                    help=f"directory of failing schedules, replayed first on the next run (default: the ini "
                         f"option unpack_race_database, else {DEFAULT_DATABASE}, under the rootdir)")
    parser.addini("unpack_race_database", default=DEFAULT_DATABASE,
                  help="directory of failing unpack-race schedules, relative to the rootdir")


def database_of(config: pytest.Config) -> Database:
    """The option's directory (relative to where pytest was started), else the ini option's
    (relative to the rootdir)."""
    given = config.getoption("unpack_race_database")
    base, chosen = (config.invocation_params.dir, given) if given else (config.rootpath, config.getini(
        "unpack_race_database"))
    path = Path(chosen).expanduser()
    return Database(path if path.is_absolute() else base / path)


@pytest.fixture
def unpack_race_check(request: pytest.FixtureRequest) -> Callable[..., api.Checked]:
    """A function that checks a scenario under a variant and fails the test unless the
    verdict is the expected one (see the module docstring)."""
    database = database_of(request.config)

    def record(name: str, value: object) -> None:  # pytest's record_property
        request.node.user_properties.append((name, value))

    def checking(scenario: str | Scenario, variant: str | None = None, *, params: Mapping[str, Any] | None = None,
                 strategy: str = DEFAULT_STRATEGY, budget: api.Budget = api.Budget(),
                 expect: Verdict | str | Expectation = Verdict.PASS, **strategy_options: Any) -> api.Checked:
        try:
            return check_or_fail(database, record, scenario, variant, params, strategy, budget,
                                 expect, strategy_options)
        except api.INPUT_ERRORS as err:
            pytest.fail(f"unpack-race: {err}", pytrace=False)

    return checking


def check_or_fail(database: Database, record: Callable[[str, object], None], scenario: str | Scenario,
                  variant: str | None, params: Mapping[str, Any] | None, strategy: str, budget: api.Budget,
                  expect: Verdict | str | Expectation, options: Mapping[str, Any]) -> api.Checked:
    """Replay the schedule the database keeps for this check, if any, then search; return
    the Checked when its verdict is the expected one, fail the test otherwise."""
    sc = scenario_of(scenario)
    variant = sc.choose_variant(variant)  # a scenario of one variant needs none named
    values = sc.resolve(params or {})
    wanted = expectation(expect, sc, variant, values)
    key = Key(sc.name, variant, values, tuple(p.name for p in sc.build(variant, values).properties))
    kept = database.kept(key)
    if kept is not None:
        replay_first(database, key, kept, sc, wanted, record)
    checked = api.check(sc, variant, params=values, strategy=strategy, budget=budget, **options)
    record_coverage(record, sc, variant, strategy, checked.result, FROM_SEARCH)
    if matches(checked.result, wanted):
        return checked
    head = f"unpack-race: {sc.name} under {variant}: expected {describe(wanted)}, found {found(checked.result)}"
    cx = checked.counterexample
    if cx is None:
        pytest.fail(f"{head}\n{summarize(checked.result)}", pytrace=False)
    path = database.keep(key, cx.schedule)
    record(PREFIX + "schedule", str(path))
    pytest.fail(f"{head}\n{counterexample_text(cx.steps, cx.violation, cx.continuation)}\n"
                f"{summarize(checked.result)}\n"
                f"Schedule kept in the database: {path} (replayed first on the next run)\n"
                f"  replay it: {replay_command(sc, path)}", pytrace=False)


def replay_first(database: Database, key: Key, kept: Path, sc: Scenario, wanted: Expectation,
                 record: Callable[[str, object], None]) -> None:
    """Replay the kept schedule strictly: fail the test from it while it still fails it;
    remove it once it does not (no violation, or it no longer replays)."""
    try:
        replayed = api.replay(kept, scenario=sc)
    except api.ScheduleError:
        database.remove(key)  # the model changed under it: it shows nothing any more
        return
    if not replayed.violated:
        database.remove(key)
        return
    if matches(replayed.result, wanted):
        return  # another test's failure (one expecting something else of the same check): left to it
    record_coverage(record, sc, key.variant, "replay", replayed.result, REPLAYED)
    record(PREFIX + "schedule", str(kept))
    pytest.fail(f"unpack-race: {sc.name} under {key.variant}: expected {describe(wanted)}, found "
                f"{found(replayed.result)}, replayed from the database before any search: {kept}\n"
                f"{replay_text(replayed)}\n"
                f"The schedule stays in the database until it no longer fails this check.\n"
                f"  replay it: {replay_command(sc, kept)}", pytrace=False)


def expectation(expect: Verdict | str | Expectation, sc: Scenario, variant: str,
                values: Mapping[str, Any]) -> Expectation:
    """The verdict (and property) a check must reach: "scenario" for the scenario's own."""
    if isinstance(expect, Expectation):
        return expect
    if expect == "scenario":
        return sc.expected(variant, values)
    try:
        return Expectation(Verdict(expect))
    except ValueError:
        known = ", ".join(repr(v.value) for v in Verdict)
        raise api.ParamError(f"expect={expect!r} is not a verdict; give 'scenario', an Expectation, "
                             f"or one of {known}") from None


def describe(wanted: Expectation) -> str:
    return f"{wanted.verdict.value}" + (f" of {wanted.property}" if wanted.property else "")


def found(result: Result) -> str:
    return result.verdict.value + (f" of {result.violation.property}" if result.violation is not None else "")


def replay_command(sc: Scenario, path: Path) -> str:
    """The command line that replays the schedule (with `--scenario` for a scenario of
    the user's, loaded from its file); the library call for one that no reference loads
    (a class that takes arguments, one defined in a function)."""
    if type(SCENARIOS.get(sc.name)) is type(sc):
        return trace_replay_command(path)
    reference = sc.reference()
    if reference is not None:
        return trace_replay_command(path, reference)
    return f"api.replay({str(path)!r}, scenario=<your {type(sc).__name__}>)  (from unpack_race.scenarios import api)"


def record_coverage(record: Callable[[str, object], None], sc: Scenario, variant: str, strategy: str, result: Result,
                    source: str) -> None:
    """Record the coverage record of one check, one property per field, for the JUnit XML."""
    coverage = result.coverage
    settings = coverage.facts.settings
    values = {
        "scenario": sc.name, "variant": variant, "strategy": strategy, "algorithm": coverage.facts.algorithm,
        "kind": coverage.kind.value, "seed": settings.get("seed", "none"), "bounds": coverage.bounds,
        "executions": coverage.executions, "states": coverage.states if coverage.states is not None else "none",
        "verdict": result.verdict.value, "settings": json.dumps(dict(sorted(settings.items())), default=repr),
        "source": source,
    }
    for name, value in values.items():
        record(PREFIX + name, str(value))


# -- the run's summary -----------------------------------------------------------------------


class ReplaySummary:
    """Names, at the end of the run, the tests that failed from a schedule replayed from
    the database (their reports come back from xdist's workers with their user_properties)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.replayed: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and (SOURCE, REPLAYED) in report.user_properties:
            self.replayed.append(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.replayed:
            terminalreporter.write_line(
                f"unpack-race: {len(self.replayed)} test(s) failed from a schedule replayed from the database "
                f"({database_of(self.config).directory}) before any search: {', '.join(self.replayed)}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ReplaySummary(config), "unpack-race-replay-summary")
