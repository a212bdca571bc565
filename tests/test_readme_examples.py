"""The README's Python examples run as written, so that the README cannot rot: every
```python block is extracted and executed (a section's blocks in order, in one
namespace, in a scratch directory), and "Model your own race" keeps its promise: a
counterexample and a passing fix in under 30 lines of the reader's code.

The expected verdicts come from the race itself, not from a run: two threads that both
find the cache empty before either fills it both load the value (a violation of
"loaded once"), and a lock around the check and the act makes them one atomic step
(a pass)."""

from __future__ import annotations

import contextlib
import io
import re
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


def run_section(title: str, directory: Path) -> tuple[dict, str]:
    """Execute the section's Python blocks in order; the namespace and what they printed."""
    namespace: dict = {"__name__": f"readme_{title.replace(' ', '_')}"}
    printed = io.StringIO()
    with contextlib.chdir(directory), contextlib.redirect_stdout(printed):
        for language, code in sections()[title]:
            if language == "python":
                exec(compile(code, f"README.md ({title})", "exec"), namespace)  # noqa: S102 - our own README
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


def test_the_own_race_example_is_under_30_lines_of_code():
    first = next(code for language, code in sections()[OWN_RACE] if language == "python")
    assert len(code_lines(first)) < 30, "\n".join(code_lines(first))


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
    first_output = next(text for language, text in sections()[OWN_RACE] if language == "")
    assert printed.startswith(first_output)


def test_the_scenario_example_meets_each_variants_expected_verdict(own_race):
    _, printed = own_race
    assert "racy violation as expected" in printed and "locked pass as expected" in printed
    assert "NOT as expected" not in printed
    # shared_memory's footprints and fingerprint are exact (tests/scenarios/test_classics_footprints.py)
    assert "racy 0 lint findings" in printed and "locked 0 lint findings" in printed
