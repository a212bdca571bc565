"""`unpack-race replay FILE [--variant V | --all-variants]`: replay a schedule strictly
under its own variant or another one (exit 1 on a violation, 0 otherwise; 2 when a step
does not fit), or follow it under every variant of its scenario (exit 0 when no variant
violates a property, or, for a file with an `expect` object, when every verdict is the
expected one; 1 otherwise, also when a variant cannot follow it at all). With --json, the
same as one JSON document on stdout (reports.replay_text.replay_document)."""

from __future__ import annotations

import argparse
from pathlib import Path

from unpack_race.reports.replay_text import replay_all_text, replay_document, replay_text
from unpack_race.scenarios.api import Replayed, ReplayedAll, replay
from unpack_race.scenarios.commands.colour import print_result
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.options import add_scenario_option

RESYNC_HELP = (
    "follow the schedule under every variant of its scenario; where a variant's code takes "
    "another path, a scheduled step of an actor whose next effect comes later in the schedule "
    "is skipped, and one whose code does something else keeps its turn and does that"
)


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("replay", help="replay a schedule file")
    p.add_argument("file", type=Path)
    p.add_argument("--variant", default=None, help="replay under another variant")
    p.add_argument("--all-variants", action="store_true", help=RESYNC_HELP)
    add_scenario_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    replayed = replay(args.file, variant=args.variant, all_variants=args.all_variants, scenario=args.scenario)
    print_result(args, replay_text(replayed) if isinstance(replayed, Replayed) else replay_all_text(replayed))
    code = exit_code(replayed)
    emit(args, replay_document(replayed, code))
    return code


def exit_code(replayed: Replayed | ReplayedAll) -> int:
    """1 on a violation (strictly); under every variant, 1 when a verdict is not the file's
    expected one, or, for a file without `expect`, when any variant violates; else 0."""
    if isinstance(replayed, Replayed):
        return 1 if replayed.violated else 0
    if replayed.expect is not None:
        return 0 if replayed.all_as_expected else 1
    return 1 if replayed.any_violation else 0
