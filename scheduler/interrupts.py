"""Ctrl-C during a search: `Interrupted`, a KeyboardInterrupt that carries what was done
so far.

A search stopped by Ctrl-C has no verdict, but it has covered something, and the caller
may want to say what. So `explore()` (and the Hypothesis search) do not return on Ctrl-C:
they raise `Interrupted`, whose `partial` is the search's `Result` with verdict
INTERRUPTED and the coverage so far. Because it *is* a KeyboardInterrupt, code that does
not know about it stops exactly as on any Ctrl-C: a loop of searches (a comparison, the
corpus, the bench, a minimisation, the counterfactuals of an explanation) ends instead
of carrying on with the next search. Code that wants the partial result catches
`Interrupted`; a layer that runs several searches catches it (or any KeyboardInterrupt)
and raises its own `Interrupted` whose `partial` is its own partial value (a partial
comparison, a partial corpus, ...). Each raiser documents what its `partial` is.
"""

from __future__ import annotations

from typing import Any


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the work; `partial` is what was done so far (see the raiser)."""

    def __init__(self, partial: Any, what: str = "interrupted") -> None:
        super().__init__(what)
        self.partial = partial


__all__ = ["Interrupted"]
