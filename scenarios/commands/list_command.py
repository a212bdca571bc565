"""`unpack-race list`: the scenarios, their parameters and bounds, the variants with the
verdict expected under default parameters, and the containerd releases they stand for
(with --json, as one JSON document)."""

from __future__ import annotations

import argparse

from unpack_race.reports.listing_text import catalog_document, catalog_lines
from unpack_race.scenarios.api import catalog
from unpack_race.scenarios.commands.json_output import emit


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser("list", help="scenarios, variants and parameters")


def run(args: argparse.Namespace) -> int:
    entries = catalog()
    if args.json:
        emit(args, catalog_document(entries))
        return 0
    for line in catalog_lines(entries):
        print(line)
    return 0
