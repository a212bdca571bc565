"""The regression corpus (scenarios/corpus/): the minimal counterexample of every scenario
and variant that has one, each with the verdict every variant reaches on it.

`unpack-race corpus --out scenarios/corpus` regenerates it, deterministically: for each
case, a stateful DFS finds the first counterexample, `scheduler.minimize` shrinks it
(from the search's run, without running it again),
and the schedule is followed under every variant of its scenario (RESYNC policy, as
`unpack-race replay --all-variants` does) to record the `expect` object. The cases are
every (scenario, variant) whose expected verdict with default parameters is a violation,
plus the cases in EXTRA when their minimal counterexample has a shape (the sequence of
actors and effect kinds) that no earlier case has. The test suite
(tests/scenarios/test_corpus.py) replays every file to its recorded verdicts.

`--check` regenerates in memory and compares with the files in the directory
(`differing`, `stale`); the command itself is scenarios/commands/corpus_command.py.

A regeneration can end without a verdict for some case: Ctrl-C (`build_corpus` raises
`Interrupted` with the corpus so far), or a case whose search runs out of its execution
budget (`NoVerdict`; the other cases go on). It is then *partial*: the files finished are
written, never a "left out" for a case that was not decided, and a marker file,
corpus-partial.txt (`write_partial`), lists the files not generated, so that a later
`--check` tells a file a partial run did not write from a file the corpus lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
from unpack_race.scenarios.api.replaying import follow_under_every_variant
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scenarios.registry import scenario as get_scenario
from unpack_race.scheduler.explore import PASS, VIOLATION, Budget, explore
from unpack_race.scheduler.files import write_atomically
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.minimize import minimize_run
from unpack_race.scheduler.schedule import Schedule
from unpack_race.scheduler.strategies.dfs import DepthFirst

CORPUS = Path(__file__).resolve().parent / "corpus"
SUFFIX = ".schedule.json"

#: extra cases of the containerd scenarios (containerd-semantics §5.1, §5.3): of
#: retry-after-cancel under the canonical variant, the retry only after the cancelled pull
#: has returned (Saket Jajoo's kubelet restart, strictly sequential); GC at any step (the
#: over-approximation of the GC scheduler), or only while the db is dirty; no shared
#: duplication suppressor (ctr, nerdctl: no CRI kmutex); containerd 1.6 (its x/sync takes
#: a free key on a cancelled ctx, its unpacker does not abort on a cancel); the retry's
#: request before the cancel. Then the concurrent pulls without the shared kmutex, and PR
#: 10187's Commit half alone with it (the Prepare path, under the lock); the image-delete
#: scenarios' other shapes; the crash with one layer and the deleted lease without a
#: synchronous GC. Each is kept only when its minimal counterexample's steps (actor and
#: effect kind, in order) differ from every case before it.
EXTRA: tuple[tuple[str, str, Mapping[str, Any], str], ...] = (
    ("retry-after-cancel", "stat-early-return", {"overlap": False}, "no-overlap"),
    ("retry-after-cancel", "stat-early-return", {"gc-policy": "any"}, "gc-policy-any"),
    ("retry-after-cancel", "stat-early-return", {"gc-policy": "dirty"}, "gc-policy-dirty"),
    ("retry-after-cancel", "stat-early-return", {"kmutex": False}, "no-kmutex"),
    ("retry-after-cancel", "stat-early-return", {"release": "1.6"}, "release-1.6"),
    ("retry-after-cancel", "stat-early-return", {"order": "retry-then-cancel"}, "retry-then-cancel"),
    ("concurrent-pulls", "stat-early-return", {"kmutex": False}, "no-kmutex"),
    ("commit-already-exists", "commit-half-only", {"kmutex": True}, "kmutex"),
    # the 2019 form without a layer of its own (the pull completes with its chain swept), and
    # from a client without CRI's duplication suppressor (ctr, nerdctl)
    ("remove-image-during-pull", "stat-early-return", {"own": 0}, "own-0"),
    ("remove-image-during-pull", "stat-early-return", {"kmutex": False}, "no-kmutex"),
    # Image.Unpack of an image with no layer of its own: the config labelled with a swept chain
    ("rootfs-apply-layer", "head", {"own": 0}, "own-0"),
    # a crash with one layer: no parent to miss, the restart's image is made over the swept chain
    ("crash-instead-of-cancel", "stat-early-return", {"layers": 1}, "one-layer"),
    # the lease deleted without a synchronous GC: the pull's next add to its lease fails
    ("lease-deleted-under-pull", "prepare-with-lease", {"sync-gc": False}, "no-sync-gc"),
)

#: a case whose DFS has no verdict within this many executions makes the corpus partial
#: (and is reported); an execution budget, not a time limit, so the corpus is deterministic.
MAX_EXECUTIONS = 100_000

#: the marker a partial regeneration leaves in the corpus directory (removed by a whole one)
PARTIAL = "corpus-partial.txt"


@attrs.frozen
class Case:
    scenario: str
    variant: str
    overrides: Mapping[str, Any]
    tag: str = ""

    @property
    def filename(self) -> str:
        tag = f".{self.tag}" if self.tag else ""
        return f"{self.scenario}.{self.variant}{tag}{SUFFIX}"


def cases() -> Iterator[Case]:
    """Every (scenario, variant) expected to violate a property with default parameters,
    then the EXTRA cases."""
    for sc in SCENARIOS.values():
        for variant in sc.variants:
            if sc.expected(variant, {}).verdict == VIOLATION:
                yield Case(sc.name, variant, {})
    for name, variant, overrides, tag in EXTRA:
        if name in SCENARIOS:
            yield Case(name, variant, dict(overrides), tag)


class CorpusError(RuntimeError):
    """A case that does not behave as its scenario says (a bug to look at)."""


class NoVerdict(Exception):
    """A case whose search ran out of its budget before a verdict."""


def expectations(schedule: Schedule) -> dict[str, dict[str, Any]]:
    """The verdict of each variant of the schedule's scenario when the schedule is
    followed under it (RESYNC policy, as `replay --all-variants` does)."""
    sc = get_scenario(schedule.scenario)
    found = {}
    for replayed in follow_under_every_variant(schedule, sc, sc.resolve(schedule.params)):
        if replayed.verdict is None:
            raise CorpusError(f"{schedule.scenario}, variant {replayed.variant}: {replayed.problem}")
        found[replayed.variant] = replayed.verdict
    return found


def generate(case: Case) -> Schedule | None:
    """The case's minimal counterexample with its expectations, or None when the
    exhaustive search proves there is none and the scenario expects none. Raises
    NoVerdict when the search has no verdict within MAX_EXECUTIONS, CorpusError when the
    search proves there is none but the scenario expects a violation, and Interrupted
    (a KeyboardInterrupt) on Ctrl-C."""
    sc = get_scenario(case.scenario)
    params = sc.resolve(case.overrides)
    built = sc.build(case.variant, params)
    result = explore(built.program, DepthFirst(state_caching=True), built.properties,
                     bounds=built.bounds, budget=Budget(max_executions=MAX_EXECUTIONS))
    if not result.verdict.decided:
        raise NoVerdict(f"{case.filename}: no verdict within {MAX_EXECUTIONS} executions (the search's budget "
                        f"ran out)")
    if result.verdict != VIOLATION:
        if sc.expected(case.variant, params).verdict == VIOLATION:
            raise CorpusError(f"{case.filename}: the exhaustive search finds no counterexample (verdict "
                              f"{result.verdict.value}), but the scenario expects a violation")
        return None
    small = minimize_run(built.program, built.properties, result.run, result.violation)
    schedule = Schedule(case.scenario, case.variant, params, small.steps)
    expect = expectations(schedule)
    wanted = sc.expected(case.variant, params)
    got = expect[case.variant]
    if got["verdict"] != VIOLATION.value or (wanted.property and got["property"] != wanted.property):
        raise CorpusError(f"{case.filename}: under its own variant the minimised schedule gives {got}, "
                          f"not a violation of {wanted.property}")
    for variant in sc.variants:
        if sc.expected(variant, params).verdict == PASS and expect[variant]["verdict"] != PASS.value:
            raise CorpusError(f"{case.filename}: variant {variant} is expected to pass every execution, "
                              f"but this schedule followed under it gives {expect[variant]}")
    comment = (
        f"Minimal counterexample of {case.scenario} under {case.variant} ({built.bounds}), found by "
        f"DFS with state caching and minimised: {small.after.steps} steps, {small.after.preemptions} "
        f"preemptions. 'expect' is each variant's verdict when this "
        f"schedule is followed under it (unpack-race replay --all-variants). "
        f"Regenerate: unpack-race corpus --out scenarios/corpus"
    )
    return attrs.evolve(schedule, extensions={"comment": comment, "expect": expect})


def _shape(schedule: Schedule) -> tuple[tuple[str, str], ...]:
    return tuple((s.actor, s.effect) for s in schedule.steps)


@attrs.frozen
class Generated:
    """A regeneration: the files by name, notes on the cases decided but left out, and
    what is not decided: cases without a verdict (their search's budget ran out) and, after
    Ctrl-C, the case under way and those after it."""

    files: Mapping[str, Schedule]
    notes: tuple[str, ...]
    cases: tuple[Case, ...]  # every case, in order
    done: int  # cases gone through (decided or not), in order, before Ctrl-C if it came
    no_verdict: tuple[str, ...] = ()  # NoVerdict messages
    undecided: tuple[str, ...] = ()  # the file names of the cases without a verdict
    interrupted: str | None = None  # the file name of the case under way at Ctrl-C

    @property
    def unfinished(self) -> tuple[str, ...]:
        """The file names of every case not decided: no verdict, interrupted, not reached."""
        return self.undecided + tuple(c.filename for c in self.cases[self.done:])

    @property
    def partial(self) -> bool:
        return bool(self.unfinished)


def build_corpus(progress: Callable[[Case, int, int], None] | None = None) -> Generated:
    """Every corpus file by name, with notes on the cases left out; `progress(case, done,
    count)` is called before each case, with the number of cases done and of all. On
    Ctrl-C raises Interrupted (a KeyboardInterrupt) whose `partial` is the Generated so far."""
    everything = tuple(cases())
    files: dict[str, Schedule] = {}
    shapes: set[tuple] = set()
    notes: list[str] = []
    no_verdict: list[str] = []
    undecided: list[str] = []
    done = 0

    def so_far(interrupted: str | None = None) -> Generated:
        return Generated(dict(files), tuple(notes), everything, done, tuple(no_verdict), tuple(undecided),
                         interrupted)

    for case in everything:
        try:
            if progress is not None:
                progress(case, done, len(everything))
            schedule = generate(case)
        except NoVerdict as err:
            no_verdict.append(str(err))
            undecided.append(case.filename)
            done += 1
            continue
        except KeyboardInterrupt as stop:
            raise Interrupted(so_far(case.filename)) from stop
        done += 1
        if schedule is None:
            notes.append(f"{case.filename}: no counterexample (the exhaustive search passes, as the scenario "
                         f"expects); left out")
            continue
        shape = _shape(schedule)
        if case.tag and shape in shapes:
            notes.append(f"{case.filename}: the same steps as an earlier case; left out")
            continue
        shapes.add(shape)
        files[case.filename] = schedule
    return so_far()


def stale(files: Mapping[str, Schedule], directory: Path, unfinished: Iterable[str] = ()) -> tuple[str, ...]:
    """The corpus files in `directory` that no case generates (not counting those of the
    `unfinished` cases, which might)."""
    existing = {p.name for p in directory.glob(f"*{SUFFIX}")} if directory.is_dir() else set()
    return tuple(sorted(existing - set(files) - set(unfinished)))


def differing(files: Mapping[str, Schedule], directory: Path) -> tuple[str, ...]:
    """The generated files that `directory` lacks or holds with other content."""
    return tuple(name for name, schedule in sorted(files.items())
                 if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != schedule.dumps())


def write(files: Mapping[str, Schedule], directory: Path) -> None:
    """Write every file (atomically) into `directory`."""
    for name, schedule in sorted(files.items()):
        write_atomically(directory / name, schedule.dumps())


def write_partial(directory: Path, why: str, unfinished: Iterable[str]) -> Path:
    """Leave the PARTIAL marker in `directory`: why the regeneration is partial, and the
    files it did not generate (one per line after "not generated: ")."""
    lines = [f"This corpus is partial: {why}.",
             "`unpack-race corpus --out DIR` regenerates it whole (and removes this file); until then",
             "`unpack-race corpus --check` does not count a file below that is missing as a regression.",
             *(f"not generated: {name}" for name in unfinished)]
    return write_atomically(directory / PARTIAL, "\n".join(lines) + "\n")


def read_partial(directory: Path) -> tuple[str, ...] | None:
    """The files the last, partial, regeneration into `directory` did not generate (None
    when it left no PARTIAL marker: the last regeneration was whole)."""
    marker = directory / PARTIAL
    if not marker.is_file():
        return None
    prefix = "not generated: "
    return tuple(line[len(prefix):] for line in marker.read_text(encoding="utf-8").splitlines()
                 if line.startswith(prefix))


def clear_partial(directory: Path) -> None:
    """Remove the PARTIAL marker (after a whole regeneration)."""
    (directory / PARTIAL).unlink(missing_ok=True)
