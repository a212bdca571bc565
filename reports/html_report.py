"""The HTML report of a run, in one file that needs nothing else: no network, no server.
The swimlane is inline SVG (reports/figures, with deterministic bytes), the style and
the step-through's script are inlined from reports/page/, and the page's data
(reports/page/page_data.py) is a JSON block the script reads. What a person reads first
(the verdict, the story, the race, the variants) is plain HTML, there without the script.

`html_report(reported)` reads a scenarios.api `Reported`; the same input gives the same
bytes.
"""

from __future__ import annotations

import json
from html import escape
from importlib.resources import files
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from unpack_race.reports.figures.saving import figure_bytes
from unpack_race.reports.figures.swimlane import TooLargeToDraw, swimlane
from unpack_race.reports.page.page_data import marks, page_data, racing_path

PAGE = files("unpack_race.reports.page")


def report_swimlane(reported: Any) -> Figure:
    """The swimlane of a report's run: its racing pair and happens-before path, the
    violating step, and the view's marks (a cancellation, a lease deleted). Raises
    TooLargeToDraw for a run too long to draw."""
    explanation = reported.explained.explanation if reported.explained is not None else None
    racing = explanation.racing if explanation is not None else None
    violation = reported.violation
    return swimlane(reported.run, racing=racing, path=racing_path(explanation) if racing else (),
                    marks=marks(reported), violating=violation.step_index if violation else None,
                    title=f"{reported.loaded.scenario.name}, variant {reported.loaded.variant}")


def swimlane_svg(reported: Any) -> str:
    """The swimlane as inline SVG markup, or a paragraph saying why it is not drawn."""
    try:
        fig = report_swimlane(reported)
    except TooLargeToDraw as err:
        return f'<p class="too-large">{escape(str(err))}; the step-through below shows every step.</p>'
    svg = figure_bytes(fig, "svg").decode()
    plt.close(fig)
    return svg[svg.index("<svg"):]  # no XML declaration or doctype inside HTML


def _list(items: list[str], tag: str = "ol") -> str:
    return f"<{tag}>" + "".join(f"<li>{escape(item)}</li>" for item in items) + f"</{tag}>"


def verdict_html(data: dict[str, Any]) -> str:
    violation = data["violation"]
    if violation is None:
        return f'<p class="verdict pass">No property violated in the {len(data["steps"])} steps replayed.</p>'
    return (f'<p class="verdict violation">VIOLATION of {escape(violation["property"])} at step '
            f'{violation["step"]}: {escape(violation["message"])}</p>')


def story_html(data: dict[str, Any]) -> str:
    if data["story"]:
        return "<h2>The story</h2>" + _list(data["story"])
    return "<h2>The run</h2>" + _list([f'{s["index"]}. {s["narration"]}' for s in data["steps"]], "ul")


def steps_html(data: dict[str, Any]) -> str:
    rows = []
    for s in data["steps"]:
        failed = ' class="failed"' if s["error"] else ""
        rows.append(f'<li id="row-{s["index"]}" data-step="{s["index"]}" value="{s["index"]}"{failed}>'
                    f'{escape(s["actor"])}: {escape(s["narration"])}</li>')
    return f'<ol class="steps" start="0">{"".join(rows)}</ol>'


def race_html(data: dict[str, Any]) -> str:
    if data["racing"] is None:
        return ""
    first, second = data["racing"]["pair"]
    path = " → ".join(str(k) for k in data["racing"]["path"])
    return (f"<h2>The race</h2><p>The racing pair: steps {first} and {second} (outlined in orange in the swimlane; "
            f"their happens-before path {path}).</p><pre>{escape(chr(10).join(data['explanation']))}</pre>")


def variants_html(data: dict[str, Any]) -> str:
    head = "<tr><th>variant</th><th>verdict</th><th>expected</th><th>where its code departs</th><th>outcome</th></tr>"
    rows = []
    for v in data["variants"]:
        name = escape(v["variant"]) + (" (recorded)" if v["recorded"] else "")
        verdict_class = "pass" if v["verdict"] == "pass" else "violation"
        rows.append(f'<tr data-variant="{escape(v["variant"])}"><td>{name}</td>'
                    f'<td class="{verdict_class}">{escape(v["verdict"])}</td><td>{escape(v["expected"] or "-")}</td>'
                    f'<td>{escape(v["departs"] or "follows the schedule as written")}</td>'
                    f'<td>{escape(v["outcome"])}</td></tr>')
    return ("<h2>Under every variant</h2><p>The same schedule followed under each variant of the scenario "
            f'(differential replay):</p><table id="variants">{head}{"".join(rows)}</table>')


def html_report(reported: Any) -> str:
    """The page (see the module docstring)."""
    data = page_data(reported)
    title = f'{data["scenario"]}, variant {data["variant"]}'
    script_data = json.dumps(data, ensure_ascii=True).replace("<", "\\u003c")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>unpack-race report: {escape(title)}</title>",
        f'<style>{PAGE.joinpath("report.css").read_text()}</style>',
        "</head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="where">{escape(data["where"])}; schedule {escape(data["source"])}</p>',
        verdict_html(data),
        story_html(data),
        "<h2>Swimlane</h2>",
        f'<div class="swimlane">{swimlane_svg(reported)}</div>',
        "<h2>Step through</h2>",
        '<div class="controls"><button id="first">« first</button><button id="previous">◀ previous</button>'
        '<span id="counter"></span><button id="next">next ▶</button><button id="last">last »</button>'
        '<span class="note">or the arrow keys, Home and End</span></div>',
        '<div id="card" class="card"></div>',
        steps_html(data),
        race_html(data),
        variants_html(data),
        '<p class="note">Written by unpack-race report; this file needs no network and no server.</p>',
        f'<script id="report-data" type="application/json">{script_data}</script>',
        f'<script>{PAGE.joinpath("report.js").read_text()}</script>',
        "</body></html>",
        "",
    ])


__all__ = ["html_report", "report_swimlane", "swimlane_svg"]
