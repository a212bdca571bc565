"""`python -m unpack_race`: the same command line as the `unpack-race` console script;
both enter through `entry()`.

`entry()` handles Ctrl-C (and SIGTERM) from the first instant the package's code runs:
its first act is a `try` around installing the signal handlers and importing the command
line (about a second of imports: the scenarios, Hypothesis, networkx), so an interrupt
at any point after that ends in one line on stderr and exit code 4, never a traceback.
Once the command has ended, both signals are ignored while the interpreter shuts down.

Before `entry()` runs, Python starts up (and the console script imports
`unpack_race/__init__.py` and this module, both kept tiny): a Ctrl-C in that window ends
in Python's own traceback, or, before Python has installed its SIGINT handler, in the
signal's default action; no code of ours runs then. `entry()` is for a process of its
own: it leaves the signals ignored. A program that runs the command line inside itself
calls `unpack_race.scenarios.cli.main(argv)`, which installs nothing.
"""

import sys


def _ignore_signals() -> None:
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def entry() -> int:
    """Run the command line on sys.argv; its exit code. An interrupted command (exit 4)
    ends the process here, with its streams flushed (see `_end_interrupted`)."""
    code = _run()
    if code == 4:
        _end_interrupted(code)
    return code


def _end_interrupted(code: int) -> None:
    """End the process with `code` at once, after flushing stdout and stderr.

    CPython marks a KeyboardInterrupt raised inside `exec` or `eval` of a string as
    unhandled even when the code around it catches it (namedtuple, dataclasses and attrs
    build their classes that way, so a Ctrl-C during an import can land there), and under
    `python -m` the interpreter then ends by SIGINT (exit -2) instead of with our exit 4.
    Everything the command writes is already written and fsynced; only the interpreter's
    own finalisation is skipped."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code)


def _run() -> int:
    interrupts = None
    try:  # the first thing: all but `sys` is imported inside it
        from unpack_race.scenarios import interrupts

        interrupts.install()
        from unpack_race.scenarios.cli import main

        return main()
    except KeyboardInterrupt:  # before main() was entered, or after it handled one already
        _ignore_signals()
        sys.stderr.write((interrupts.message() if interrupts is not None else "unpack-race: interrupted") + "\n")
        return 4
    finally:
        _ignore_signals()


if __name__ == "__main__":
    sys.exit(entry())
