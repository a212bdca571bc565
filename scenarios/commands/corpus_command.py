"""`unpack-race corpus --out DIR [--check]`: regenerate the regression corpus of minimal
counterexamples into DIR (scenarios.regression_corpus), or with --check write nothing and
exit 1 if DIR differs from a fresh regeneration.

A regeneration that is partial (Ctrl-C or SIGTERM, or a case whose search has no verdict
within its budget) writes the files finished, says "partial: ..." and leaves the marker
corpus-partial.txt in DIR listing the files not generated; it exits 4. `--check` does not
count a file such a marker lists as missing as a regression: it exits 4 (not 1) when that
is all it finds, and 4 when it is itself partial (on Ctrl-C, whatever it found).

The case under way is shown on stderr (with how far the regeneration has come), not with
-q. With --json, stdout carries one JSON document of what was checked or written
(reports.corpus_text.corpus_document), marked partial as above; the lines go to stderr."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from unpack_race.reports.corpus_text import (
    case_line,
    check_lines,
    corpus_document,
    no_verdict_line,
    note_line,
    partial_line,
    partial_why,
    written_lines,
)
from unpack_race.scenarios.api import Interrupted
from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.commands.arguments import corpus_directory, directory_path, writing_into
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.progress import showing
from unpack_race.scenarios.interrupts import held
from unpack_race.scenarios.regression_corpus import (
    PARTIAL,
    CorpusError,
    Generated,
    build_corpus,
    clear_partial,
    differing,
    read_partial,
    stale,
    write,
    write_partial,
)


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("corpus", help="regenerate (or --check) the regression corpus of minimal counterexamples")
    p.add_argument("--out", type=directory_path, required=True, metavar="DIR",
                   help="the corpus directory (the shipped one is scenarios/corpus); with --check, an existing one")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the directory differs from a fresh regeneration")
    return p


def run(args: argparse.Namespace) -> int:
    directory = corpus_directory(args.out, checking=args.check)  # before the regeneration, not after
    stop = None
    started = time.monotonic()
    try:
        with showing(args) as shown:
            shown.detail(f"  {'checking' if args.check else 'regenerating'} the corpus in {directory}")
            generated = build_corpus(
                lambda case, done, count: shown.line(case_line(case.filename, done, count, time.monotonic() - started)))
    except Interrupted as interrupted:  # the cases finished: shown, checked or written
        generated, stop = interrupted.partial, interrupted
    except ParamError as err:  # a scenario without its defaults: a bug, reported in one line
        raise CorpusError(str(err)) from None
    with held(reraise=stop is None):  # the files (and the marker) are written whole, also on a second Ctrl-C
        code, document = (check if args.check else regenerate)(generated, directory)
        emit(args, document)
    if stop is not None:
        raise stop  # exit 4, with the one line (scenarios/cli.py)
    return code


def partial(generated: Generated, *, checking: bool, marker: Path | None = None) -> list[str]:
    if not generated.partial:
        return []
    lines = [no_verdict_line(message) for message in generated.no_verdict]
    lines.append(partial_line(why(generated), checking=checking, marker=marker))
    return lines


def why(generated: Generated) -> str:
    return partial_why(generated.done, len(generated.cases), generated.interrupted, generated.undecided)


def check(generated: Generated, directory: Path) -> tuple[int, dict[str, Any]]:
    """`--check`: exit 1 on a regression the cases finished show, 4 when nothing is
    wrong but something is unchecked (this check or the directory is partial), else 0;
    with the exit code, the document of `--json`."""
    files, unfinished = generated.files, generated.unfinished
    left = stale(files, directory, unfinished)
    for note in generated.notes:
        print(note_line(note))
    differ = differing(files, directory)
    marked = read_partial(directory) or ()
    unwritten = tuple(name for name in differ if name in marked and not (directory / name).is_file())
    differ = tuple(name for name in differ if name not in unwritten)
    for line in check_lines(directory, len(files), differ, left, unwritten, PARTIAL):
        print(line)
    for line in partial(generated, checking=True):
        print(line)
    if generated.interrupted is None and (differ or left):
        code = 1
    else:
        code = 4 if generated.partial or unwritten else 0
    return code, corpus_document(checking=True, directory=directory, files=sorted(files), exit_code=code,
                                 notes=generated.notes, no_verdict=generated.no_verdict, unfinished=unfinished,
                                 differ=differ, stale=left, unwritten=unwritten,
                                 partial=why(generated) if generated.partial else None)


def regenerate(generated: Generated, directory: Path) -> tuple[int, dict[str, Any]]:
    """`--out DIR`: write the files finished; a partial corpus leaves its marker (exit 4).
    With the exit code, the document of `--json`."""
    files, unfinished = generated.files, generated.unfinished
    left = stale(files, directory, unfinished)
    for note in generated.notes:
        print(note_line(note))
    marker = None
    with writing_into(directory):
        write(files, directory)
        if generated.partial:
            marker = write_partial(directory, why(generated), unfinished)
        else:
            clear_partial(directory)
    for line in written_lines(directory, len(files), left):
        print(line)
    for line in partial(generated, checking=False, marker=marker):
        print(line)
    code = 4 if generated.partial else 0
    return code, corpus_document(checking=False, directory=directory, files=sorted(files), exit_code=code,
                                 notes=generated.notes, no_verdict=generated.no_verdict, unfinished=unfinished,
                                 stale=left, marker=marker, partial=why(generated) if generated.partial else None)
