"""stdout and stderr that cannot be written any more do not change the command's result.

`unpack-race check ... | head -1` closes the pipe after one line; a full disk (or
/dev/full) refuses every write. Either way the write raises (BrokenPipeError, OSError
ENOSPC, EIO), and if that exception climbed out of the command, its exit code, the
verdict, would be lost (and a broken pipe once mapped to success). So `keeping_exit_code`
wraps the dispatcher: while a command runs, sys.stdout and sys.stderr are
`GuardedStream`s, which record the first failed write and swallow it and every later
one, so the command runs to its end and returns its own exit code. Then, when stdout
failed, one line on stderr says the output was cut short and that the exit code is the
command's (if stderr can still be written). The descriptor of a failed stream is pointed at
/dev/null (the recipe of Python's documentation on SIGPIPE), so the interpreter's own
flush at exit cannot fail again ("Exception ignored ... BrokenPipeError").
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO


def silence(stream: TextIO) -> None:
    """Point `stream`'s file descriptor at /dev/null (nothing, for a stream without one)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        os.close(devnull)


class GuardedStream:
    """A text stream whose failed writes are recorded (`error`, the first one) instead of
    raised; after one, nothing more is written to it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.error: OSError | None = None

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                return self._stream.write(text)
            except OSError as exc:
                self._lost(exc)
        return len(text)

    def flush(self) -> None:
        if self.error is None:
            try:
                self._stream.flush()
            except OSError as exc:
                self._lost(exc)

    def _lost(self, exc: OSError) -> None:
        self.error = exc
        silence(self._stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def reason(exc: OSError) -> str:
    """Why a write failed, in a few words."""
    if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
        return "the reader closed the pipe"
    return exc.strerror or type(exc).__name__


def keeping_exit_code(main: Callable[[Sequence[str] | None], int]) -> Callable[[Sequence[str] | None], int]:
    """`main` run with guarded stdout and stderr (see the module's docstring): it returns
    (or exits with) the command's own code, whatever became of its output."""

    @functools.wraps(main)
    def guarded(argv: Sequence[str] | None = None) -> int:
        out, err = sys.stdout, sys.stderr
        guarded_out = GuardedStream(out) if out is not None else None
        guarded_err = GuardedStream(err) if err is not None else None
        code: Any = None
        try:
            sys.stdout = guarded_out if guarded_out is not None else out
            sys.stderr = guarded_err if guarded_err is not None else err
            code = main(argv)
            return code
        except SystemExit as exc:  # argparse's --help and --version exit after printing
            code = exc.code
            raise
        finally:
            for stream in (guarded_out, guarded_err):
                if stream is not None:
                    stream.flush()
            sys.stdout, sys.stderr = out, err
            if guarded_out is not None and guarded_out.error is not None:
                exited = f"; exit code {code} is the command's own result" if isinstance(code, int) else ""
                note = f"unpack-race: output to stdout cut short ({reason(guarded_out.error)}){exited}"
                if guarded_err is not None and guarded_err.error is None:
                    try:
                        print(note, file=err, flush=True)
                    except OSError:
                        silence(err)

    return guarded


__all__ = ["GuardedStream", "keeping_exit_code", "reason", "silence"]
