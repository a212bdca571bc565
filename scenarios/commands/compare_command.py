"""`unpack-race compare [--out DIR]`: every variant of a scenario side by side (the main
job), each verdict held against the one expected from containerd's history. With --out,
also compare.md, compare.json (each row with its coverage record) and the
counterexamples' schedules. Exit 0 when every verdict is the expected one, 1 when a
verdict is not, 4 when a budget ran out before a verdict and none was unexpected. Ctrl-C
(or SIGTERM) ends the comparison: the rows finished and the interrupted one are printed
(and written, marked partial), and the exit code is 4. With --json, stdout carries
compare.json's document (partial too, on Ctrl-C), whether or not --out is given. With
--report (and --out), each counterexample's HTML report too (report_command) and
compare.html, the table with a link to each page (reports/compare_html.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from unpack_race.reports.compare_text import (
    compare_document,
    compare_markdown,
    compare_text,
    written_line,
)
from unpack_race.reports.documents import dumps
from unpack_race.scenarios.api import Compared, Interrupted, compare
from unpack_race.scenarios.api.reporting import report
from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.commands.arguments import output_directory, writing_into
from unpack_race.scenarios.commands.colour import print_result
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.options import (
    add_param_options,
    add_strategy_options,
    overrides,
    search_progress,
    search_settings,
)
from unpack_race.scenarios.commands.minimize_command import stem
from unpack_race.scenarios.commands.progress import showing
from unpack_race.scenarios.commands.report_command import write_page
from unpack_race.scenarios.interrupts import held
from unpack_race.scenarios.registry import CANONICAL, scenario_of
from unpack_race.scheduler.explore import Progress
from unpack_race.scheduler.files import write_atomically


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("compare", help="every variant side by side (the main job)")
    p.add_argument("--scenario", default=CANONICAL, metavar="SCENARIO",
                   help=f"the scenario (default: {CANONICAL}): a name, or one of your own: FILE.py:NAME or MODULE:NAME")
    p.add_argument("--out", type=output_directory, default=None,
                   help="also write compare.md, compare.json and the counterexamples here")
    p.add_argument("--report", action="store_true",
                   help="with --out, also each counterexample's HTML report and compare.html linking them")
    add_param_options(p)
    add_strategy_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    if args.report and args.out is None:
        raise ParamError("--report needs --out DIR: the pages are written there")
    strategy, budget, options = search_settings(args)
    sc = scenario_of(args.scenario)
    stop = None
    try:
        with showing(args) as shown:
            show = search_progress(shown, strategy, budget, options)
            compared = compare(sc, params=overrides(args), strategy=strategy, budget=budget,
                               progress=each_variant(show, sc.variants), **options)
    except Interrupted as interrupted:  # the rows finished, and the interrupted one: shown and written
        compared, stop = interrupted.partial, interrupted
    with held(reraise=stop is None):  # the files are written whole, also on a second Ctrl-C
        schedules = {}
        if args.out is not None:
            with writing_into(args.out):
                for row in compared.rows:
                    if row.counterexample is not None:
                        cx = row.counterexample
                        schedules[row.variant] = str(cx.schedule.save(args.out / cx.filename))
        print_result(args, compare_text(compared))
        document = compare_document(compared, schedules)
        if args.out is not None:
            with writing_into(args.out):
                write_atomically(args.out / "compare.md", compare_markdown(compared))
                write_atomically(args.out / "compare.json", dumps(document))
            print(written_line(args.out / "compare.md", args.out / "compare.json"))
        if args.report:
            print(f"report written: {write_pages(compared, args.out)} (and one page per counterexample)")
        emit(args, document)
    if stop is not None:
        raise stop  # exit 4, with the one line (scenarios/cli.py)
    return compared.outcome.exit_code


def write_pages(compared: Compared, directory: Path) -> Path:
    """Each counterexample's report, then compare.html linking them; the latter's path."""
    from unpack_race.reports.compare_html import compare_html  # with the pages' matplotlib: only with --report

    pages = {}
    for row in compared.rows:
        if row.counterexample is not None:
            name = stem(Path(row.counterexample.filename))
            pages[row.variant] = write_page(report(row.counterexample), directory, name)[0].name
    with writing_into(directory):
        return write_atomically(directory / "compare.html", compare_html(compared, pages))


def each_variant(show: Callable[[str, Progress], None] | None,
                 variants: Sequence[str]) -> Callable[[str, Progress], None] | None:
    """The progress of each variant's search, labelled with its place among `variants`."""
    if show is None:
        return None
    return lambda variant, p: show(f"{variant}, variant {variants.index(variant) + 1} of {len(variants)}", p)
