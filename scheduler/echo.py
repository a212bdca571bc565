"""How a one-line error message echoes what the user gave: a value, a name or a path,
cut to a bounded length, so that a 50 kB bad value makes a readable line and a newline in
a file name cannot split it.

`echo(value)` is the value's `repr`, cut to LIMIT characters with "…"; `echo_text(text)`
is text already meant for a person (a name, a listing), cut the same way; `echo_path(path)`
keeps a path's beginning and its end (the file name), cutting the middle, and shows it as
`repr` when it holds a control character.
"""

from __future__ import annotations

import os
from typing import Any

#: the most characters of an echoed value, "…" included
LIMIT = 80
#: the most characters of an echoed path
PATH_LIMIT = 120
ELLIPSIS = "…"


def echo_text(text: str, limit: int = LIMIT) -> str:
    """`text`, its control characters escaped (a newline in a name cannot split the line),
    cut to `limit` characters (the last one "…") when longer."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def echo(value: Any, limit: int = LIMIT) -> str:
    """`repr(value)`, cut to `limit` characters. A huge or deeply nested value is not
    rendered whole first: a string is cut before repr, a container by its repr's prefix."""
    if isinstance(value, str) and len(value) > limit:
        return echo_text(repr(value[:limit]), limit)
    try:
        shown = repr(value)
    except (RecursionError, ValueError):  # nested beyond repr's reach; an int past str()'s digit limit
        shown = f"<{type(value).__name__}>"
    return echo_text(shown, limit)


def echo_path(path: str | os.PathLike[str], limit: int = PATH_LIMIT) -> str:
    """A path for a message: as it is, or as `repr` when it holds a control character;
    longer than `limit`, its middle is cut so that the file name stays."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.isprintable():
        text = repr(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (limit - 1 - head):]


__all__ = ["ELLIPSIS", "LIMIT", "PATH_LIMIT", "echo", "echo_path", "echo_text"]
