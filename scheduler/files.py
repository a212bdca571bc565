"""Writing files so that nothing half-written is ever left where a reader looks.

`write_atomically(path, text)` writes a temporary file beside `path`, flushes it to disk
(fsync), renames it over `path` and flushes the directory, so that after a crash at any
moment `path` holds either the old content or the new, complete. The temporary file is
named so that a person sees what it is, `.<name>.<pid>.unpack-race-partial`; if the
writer is killed before the rename (`kill -9`), the next write of the same file removes
it once no process with that pid is alive. A write that fails raises OSError naming `path`
(not the temporary file), so that the message says which file could not be written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SUFFIX = ".unpack-race-partial"


def partial_name(path: Path, pid: int) -> Path:
    """The temporary file a writer with process id `pid` writes `path` through."""
    return path.parent / f".{path.name}.{pid}{SUFFIX}"


def write_atomically(path: Path, text: str | bytes) -> Path:
    """Write `text` (str, as UTF-8, or bytes as they are) to `path` atomically and durably
    (see the module docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(path)
    tmp = partial_name(path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc  # its subclass by errno: IsADirectoryError, ...
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)
    return path


def remove_stale_partials(path: Path) -> list[Path]:
    """Remove the temporary files of `path` left by writers that are no longer running;
    return them."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+){re.escape(SUFFIX)}$")
    removed = []
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = pattern.match(entry.name)
        if found and not _alive(int(found.group(1))):
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftover from an earlier, interrupted write
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def _sync_directory(directory: Path) -> None:
    """Flush the directory entry of a rename to disk (where the platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename itself is atomic
    finally:
        os.close(fd)
