"""Every notebook in notebooks/ is stored with its outputs and runs, as a reader would run
it, in a Jupyter kernel (nbclient and ipykernel), without an error; each one's story is
what it prints. So a notebook can neither rot nor be committed without what it shows.

Expected texts come from containerd's history (the 3787 error text; prepare-with-lease
passing) and, for the exercise, from the predictions written down in the notebook before
any run (`Variant.violates`: idea A, Stat then AddResource, violates no-missing-parent;
idea B, AddResource then Stat, holds), which `compare` holds each verdict against."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))

#: what each notebook must print, by file name
STORIES = {
    "1-the-race.ipynb": ["parent snapshot sha256:c1 does not exist: not found", "GC swept snapshots: sha256:c1",
                         "pass - exhaustive within bounds"],
    "2-the-fix-proven.ipynb": ["prepare-with-lease           pass      expected pass",
                               "stat-early-return            violation expected violation",
                               "layers=3 gc-policy=any gc-runs=2: pass"],
    "3-how-the-search-works.ipynb": ["account-bad", "reorder-3-bad", "wronglock-3-bad"],
    "4-your-own-variant.ipynb": ["stat-then-add-resource       violation no-missing-parent  as predicted",
                                 "add-resource-then-stat       pass      -                  as predicted",
                                 "every verdict as predicted: as-expected",
                                 "parent snapshot sha256:c1 does not exist: not found"],
}


#: SCTBench's programs are buggy by construction, so an exhaustive search finds each one's bug
EXHAUSTIVE = ("dfs", "dpor", "bfs", "auto")


def printed(nb: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


def test_every_notebook_has_its_story_here():
    assert NOTEBOOKS and {p.name for p in NOTEBOOKS} == set(STORIES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_notebook_is_stored_with_its_outputs(path):
    stored = nbformat.read(path, as_version=4)
    code = [cell for cell in stored.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count is not None for cell in code), "run it and save it with its outputs"
    for text in STORIES[path.name]:
        assert text in printed(stored), f"{path.name} is stored without {text!r}: run it again and save it"
    pictures = [out for cell in code for out in cell.outputs if "image/png" in out.get("data", {})]
    assert pictures, f"{path.name} is stored without its pictures: run it again and save it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_notebook_runs_in_a_kernel_and_prints_its_story(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs if out.output_type == "error"]
    assert not errors, errors
    for text in STORIES[path.name]:
        assert text in printed(nb), text


def test_every_exhaustive_strategy_finds_each_classics_bug_in_the_search_notebook():
    stored = nbformat.read(NOTEBOOKS[0].parent / "3-how-the-search-works.ipynb", as_version=4)
    lines = printed(stored).splitlines()
    header = next(line.split() for line in lines if line.startswith("program") and "dpor" in line)
    for program in STORIES["3-how-the-search-works.ipynb"]:
        cells = dict(zip(header[1:], next(line.split() for line in lines if line.startswith(program + " "))[1:]))
        assert all(cells[s].isdigit() for s in EXHAUSTIVE), (program, cells)
