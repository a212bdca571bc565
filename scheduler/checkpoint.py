"""Checkpoints of a search: what a search's state is between two executions, and how it is
saved to a file and loaded back, so that `explore(..., resume=state)` goes on and ends
with the result an uninterrupted search has (verdict, executions, complete and cut
counts, steps, restored steps, states, transitions, reached `sometimes` properties,
counterexample).

A `SearchState` is taken only at an execution boundary (after the strategy was told an
execution ended and the counters were updated, before it is asked for the next one):
that is the only point where the strategy's state, the counters and what `Checks` has
reached agree. It holds
- the strategy, as `Strategy.save()` gives it (its whole state: a choice tree, DPOR's
  nodes with clocks and sleep sets, the visited set of state keys, a sampler's RNG);
- the `HistoryInterner`, whose table gives the interned history ids inside the state
  keys their meaning: without it a resumed search would number histories afresh, and
  no key it makes would match a saved one;
- the explorer's counters and the `sometimes` properties reached;
- for a search that restores (scheduler.restore): the last execution's steps and the
  depths of the saved states along its path. Resuming replays that path once, off the
  record (no property checked, no step counted), keeping a saved state at each of those
  depths, so that the next execution restores exactly what it would have restored had
  the search not stopped, and counts the same steps.

The body is a pickle (protocol 5), not JSON. A state key holds the world's fingerprint,
an arbitrary hashable value the model defines (tuples, frozensets, enums, attrs values),
and the interner's table holds effect objects and outcome keys: JSON would need a
canonical codec for every value every model can put there, and loading would have to
rebuild objects equal (and equally hashed) to the model's own. Pickle keeps them exactly,
and rebuilds every set and dict by hashing afresh, so a checkpoint is valid in a process
with another PYTHONHASHSEED (the tests resume in one). Therefore **a checkpoint is trusted
input**, like the model's own code: load only files you wrote. A file is one JSON header
line (format, version, what it is a checkpoint of, the body's length and SHA-256) then
the body; `read` checks the header, the length and the digest before it unpickles, so a
truncated or damaged file is refused in one line and never half loaded. Files are written
atomically (scheduler.files.write_atomically: a temporary file beside it, fsync, rename).

When to take a checkpoint is the explorer's business (`Checkpointing`: every `every`
seconds of the search, when `stop()` asks for one and for the search to stop, and when a
KeyboardInterrupt reaches the search at a boundary); where to write it and what it names
is the caller's (`header`: the scenario, the variant, the strategy's settings).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from unpack_race.scheduler.choices import Choice
from unpack_race.scheduler.files import write_atomically
from unpack_race.scheduler.kernel import HistoryInterner

FORMAT = "unpack-race.checkpoint"
VERSION = 1
PROTOCOL = 5


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded or does not fit the search; one line saying
    which file, what is wrong and what to do."""


@attrs.frozen
class RestorerState:
    """What a restoring search needs to go on restoring as it would have: the depths of
    the saved states along the last execution's path, how far its outcomes are known to
    be values (`values_upto`, `mutable_at`), and the steps restored so far."""

    depths: tuple[int, ...]
    values_upto: int
    mutable_at: int | None
    restored: int


@attrs.frozen
class SearchState:
    """A search's state at an execution boundary (see the module docstring)."""

    strategy: bytes  # Strategy.save()
    interner: HistoryInterner | None
    executions: int
    complete: int
    cut: Mapping[str, int]
    steps: int
    reached: frozenset[str]
    elapsed: float  # seconds of search before this state, over every earlier process
    last_path: tuple[Choice, ...] = ()  # the last execution's steps (a restoring search only)
    restorer: RestorerState | None = None


@attrs.frozen
class Checkpointing:
    """When the explorer takes a checkpoint and what it does with it: `save(state)` is
    called every `every` seconds (at the first boundary after), when `stop()` returns
    True at a boundary (then the search stops as on Ctrl-C), and when a KeyboardInterrupt
    reaches the search at a boundary."""

    save: Callable[[SearchState], None]
    every: float = 60.0
    stop: Callable[[], bool] = lambda: False


def encode(header: Mapping[str, Any], state: SearchState) -> bytes:
    """The file's bytes: the JSON header line (with the body's length and digest), then
    the pickled state."""
    body = pickle.dumps(state, protocol=PROTOCOL)
    head = {"format": FORMAT, "version": VERSION, **header, "body": {"bytes": len(body),
                                                                     "sha256": hashlib.sha256(body).hexdigest()}}
    return json.dumps(head, sort_keys=True).encode("utf-8") + b"\n" + body


def write(path: Path, header: Mapping[str, Any], state: SearchState) -> int:
    """Write a checkpoint to `path` atomically; returns its size in bytes."""
    data = encode(header, state)
    write_atomically(Path(path), data)
    return len(data)


def read_header(path: Path) -> dict[str, Any]:
    """The header of the checkpoint at `path`, checked (format, version, the body whole);
    CheckpointError otherwise."""
    return _read(Path(path))[0]


def read(path: Path) -> tuple[dict[str, Any], SearchState]:
    """The header and the state of the checkpoint at `path` (see `read_header`)."""
    head, body = _read(Path(path))
    try:
        state = pickle.loads(body)
    except Exception as exc:  # noqa: BLE001 - the digest matched: a class renamed since, most likely
        raise CheckpointError(f"{path}: the checkpoint's state cannot be loaded ({type(exc).__name__}: {exc}); "
                              f"was it written by another version of the model? start the search afresh") from exc
    if not isinstance(state, SearchState):
        raise CheckpointError(f"{path}: the checkpoint holds no search state; start the search afresh")
    return head, state


def mismatch(header: Mapping[str, Any], expected: Mapping[str, Any]) -> str | None:
    """The first setting (in `expected`'s order) in which the checkpoint's header differs
    from the search asked for, as 'NAME: the checkpoint has X, this search has Y'; None
    when they all agree."""
    for name, wanted in expected.items():
        found = header.get(name)
        if _plain(found) != _plain(wanted):
            return f"{name}: the checkpoint has {json.dumps(found, sort_keys=True)}, this search has " \
                   f"{json.dumps(_plain(wanted), sort_keys=True)}"
    return None


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True))


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint; give the file that --checkpoint wrote") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({exc.strerror})") from None
    line, newline, body = data.partition(b"\n")
    try:
        head = json.loads(line.decode("utf-8")) if newline else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        head = None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an unpack-race checkpoint (its first line is not a {FORMAT} header); "
                              f"give the file that --checkpoint wrote")
    if head.get("version") != VERSION:
        raise CheckpointError(f"{path}: a version-{head.get('version')} checkpoint; this unpack-race reads version "
                              f"{VERSION} only: start the search afresh (or resume with the unpack-race that wrote it)")
    size = head.get("body", {}).get("bytes") if isinstance(head.get("body"), dict) else None
    digest = head.get("body", {}).get("sha256") if isinstance(head.get("body"), dict) else None
    if len(body) != size or hashlib.sha256(body).hexdigest() != digest:
        raise CheckpointError(f"{path}: the checkpoint is truncated or damaged ({len(body):,} bytes of state, the "
                              f"header says {size if isinstance(size, int) else '?'}, or its digest differs); "
                              f"resume from an intact copy or start the search afresh")
    return head, body


__all__ = ["FORMAT", "VERSION", "CheckpointError", "Checkpointing", "RestorerState", "SearchState",
           "mismatch", "read", "read_header", "write"]
