"""Running the command line for the reliability tests: in this process (`run`), with the
commands' real work stopped where it would start (`stop_before_work`), or as a child
process (`child`), and the checks every refusal must pass (`assert_refused`).

Stopping the work: the command runs as it does for a user up to the point where its search
(or lint, bench, corpus regeneration, minimisation, explanation, a drawing or the state graph
it draws) would start, and there
raises `WorkStarted`. The validation that the search itself does before its first
execution (the strategy's options, the property scopes it can check) is done first, as
the search does. So a test sees whether a bad input is refused *before* the work starts,
and a fuzzer can try any options without starting long searches.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import unpack_race
from unpack_race.scenarios import bench, cli
from unpack_race.scenarios.api import checking, comparing, drawing, explaining, linting, minimizing
from unpack_race.reports.figures import bench_plots, happens_before, saving
from unpack_race.reports.figures import state_graph as state_graph_figure
from unpack_race.scenarios.commands import corpus_command
from unpack_race.scheduler.explore import PropertyScopeError
from unpack_race.scheduler.strategies.registry import entry

#: the longest error line any refusal may print: what the user gave is echoed cut (to 80
#: characters a value, 120 a path, 200 a schedule step's arguments); the rest is the
#: program's own words (a divergence names the step expected and the one found)
LINE_LIMIT = 1000
#: the package's parent and the checkout, for a child process to import this unpack_race
#: (the folder as imported, not resolved: where unpack_race is a symbolic link to a
#: checkout, the checkout's own parent would put its sibling folders on the path)
PACKAGE_PARENT = Path(unpack_race.__file__).absolute().parent.parent
CORPUS = Path(unpack_race.__file__).resolve().parent / "scenarios" / "corpus"


class WorkStarted(BaseException):
    """The command's work would start now. A BaseException, so that the dispatcher's last
    line of defence (which turns an Exception into exit 3) lets it through."""


def _search(built, strategy, budget, progress, options, *_, **__):  # estimate, checkpoint, backend: unused
    chosen = entry(strategy)
    values = chosen.resolve(options)  # as registry.search does first
    if chosen.make is not None:  # as explore does before its first execution
        refusal = chosen.make(**values).refuse(list(built.properties))
        if refusal is not None:
            raise PropertyScopeError(refusal)
    raise WorkStarted("search")


def _stop(what: str):
    def stopped(*args, **kwargs):
        raise WorkStarted(what)
    return stopped


def stop_before_work(monkeypatch) -> None:
    """Make every command stop (WorkStarted) where its real work would start."""
    monkeypatch.setattr(checking, "run_search", _search)
    monkeypatch.setattr(comparing, "run_search", _search)
    monkeypatch.setattr(linting, "lint_program", _stop("lint"))
    monkeypatch.setattr(bench, "run", _stop("bench"))
    monkeypatch.setattr(corpus_command, "build_corpus", _stop("corpus"))
    monkeypatch.setattr(minimizing, "minimize_run", _stop("minimize"))
    monkeypatch.setattr(explaining, "explain_run", _stop("explain"))
    monkeypatch.setattr(drawing, "state_graph", _stop("state graph"))
    for module, name in ((bench_plots, "save_bench_plots"), (happens_before, "save_happens_before"),
                         (state_graph_figure, "save_state_graph"), (saving, "save_figure")):
        monkeypatch.setattr(module, name, _stop("draw"))  # draw's run imports them where it needs them


@dataclass
class Outcome:
    code: int | None  # None: the work started (WorkStarted)
    out: str
    err: str
    work: str | None = None  # the work that started

    @property
    def lines(self) -> list[str]:
        return self.err.splitlines()


def run(capsys, *argv: str) -> Outcome:
    """The command line run in this process."""
    work = None
    try:
        code = cli.main(list(argv))
    except WorkStarted as started:
        code, work = None, started.args[0]
    except SystemExit as exited:  # argparse's --help or --version
        code = exited.code if isinstance(exited.code, int) else 0
    out, err = capsys.readouterr()
    return Outcome(code, out, err, work)


def child_env() -> dict[str, str]:
    """The environment of a child process that imports this process's unpack_race."""
    here = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE_PARENT), *([here] if here else [])]))


def child(*argv: str, cwd: Path, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """The command line run as a child process (`python -m unpack_race`)."""
    return subprocess.run([sys.executable, "-m", "unpack_race", *argv], cwd=cwd, env=child_env(),
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def assert_refused(code: int | None, out: str, err: str, *named: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr of bounded length, starting with
    "unpack-race: ", no traceback, naming each of `named`; the line."""
    assert code == 2, (code, err[:300])
    assert "Traceback" not in err, err[:2000]
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err[:2000]
    line = lines[0]
    assert line.startswith("unpack-race: "), line
    assert len(line) <= LINE_LIMIT, f"{len(line)} characters: {line[:300]}"
    assert out == "", out[:300]
    for name in named:
        assert name in line, (name, line)
    return line


def files_under(directory: Path) -> set[Path]:
    """Every file and directory under `directory` (relative paths)."""
    return {p.relative_to(directory) for p in directory.rglob("*")}


def fuzz_examples(default: int) -> int:
    """How many examples a fuzzer tries: `default` in the suite, or the count in
    UNPACK_RACE_FUZZ_EXAMPLES for a longer campaign (e.g. 20000)."""
    given = os.environ.get("UNPACK_RACE_FUZZ_EXAMPLES", "")
    return int(given) if given.isdigit() and int(given) > 0 else default
