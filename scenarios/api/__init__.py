"""The library's facade: plain functions that return frozen data, never print, never exit.

```python
from unpack_race.scenarios import api

checked = api.check("retry-after-cancel", "stat-early-return")   # a search, one variant
checked.verdict, checked.counterexample.preemptions, checked.schedule
compared = api.compare()                                          # every variant side by side
compared.outcome, [(r.variant, r.result.verdict, r.as_expected) for r in compared.rows]
explained = api.explain(checked)        # from the run at hand: only the counterfactuals run
explained.story, explained.explanation.racing
api.replay("x.schedule.json", all_variants=True)
api.minimize(checked)
```

- `check(scenario, variant=None, *, params, strategy, budget, progress, **options) -> Checked` (variant None: the
  scenario's only one)
- `compare(scenario, *, params, strategy, budget, progress, **options) -> Compared`
- `replay(schedule_or_path, *, variant, all_variants) -> Replayed | ReplayedAll`
- `minimize(counterexample_or_schedule_or_path, *, max_runs) -> Minimization`
- `explain(counterexample_or_schedule_or_path, *, max_executions) -> Explained`
- `lint(scenario, *, variant, params, max_states) -> (Linted, ...)`
- `report(schedule_or_path, *, scenario) -> Reported` (what `unpack-race report` draws
  and pages: the run, the world after each step, its explanation, every variant's replay)

`scenario` is a registered name or a `Scenario` object (see README, "Model your own race").
- `catalog() -> (ScenarioEntry, ...)`

A counterexample at hand (a check's result) is never run again: its narration,
preemptions, schedule and story come from its frozen run; the one different run it may
need, how each actor ends if the run goes on, is run once and shared. A schedule file is
replayed strictly once. Bad input raises one of `INPUT_ERRORS` with a one-line message
(the command line prints it and exits 2). Ctrl-C raises `Interrupted`, a
KeyboardInterrupt whose `partial` is what was done so far (the Checked, the Compared, the
lints finished...: each function says), so that a loop of calls stops too and the
caller can still show what was covered. Rendering lives in `reports/`.
"""

from unpack_race.scenarios.api.catalog import ScenarioEntry, VariantEntry, catalog
from unpack_race.scenarios.api.checking import Checked, check
from unpack_race.scenarios.api.comparing import Compared, Outcome, Row, compare
from unpack_race.scenarios.api.counterexample import Counterexample
from unpack_race.scenarios.api.errors import (
                                              INPUT_ERRORS,
                                              OptionError,
                                              ParamError,
                                              ProgramError,
                                              PropertyScopeError,
                                              ScheduleError,
)
from unpack_race.scenarios.api.explaining import Explained, explain
from unpack_race.scenarios.api.linting import Linted, lint
from unpack_race.scenarios.api.minimizing import Minimization, minimize
from unpack_race.scenarios.api.model_errors import ModelRaised
from unpack_race.scenarios.api.reporting import Reported, report
from unpack_race.scenarios.api.replaying import (
                                              Replayed,
                                              ReplayedAll,
                                              VariantReplay,
                                              replay,
)
from unpack_race.scenarios.api.sources import Loaded, load
from unpack_race.scheduler.explore import Budget, Progress
from unpack_race.scheduler.interrupts import Interrupted

__all__ = [
    "INPUT_ERRORS", "Budget", "Checked", "Compared", "Counterexample", "Explained", "Interrupted", "Loaded",
    "Minimization", "OptionError", "Outcome", "ParamError", "ProgramError", "Progress", "PropertyScopeError",
    "Replayed", "ReplayedAll", "Row",
    "ScenarioEntry", "ScheduleError", "VariantEntry", "VariantReplay", "catalog", "check", "compare", "explain",
    "Linted", "ModelRaised", "lint", "load", "minimize", "replay", "Reported", "report",
]
