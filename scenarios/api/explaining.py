"""`explain()`: why a counterexample violates its property (scheduler.explain: the
happens-before graph, the racing pair, the window, the counterfactuals) and, when the run
has a known shape (containerd issue 3787, pkg/rootfs's Stat then skip), its story in
containerd's words (`Scenario.story`, by default scenarios.stories).

From a counterexample at hand (a check's result) only the counterfactuals are run; from a
schedule, it is replayed strictly once. The continuation that tells how the failing pull
ends is the counterexample's own (run at most once, shared with the narration).
Nothing is printed.
"""

from __future__ import annotations

import attrs
from unpack_race.scenarios.api.model_errors import raised_in
from unpack_race.scenarios.api.counterexample import Counterexample, continued
from unpack_race.scenarios.api.sources import Target, violating
from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.explain import Explanation, explain_run
from unpack_race.scheduler.minimize import NotAViolation
from unpack_race.scheduler.schedule import ScheduleError

MAX_EXECUTIONS = 20_000


@attrs.frozen
class Explained:
    """What `explain()` returns: the counterexample, its `Explanation` (happens-before
    graph, racing pair, the smallest reordering that makes the property hold), and for
    a run of a known shape its story in containerd's words (scenarios.stories)."""

    counterexample: Counterexample  # with its continuation
    explanation: Explanation
    story: tuple[str, ...] | None  # its story in sentences, or None when the run has no known shape


def explain(target: Target, *, max_executions: int = MAX_EXECUTIONS,
            scenario: str | Scenario | None = None) -> Explained:
    """Explain a counterexample: a check's result or a Counterexample as it is, or a
    schedule (file or value) replayed strictly once. `max_executions` bounds the
    continuations explored per counterfactual (beyond: undecided). `scenario`: a
    schedule's scenario where the registry does not know it (an object, or a reference
    `file.py:NAME`). Raises ScheduleError
    for a file that cannot be used, does not replay or violates nothing; ParamError for
    max_executions < 1."""
    if max_executions < 1:
        raise ParamError(f"--max-executions must be at least 1, got {echo(max_executions)}")
    cx = continued(violating(target, "explain", scenario))
    built = cx.built
    try:
        with raised_in(cx.scenario, cx.variant, cx.params):
            x = explain_run(built.program, built.properties, cx.run, cx.violation, max_executions=max_executions)
    except NotAViolation as err:
        raise ScheduleError(f"{cx.label}: nothing to explain under variant {cx.variant}: {err}") from None
    told = cx.scenario.story(x, cx.continuation)
    return Explained(cx, x, tuple(told) if told is not None else None)


__all__ = ["MAX_EXECUTIONS", "Explained", "explain"]
