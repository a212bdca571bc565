"""Saving a matplotlib figure as SVG and PNG with the same bytes for the same figure, in
any process: no display (the Agg backend), no date or software version in the metadata,
a fixed hash salt for the SVG's element ids, and text kept as paths so that the SVG does
not depend on the fonts installed where it is viewed. Files are written atomically
(scheduler.files)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: never a display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from unpack_race.scheduler.files import write_atomically  # noqa: E402

FORMATS = ("svg", "png")
#: the metadata each format is written with: nothing that changes between runs
METADATA = {"svg": {"Date": None, "Creator": None}, "png": {"Software": None}}
DPI = 100


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure in `fmt` ("svg" or "png"), the same bytes for the same figure."""
    if fmt not in FORMATS:
        raise ValueError(f"a figure is saved as {' or '.join(FORMATS)}, not {fmt!r}")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "unpack-race", "svg.fonttype": "path"}):
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=METADATA[fmt])
    return buffer.getvalue()


def save_figure(fig: Figure, stem: str | Path, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write the figure as `stem`.svg and `stem`.png (or the formats given), atomically;
    the paths written. The figure is closed afterwards."""
    try:
        written = []
        for fmt in formats:
            path = Path(f"{stem}.{fmt}")
            written.append(write_atomically(path, figure_bytes(fig, fmt)))
        return written
    finally:
        plt.close(fig)
