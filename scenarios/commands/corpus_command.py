"""`unpack-race corpus --out DIR [--check]`: regenerate the regression corpus of minimal
counterexamples into DIR (scenarios.regression_corpus), or with --check write nothing and
exit 1 if DIR differs from a fresh regeneration."""

from __future__ import annotations

import argparse
from pathlib import Path

from unpack_race.reports.corpus_text import (
    case_line,
    check_lines,
    note_line,
    written_lines,
)
from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.commands.arguments import corpus_directory
from unpack_race.scenarios.regression_corpus import (
    CorpusError,
    build_corpus,
    differing,
    stale,
    write,
)


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("corpus", help="regenerate (or --check) the regression corpus of minimal counterexamples")
    p.add_argument("--out", type=Path, required=True,
                   help="the corpus directory (the shipped one is scenarios/corpus)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the directory differs from a fresh regeneration")
    return p


def run(args: argparse.Namespace) -> int:
    directory = corpus_directory(args.out, checking=args.check)  # before the regeneration, not after
    try:
        files, notes = build_corpus(lambda case: print(case_line(case.filename), flush=True))
    except ParamError as err:  # a scenario without its defaults: a bug, reported in one line
        raise CorpusError(str(err)) from None
    left = stale(files, directory)
    for note in notes:
        print(note_line(note))
    if args.check:
        differ = differing(files, directory)
        for line in check_lines(directory, len(files), differ, left):
            print(line)
        return 0 if not differ and not left else 1
    write(files, directory)
    for line in written_lines(directory, len(files), left):
        print(line)
    return 0
