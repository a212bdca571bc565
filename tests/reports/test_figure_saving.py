"""A figure's files have the same bytes for the same figure, in this process and in
another one (under another PYTHONHASHSEED), and carry no date."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.pyplot as plt
import pytest
from unpack_race.reports.figures.saving import figure_bytes, save_figure

DRAW = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1, 2], [2, 0, 1], label="a line")
ax.bar([0, 1], [1, 2])
ax.set_title("same bytes")
ax.legend()
"""


def drawn():
    namespace: dict = {}
    exec(DRAW, namespace)  # noqa: S102 - the figure above
    return namespace["fig"]


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_same_figure_has_the_same_bytes_in_another_process(fmt, tmp_path):
    here = figure_bytes(drawn(), fmt)
    script = DRAW + f"\nfrom unpack_race.reports.figures.saving import figure_bytes\nimport sys\n" \
                    f"sys.stdout.buffer.write(figure_bytes(fig, {fmt!r}))\n"
    there = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}).stdout
    assert here == there and len(here) > 1000


def test_an_svg_carries_no_date_and_no_text_that_needs_fonts(tmp_path):
    svg = figure_bytes(drawn(), "svg").decode()
    assert "<dc:date>" not in svg and "<text" not in svg
    fig = drawn()
    paths = save_figure(fig, tmp_path / "fig")
    assert [p.name for p in paths] == ["fig.svg", "fig.png"] and paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.number not in plt.get_fignums()  # the figure was closed


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="svg or png"):
        figure_bytes(drawn(), "pdf")
