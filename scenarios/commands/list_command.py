"""`unpack-race list [SCENARIO ...]`: the scenarios (every built-in one, or those named,
a user's own as FILE.py:NAME or MODULE:NAME), their parameters and bounds, the variants
with the verdict expected under default parameters, and the containerd releases they
stand for (with --json, as one JSON document)."""

from __future__ import annotations

import argparse

from unpack_race.reports.listing_text import catalog_document, catalog_lines
from unpack_race.scenarios.api import catalog
from unpack_race.scenarios.commands.json_output import emit


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("list", help="scenarios, variants and parameters")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="list only these: names, or scenarios of your own as FILE.py:NAME or MODULE:NAME "
                        "(default: every built-in scenario)")
    return p


def run(args: argparse.Namespace) -> int:
    entries = catalog(args.scenarios or None)
    if args.json:
        emit(args, catalog_document(entries))
        return 0
    for line in catalog_lines(entries):
        print(line)
    return 0
