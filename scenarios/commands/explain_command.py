"""`unpack-race explain FILE [--json]`: the happens-before graph, the racing pair, the
window and the counterfactuals (scheduler.explain), with the story of issue 3787 in
containerd's words when the run has its shape; with --json, the same as one JSON document
(the graph's edges listed, the text not printed). Exit 0, or 2 when the file cannot be used."""

from __future__ import annotations

import argparse
from pathlib import Path

from unpack_race.reports.explain_text import explain_document, explain_text
from unpack_race.scenarios.api import explain
from unpack_race.scenarios.commands.arguments import count
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.options import add_scenario_option
from unpack_race.scenarios.api.explaining import MAX_EXECUTIONS


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("explain", help="why a schedule violates its property: the race, the window, counterfactuals")
    p.add_argument("file", type=Path)
    p.add_argument("--max-executions", type=count("--max-executions"), default=MAX_EXECUTIONS, metavar="N",
                   help="continuations explored per counterfactual (beyond: undecided)")
    add_scenario_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    explained = explain(args.file, max_executions=args.max_executions, scenario=args.scenario)
    if args.json:
        emit(args, explain_document(explained))
    else:
        print(explain_text(explained))
    return 0
