"""Ctrl-C and SIGTERM for the command line: both end the whole command.

- `install()` (called first thing by the process entry, `unpack_race.__main__.entry`)
  makes SIGTERM raise KeyboardInterrupt in the main thread, as Ctrl-C (SIGINT) does, and
  remembers which signal came, so that `message()` can say so. Nothing is installed when
  the command line runs inside another program (`cli.main()` called in-process): the
  host's handlers stay as they are.
- `deferred()` (a search that writes checkpoints, scenarios/commands/checkpoints.py)
  turns the first signal into a request, `stop_requested()`, which the search answers at
  its next execution boundary by saving its state and stopping as on Ctrl-C; a second
  signal interrupts at once, as usual.
- `held()` defers both signals while a command writes its files (or, after a first
  Ctrl-C, prints and writes what it finished), so that a set of files is written whole
  and no temporary file is left behind; a signal that came meanwhile is raised when the
  block ends (or dropped, `reraise=False`, when the command is already ending because of
  one).

How a search stops on Ctrl-C, and how the commands report what was covered, is
scheduler.interrupts (the `Interrupted` exception) and each command's module. This module
imports only the standard library: the entry imports it before anything else.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: the last signal that interrupted the command (None: none, or a KeyboardInterrupt
#: raised some other way)
received: int | None = None


def _interrupt(signum, frame) -> None:
    global received
    received = signum
    raise KeyboardInterrupt


def install() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt (in the main thread); one that Python
    could not raise is delivered again (`_redeliver`)."""
    for signum in _SIGNALS:
        signal.signal(signum, _interrupt)
    previous = sys.unraisablehook

    def unraisable(hook_args) -> None:
        if isinstance(hook_args.exc_value, KeyboardInterrupt):
            _redeliver()
        else:
            previous(hook_args)

    sys.unraisablehook = unraisable


def _redeliver() -> None:
    """A KeyboardInterrupt raised where Python cannot raise it (a weakref callback or a
    `__del__`, such as importlib's module-lock callback during an import) is swallowed as
    "Exception ignored", and the command would go on as if no Ctrl-C had come. So the
    signal is sent again, a moment later from another thread, for the main thread to
    raise at its next ordinary step (sending it from here would raise it inside this hook,
    where it would be swallowed again)."""
    signum = received if received is not None else signal.SIGINT
    threading.Timer(0.01, os.kill, (os.getpid(), signum)).start()


def message() -> str:
    """The one line a command prints on stderr when it is interrupted."""
    if received is not None and received != signal.SIGINT:
        return f"unpack-race: interrupted ({signal.Signals(received).name})"
    return "unpack-race: interrupted"


@contextmanager
def held(reraise: bool = True) -> Iterator[None]:
    """Defer SIGINT and SIGTERM during the block. A signal that came meanwhile is raised
    when the block ends normally (as the handler in place before would have), unless
    `reraise` is False. Outside the main thread signals cannot be handled: nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum, frame) -> None:
        pending.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
    if pending and reraise:
        signum = pending[0]
        handler = previous[signum]
        if callable(handler):
            handler(signum, None)  # ours or Python's: raises KeyboardInterrupt
        elif handler != signal.SIG_IGN:
            signal.raise_signal(signum)  # the default action


_requested = False


def stop_requested() -> bool:
    """Whether a signal came during `deferred()`: the search should save and stop."""
    return _requested


@contextmanager
def deferred() -> Iterator[None]:
    """During the block, the first SIGINT or SIGTERM only sets `stop_requested()` (and
    `received`); a second raises KeyboardInterrupt. Outside the main thread nothing is
    changed."""
    global _requested
    _requested = False
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request(signum, frame) -> None:
        global _requested, received
        received = signum
        if _requested:
            raise KeyboardInterrupt
        _requested = True

    previous = {signum: signal.signal(signum, request) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        _requested = False


__all__ = ["deferred", "held", "install", "message", "received", "stop_requested"]
