"""`unpack-race report FILE [--scenario REF] --out DIR`: the HTML report of a schedule,
one file (FILE's name with .html) that opens offline: the story in containerd's words,
the swimlane, a step-through with the state diff of every step, the racing pair and its
counterfactuals, and the schedule under every variant (reports/html_report.py). Exit 0,
or 2 when the file cannot be used or DIR cannot be written. With --json, what was
written as one JSON document (reports/report_text.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from unpack_race.reports.report_text import report_document, report_lines
from unpack_race.scenarios.api.reporting import Reported, report
from unpack_race.scenarios.commands.arguments import output_directory, writing_into
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.minimize_command import stem
from unpack_race.scenarios.commands.options import add_scenario_option
from unpack_race.scheduler.files import write_atomically


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("report", help="a one-file HTML report of a schedule: story, swimlane, step-through, variants")
    p.add_argument("file", type=Path)
    p.add_argument("--out", type=output_directory, required=True, metavar="DIR",
                   help="directory for the page, FILE's name with .html")
    add_scenario_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    reported = report(args.file, scenario=args.scenario)
    written, size = write_page(reported, args.out, stem(args.file))
    for line in report_lines(reported, str(written), size):
        print(line)
    emit(args, report_document(reported, str(written), size))
    return 0


def write_page(reported: Reported, directory: Path, name: str) -> tuple[Path, int]:
    """Write the report's page into `directory` as `name`.html; its path and size."""
    from unpack_race.reports.html_report import html_report  # matplotlib: here, not when any command starts

    page = html_report(reported).encode()
    with writing_into(directory):
        return write_atomically(directory / f"{name}.html", page), len(page)
