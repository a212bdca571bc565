"""The close matches of a mistyped name among the names that exist ("did you mean ...?"),
for a one-line error message: a scenario, a variant, a parameter, a strategy, a command,
an option.

`did_you_mean(given, known)` is " (did you mean X?)", " (did you mean X or Y?)" or "",
meant to follow the echoed name; the matching is the standard library's
`difflib.get_close_matches` (Ratcliff/Obershelp similarity, at least 0.6), and it
is case-insensitive, so that `GC-RUNS` finds `gc-runs`. The suggestions come in the
order of their similarity (ties by name, as difflib breaks them), so a message is the
same in every run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from unpack_race.scheduler.echo import echo_text

#: the most names one message suggests
MOST = 3
#: how similar a name must be to be suggested (difflib's ratio, 0..1)
CUTOFF = 0.6
#: names longer than this are not matched: nothing known is that long, and the
#: comparison of a 50 kB value would cost time for nothing
LONGEST = 200


def close_matches(given: str, known: Iterable[str]) -> list[str]:
    """The names of `known` closest to `given` (at most MOST), the closest first."""
    names = list(dict.fromkeys(known))
    if not isinstance(given, str) or len(given) > LONGEST or given in names:
        return []
    folded: dict[str, list[str]] = {}
    for name in names:  # names that differ only in case are each suggested
        folded.setdefault(name.lower(), []).append(name)
    found = difflib.get_close_matches(given.lower(), list(folded), n=MOST, cutoff=CUTOFF)
    return [name for match in found for name in folded[match]][:MOST]


def did_you_mean(given: str, known: Iterable[str]) -> str:
    """The close matches of `given` among `known` as " (did you mean X?)", or "" when there are none."""
    matches = close_matches(given, known)
    if not matches:
        return ""
    shown = [echo_text(m) for m in matches]
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    return f" (did you mean {listed}?)"


__all__ = ["CUTOFF", "MOST", "close_matches", "did_you_mean"]
