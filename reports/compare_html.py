"""The page of a comparison (`compare --report`), one file beside the variants' own pages:
the table `compare` prints, one row per variant, each row linking to the HTML report of
its counterexample (reports/html_report.py); a variant that passes has no counterexample
to step through, and its row says so (the other pages show how it follows their
schedules). Reads a scenarios.api `Compared`; nothing is fetched from a network."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from unpack_race.reports.compare_text import HEADER, outcome_line, table_rows

PAGE = files("unpack_race.reports.page")


def _cell(row: Any, pages: Mapping[str, str]) -> str:
    page = pages.get(row.variant)
    if page is not None:
        return f'<a href="{escape(quote(page))}">its counterexample, step by step</a>'
    return "no counterexample: it passes (the others' pages show it following their schedules)"


def compare_html(compared: Any, pages: Mapping[str, str]) -> str:
    """The page; `pages` maps a variant to the file name of its report (beside this page)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in (*HEADER, "report"))
    body = []
    for row, cells in zip(compared.rows, table_rows(compared)):
        tds = "".join(f"<td>{escape(str(c))}</td>" for c in cells)
        body.append(f'<tr data-variant="{escape(row.variant)}">{tds}<td>{_cell(row, pages)}</td></tr>')
    title = f"{compared.scenario.name}: every variant side by side"
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>unpack-race compare: {escape(title)}</title>',
        f'<style>{PAGE.joinpath("report.css").read_text()}</style></head><body>',
        f"<h1>{escape(title)}</h1>",
        f'<p class="where">bounds {escape(compared.bounds)}</p>',
        f'<table id="variants"><tr>{head}</tr>{"".join(body)}</table>',
        f'<p class="verdict">{escape(outcome_line(compared))}</p>',
        '<p class="note">Written by unpack-race compare --report; this file needs no network and no server.</p>',
        "</body></html>",
        "",
    ])


__all__ = ["compare_html"]
