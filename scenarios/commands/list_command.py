"""`unpack-race list`: the scenarios, their parameters and bounds, the variants with the
verdict expected under default parameters, and the containerd releases they stand for."""

from __future__ import annotations

import argparse

from unpack_race.reports.listing_text import catalog_lines
from unpack_race.scenarios.api import catalog


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser("list", help="scenarios, variants and parameters")


def run(args: argparse.Namespace) -> int:
    for line in catalog_lines(catalog()):
        print(line)
    return 0
