"""The README's Python examples run as written, so that the README cannot rot: every
```python block is extracted and executed (a section's blocks in order, in one
namespace, in a scratch directory; a block whose first line is `# NAME.py` is written
there as that file instead), and "Model your own race" keeps its promise, followed as a
reader would: its model file, written outside the package, under 30 lines of the
reader's code; each of its commands run as printed (the counterexample from `check
cache_race.py:CacheRace`, then replay, minimize, explain and lint of it); and its pytest
test, under 15 lines, run by pytest with the plugin.

The expected verdicts come from the race itself, not from a run: two threads that both
find the cache empty before either fills it both load the value (a violation of
"loaded once"), and a lock around the check and the act makes them one atomic step
(a pass)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from unpack_race.scheduler.shared_memory import Read
from unpack_race.scheduler.verdict import Verdict

README = Path(__file__).resolve().parents[1] / "README.md"
OWN_RACE = "Model your own race"


def sections() -> dict[str, list[tuple[str, str]]]:
    """Each `## ` section's fenced blocks, in order, as (language, text) pairs."""
    found: dict[str, list[tuple[str, str]]] = {}
    title = ""
    for part in re.split(r"(?m)^## (.+)\n", README.read_text())[1:]:
        if not title:
            title = part
            continue
        found[title] = re.findall(r"(?ms)^```(\w*)\n(.*?)^```\n", part)
        title = ""
    return found


def python_sections() -> list[str]:
    return [title for title, blocks in sections().items() if any(language == "python" for language, _ in blocks)]


def file_name(code: str) -> str | None:
    """The file a block is, from its first line `# NAME.py`; None for a snippet."""
    first = code.splitlines()[0] if code else ""
    found = re.fullmatch(r"# (\w+\.py)", first)
    return found.group(1) if found else None


def write_files(title: str, directory: Path) -> dict[str, str]:
    """Write the section's file blocks into `directory`; their names and code."""
    files = {name: code for language, code in sections()[title] if language == "python"
             for name in [file_name(code)] if name is not None}
    for name, code in files.items():
        (directory / name).write_text(code)
    return files


def run_section(title: str, directory: Path) -> tuple[dict, str]:
    """Write the section's file blocks into `directory`, then execute its other Python
    blocks in order there (the files importable); the namespace and what they printed."""
    files = write_files(title, directory)
    namespace: dict = {"__name__": f"readme_{title.replace(' ', '_')}"}
    printed = io.StringIO()
    sys.path.insert(0, str(directory))
    try:
        with contextlib.chdir(directory), contextlib.redirect_stdout(printed):
            for language, code in sections()[title]:
                if language == "python" and file_name(code) is None:
                    exec(compile(code, f"README.md ({title})", "exec"), namespace)  # noqa: S102 - our own README
    finally:
        sys.path.remove(str(directory))
        for name in files:  # the next section's files of the same name are other files
            sys.modules.pop(name.removesuffix(".py"), None)
    return namespace, printed.getvalue()


def code_lines(code: str) -> list[str]:
    return [line for line in code.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_readme_has_python_examples_and_a_model_your_own_race_section():
    assert OWN_RACE in python_sections() and "Library" in python_sections()


@pytest.mark.parametrize("title", python_sections())
def test_every_python_block_of_the_readme_runs(title, tmp_path):
    run_section(title, tmp_path)


@pytest.fixture(scope="module")
def own_race(tmp_path_factory):
    return run_section(OWN_RACE, tmp_path_factory.mktemp("readme"))


def file_block(title: str, name: str) -> str:
    return next(code for language, code in sections()[title] if language == "python" and file_name(code) == name)


def test_the_own_race_model_is_under_30_lines_of_code_and_its_test_under_15():
    model, test = file_block(OWN_RACE, "cache_race.py"), file_block(OWN_RACE, "test_cache_race.py")
    assert len(code_lines(model)) < 30, "\n".join(code_lines(model))
    assert len(code_lines(test)) < 15, "\n".join(code_lines(test))


def test_the_own_race_example_finds_the_check_then_act_race_and_proves_the_fix(own_race):
    namespace, _ = own_race
    racy, fixed = namespace["racy"], namespace["fixed"]
    assert racy.verdict is Verdict.VIOLATION and racy.violation.property == "loaded-once"
    misses = [s.actor for s in racy.counterexample if isinstance(s.effect, Read) and s.effect.var == "cache"
              and s.result == 0]
    assert sorted(misses) == ["t1", "t2"]  # both threads found the cache empty
    assert racy.run.world.vars["loads"] == 2  # and both loaded the value
    assert fixed.verdict is Verdict.PASS and fixed.coverage.finished  # exhaustive: a proof for two threads


def test_the_output_the_readme_shows_is_what_the_example_prints(own_race):
    _, printed = own_race
    explored = [text for language, text in sections()[OWN_RACE] if language == ""][-1]  # after the explore block
    assert printed.startswith(explored)


def test_the_scenario_example_meets_each_variants_expected_verdict(own_race):
    _, printed = own_race
    assert "racy violation as expected" in printed and "locked pass as expected" in printed
    assert "NOT as expected" not in printed
    # shared_memory's footprints and fingerprint are exact (tests/scenarios/test_classics_footprints.py)
    assert "racy 0 lint findings" in printed and "locked 0 lint findings" in printed


def unpack_race(command: str) -> list[str]:
    """A README command line, run with this interpreter's unpack_race."""
    words = shlex.split(command)
    assert words[0] == "unpack-race", command
    return [sys.executable, "-m", "unpack_race", *words[1:]]


def test_a_reader_follows_the_own_race_section_from_the_command_line_with_a_model_outside_the_package(tmp_path):
    """The section's file in a directory of the reader's; each command as printed. The
    exit codes come from the race: the racy variant violates "loaded once" (both threads
    miss the cache), so check and replay exit 1; its schedule minimises and explains
    (exit 0); shared_memory's footprints are exact, so lint is clean (exit 0); the
    locked variant, under pytest, is a pass."""
    write_files(OWN_RACE, tmp_path)
    (commands,) = [code for language, code in sections()[OWN_RACE] if language == "sh"]
    expected = {"check": 1, "replay": 1, "minimize": 0, "explain": 0, "lint": 0}
    outputs = {}
    for line in commands.splitlines():
        done = subprocess.run(unpack_race(line), cwd=tmp_path, capture_output=True, text=True, timeout=120)
        verb = shlex.split(line)[1]
        assert done.returncode == expected[verb], (line, done.stdout[-2000:], done.stderr[-2000:])
        outputs[verb] = done.stdout
    assert set(outputs) == set(expected)
    assert "--scenario " in outputs["check"] and str(tmp_path / "cache_race.py") + ":CacheRace" in outputs["check"]
    assert "Minimised counterexample" in outputs["minimize"] and "Racing pair" in outputs["explain"]

    shown = next(text for language, text in sections()[OWN_RACE] if language == "" and text.startswith("$ "))
    head, _, tail = shown.partition("...\n")
    command, *first_lines = head.splitlines()
    assert command == "$ " + commands.splitlines()[0]  # the output shown is the first command's
    assert outputs["check"].startswith("\n".join(first_lines))
    assert all(line in outputs["check"].splitlines() for line in tail.splitlines())

    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_cache_race.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert "2 passed" in tested.stdout
