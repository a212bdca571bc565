"""`check --checkpoint FILE [--checkpoint-every SECONDS]` and `check --resume FILE`: a long
search saves its state to FILE and a later command goes on from it, ending with the result
an uninterrupted search has (scheduler.checkpoint is the engine part: what the state is,
how it is taken and written).

- With `--checkpoint FILE`, the search writes FILE (atomically) every `--checkpoint-every`
  seconds (default 60), before a budget stops it, and on the first Ctrl-C or SIGTERM:
  the signal then only asks the search to stop at the end of the execution it is in
  (scenarios/interrupts.deferred), so the state saved is the one it stops in; a second
  signal stops it at once, and FILE keeps the last state written. The command exits 4,
  saying on stderr where the checkpoint is and the command that resumes it.
- With `--resume FILE`, the checkpoint's header is read and compared with this search's
  settings before anything runs: the unpack-race version, a digest of the source that
  decides what a search does (model/, scheduler/, scenarios/ and a scenario or variant
  file of one's own), the scenario, variant, every parameter, the strategy and its
  options. The first that differs is refused in one line (exit 2), as is a missing,
  truncated or damaged file, or one of another format version. The resumed search goes
  on writing checkpoints, to `--checkpoint` if given, else to FILE itself.

The budget is not part of a checkpoint's identity: `--max-executions` counts the
executions of the whole search, over every process it ran in; `--max-seconds` this
process's part of it. A checkpoint is trusted input (its state is a pickle; see
scheduler.checkpoint): resume only files you wrote.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import shlex
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
from unpack_race.scenarios import interrupts
from unpack_race.scenarios.commands.arguments import checkpoint_file, seconds, writing_into
from unpack_race.scenarios.commands.options import overrides
from unpack_race.scenarios.registry import scenario_of
from unpack_race.scheduler import checkpoint as engine
from unpack_race.scheduler.checkpoint import CheckpointError, Checkpointing, SearchState
from unpack_race.scheduler.echo import echo_path
from unpack_race.scheduler.strategies.registry import entry, refuse_checkpoint

#: seconds between two checkpoints, unless --checkpoint-every says otherwise
EVERY = 60.0
#: the parts of the package whose source decides what a search does
SOURCES = ("model", "scheduler", "scenarios")


def add_checkpoint_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("checkpoints")
    group.add_argument("--checkpoint", type=checkpoint_file, default=None, metavar="FILE",
                       help="write the search's state to FILE every --checkpoint-every seconds and on Ctrl-C, "
                            "so that --resume FILE goes on from there (a checkpoint is trusted input: a pickle)")
    group.add_argument("--checkpoint-every", type=seconds("--checkpoint-every"), default=EVERY, metavar="SECONDS",
                       help=f"seconds between two checkpoints (default {EVERY:g})")
    group.add_argument("--resume", type=Path, default=None, metavar="FILE",
                       help="go on with the search saved in FILE (by --checkpoint), with the same scenario, variant, "
                            "parameters, strategy and options; it ends as the uninterrupted search would")


@attrs.define
class Saving:
    """A command's checkpoints: where they go, what they name, the state resumed from."""

    target: Path
    header: dict[str, Any]
    every: float
    command: str  # the command line that resumes from `target`
    resume: SearchState | None = None
    written: int | None = None  # executions at the last checkpoint written by this process
    size: int = 0

    def search_options(self) -> dict[str, Any]:
        """What `check()` takes to write checkpoints and resume."""
        found = {"checkpoint": Checkpointing(self._save, self.every, interrupts.stop_requested)}
        if self.resume is not None:
            found["resume"] = self.resume
        return found

    def _save(self, state: SearchState) -> None:
        # a file is written whole, a second Ctrl-C comes after; a failed write is one line
        with interrupts.held(), writing_into(self.target.parent, "--checkpoint"):
            self.size = engine.write(self.target, {**self.header, "executions": state.executions}, state)
        self.written = state.executions

    @contextlib.contextmanager
    def searching(self) -> Iterator[None]:
        """The search's signals: the first one asks it to save and stop."""
        with interrupts.deferred():
            yield

    def stopped_text(self) -> str:
        """What to say when the search stopped before a verdict."""
        if self.written is None:
            if self.resume is not None:
                return (f"unpack-race: no new checkpoint was written (stopped before the first execution ended); "
                        f"{echo_path(self.target)} is as it was; resume with: {self.command}")
            return "unpack-race: no checkpoint was written (stopped before the first execution ended)"
        return (f"unpack-race: checkpoint written: {echo_path(self.target)} (after {self.written:,} executions, "
                f"{self.size:,} bytes); resume with: {self.command}")


def prepare(args: argparse.Namespace, strategy: str, options: Mapping[str, Any]) -> Saving | None:
    """The command's checkpoints, None without --checkpoint and --resume. With --resume
    the file is read and checked against this search first (CheckpointError: one line)."""
    if args.checkpoint is None and args.resume is None:
        return None
    refuse_checkpoint(strategy)  # auto, hypothesis: one line, before anything runs
    chosen = entry(strategy)
    sc = scenario_of(args.scenario)
    variant = sc.choose_variant(args.variant)
    params = sc.resolve(overrides(args))
    values = chosen.resolve(options)
    header = identity(args.scenario, variant, params, strategy, values, _own_files(sc, args))
    target = args.checkpoint if args.checkpoint is not None else args.resume
    command = resume_command(args, variant, params, strategy, values, target)
    saving = Saving(target, header, args.checkpoint_every, command)
    if args.resume is not None:
        found, state = engine.read(args.resume)
        differs = engine.mismatch(found, header)
        if differs is not None:
            raise CheckpointError(
                f"{echo_path(args.resume)} is a checkpoint of another search ({differs}); resume it with the "
                f"settings it was taken with, or start afresh without --resume")
        saving.resume = state
    return saving


def identity(scenario: str, variant: str, params: Mapping[str, Any], strategy: str, options: Mapping[str, Any],
             own: tuple[Path, ...] = ()) -> dict[str, Any]:
    """What a checkpoint is a checkpoint of, in the order `--resume` compares it."""
    from unpack_race import __version__

    return {"unpack_race": __version__, "source": source_digest(own), "scenario": scenario, "variant": variant,
            "params": dict(sorted(params.items())), "strategy": strategy, "options": dict(sorted(options.items()))}


def source_digest(own: tuple[Path, ...] = ()) -> str:
    """SHA-256 of the package's source that decides what a search does (SOURCES) and of
    the user's own scenario and variant files: a resumed search must run the same code."""
    root = Path(__file__).resolve().parents[2]
    files = sorted(p for part in SOURCES for p in (root / part).rglob("*.py"))
    digest = hashlib.sha256()
    for path in [*files, *own]:
        name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        digest.update(name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"(unreadable)")
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _own_files(sc, args: argparse.Namespace) -> tuple[Path, ...]:
    root = Path(__file__).resolve().parents[2]
    found = [Path(f).resolve() for f in getattr(args, "variant_files", [])]
    module = sys.modules.get(type(sc).__module__)
    path = getattr(module, "__file__", None)
    if path is not None and not Path(path).resolve().is_relative_to(root):
        found.append(Path(path).resolve())
    return tuple(found)


def resume_command(args: argparse.Namespace, variant: str, params: Mapping[str, Any], strategy: str,
                   options: Mapping[str, Any], target: Path) -> str:
    """The command line that resumes this search from `target`."""
    argv = ["unpack-race", "check", args.scenario, "--variant", variant]
    for variant_file in getattr(args, "variant_files", []):
        argv += ["--variant-file", str(variant_file)]
    argv += _flags(params, {name: "--" + name for name in params})
    flags = {o.name: "--" + o.flag for o in entry(strategy).options}
    argv += ["--strategy", strategy, *_flags(options, flags)]
    if args.checkpoint_every != EVERY:
        argv += ["--checkpoint-every", f"{args.checkpoint_every:g}"]
    return shlex.join([*argv, "--resume", str(target)])


def _flags(values: Mapping[str, Any], flags: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    for name, value in values.items():
        flag = flags[name]
        if value is None:
            continue
        if isinstance(value, bool):
            found.append(flag if value else "--no-" + flag[2:])
        else:
            found += [flag, str(value)]
    return found


__all__ = ["EVERY", "Saving", "add_checkpoint_options", "identity", "prepare", "resume_command", "source_digest"]
