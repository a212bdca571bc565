"""Crashes: an actor stopped at an arbitrary step, as a choice the search makes.

A program marks the actors that may crash (`ActorSpec(crashable=True)`) and bounds the
crashes of one execution (`Program(max_crashes=K)`, 1 by default). For every crashable
actor A the kernel offers one more choice, `crash(A)`: a pseudo-actor whose only step is
the effect `Crash(A, before=...)`. Taking it stops A where it stands, before the effect
it was waiting to perform (`before`): A is never resumed, so nothing A would still have
done happens, its deferred code included (a defer in a model is a step yielded from an
`except` or `finally` block, and a generator that is never resumed yields nothing more).
Python still runs the generator's own `finally` blocks when the kernel closes it, at
once, as it closes every unfinished actor at the end of an execution
(`kernel.close_generator`): that code can touch only the actor's locals, and whatever it
yields is discarded, never performed. A's status becomes CRASHED; the program's
`on_exit` hook runs as for any actor that ends (a join on A returns).

A crash is a step like any other, so every strategy enumerates or draws it with no code
of its own: it is a name in `runnable`, with a pending effect and a footprint. Its
footprint says what it conflicts with, and the kernel adds the other half to the steps
it stops (`Program.footprint`):

- `Crash(A)` writes `~alive/A`, and every step of A reads it, so a crash is dependent on
  every step of its actor (one cannot be swapped with the other: after the crash the
  step never happens); it changes nothing in the world;
- it writes `~crashes`, the count the budget K bounds, so two crashes are dependent (one
  may use up the budget the other needs);
- it writes `exit/A`, the resource a join on A reads (the on_exit hook's write);
- it reads everything A's pending step reads or writes, because whether it can be taken
  depends on whether that step can (below): a step that enables or disables A's next
  step is dependent on A's crash too.

When a crash can fall: just before a step A could take now. It is enabled while A's
pending effect is enabled and allows a crash before it (`Effect.crash_before`, True
unless an effect says otherwise: the second half of a call the caller already made,
which the callee finishes whether or not the caller is still there), and while fewer
than K crashes have been taken. So a state where no actor can move is final, whatever
crashes are left, and a deadlock is reported as one; what is not modelled is a crash
while A is blocked (waiting for a lock or an event): A crashes, in this model, once it
could go on. `crash(A)` stays pending, disabled, once A has finished or the budget is
spent (its `before` is then None, or `spent` is set), so that a partial-order reduction
can race a crash that was never taken with the step that disabled it, as it races a
blocked actor's next step.

A crashed actor's state is in every state key: the crash extends its interned history
like any step, so a state where A crashed is never merged with one where A merely has
not moved yet (and the crash count is the number of crashed actors).

A restart: `ActorSpec(restarts="A")` is an actor that starts only when A crashes, the
way a supervisor starts a process again. Until then it has not started (its factory is
not even called); if A ends in any other way it never starts (status NOT_STARTED, which
is neither a deadlock nor unfinished work). Every step of a restart reads `~alive/A`, so
the crash that starts it happens before all of them.

In a schedule file a crash is the step `{"actor": "A", "crash": true, "effect": K,
"args": {...}}`: A crashes instead of performing its pending effect K (schedule format
version 3; see `scheduler.schedule`).
"""

from __future__ import annotations

from typing import Any

import attrs
from unpack_race.scheduler.effect import Effect, Footprint, effect_name

#: the resource a crashable actor's every step reads, and its crash writes
ALIVE = "~alive/"
#: the resource every crash writes: the count of crashes the budget bounds
CRASHES = "~crashes"


def crash_choice(actor: str) -> str:
    """The name of the choice that crashes `actor` (a pseudo-actor of one step)."""
    return f"crash({actor})"


def crashed_by(choice: str) -> str | None:
    """The actor a crash choice's name names (`crash(A)` -> A), else None. For messages
    only: the kernel knows its crash choices by its own table."""
    if choice.startswith("crash(") and choice.endswith(")") and len(choice) > len("crash()"):
        return choice[len("crash("):-1]
    return None


def alive(actor: str) -> str:
    """The resource that says `actor` has not crashed."""
    return ALIVE + actor


@attrs.frozen
class Crash(Effect):
    """`actor` stops here, instead of performing `before`, the effect it was waiting to
    perform (None once it has finished: the crash can no longer happen). `spent`: the
    program's crash budget is used up. The kernel stops the actor; on the world the step
    does nothing."""

    actor: str
    before: Effect | None
    spent: bool = False

    def enabled(self, world: Any) -> bool:
        return self.possible() and self.before.enabled(world)

    def possible(self) -> bool:
        """Whether the crash could be taken if the actor's next step could: it has one, it
        allows a crash before it, and the budget is not spent."""
        return self.before is not None and not self.spent and self.before.crash_before

    def blocked_on(self, world: Any) -> str:
        if self.before is None:
            return f"{self.actor} has already finished"
        if self.spent:
            return "the program's crash budget is spent"
        if not self.before.crash_before:
            return (f"{self.actor}'s next step, {self.before.describe()}, finishes a call already made; a crash "
                    f"of {self.actor} does not stop it")
        return f"{self.actor} is blocked ({self.before.blocked_on(world)}); it crashes only where it could move"

    def apply(self, world: Any) -> None:
        return None

    def footprint(self, world: Any = None) -> Footprint:
        own = {alive(self.actor), CRASHES, f"exit/{self.actor}"}
        if self.before is None:
            return Footprint.of(writes=own)
        decides = self.before.footprint(world)
        return Footprint(decides.reads | decides.writes, frozenset(own))

    def args(self) -> dict[str, Any]:
        before = None if self.before is None else {"effect": effect_name(self.before), "args": self.before.args()}
        return {"actor": self.actor, "before": before}

    def describe(self) -> str:
        return f"crash before {describe_before(self.args()['before'])}"

    def narrate(self, actor: str, result: Any, error: Any) -> str:
        return (f"{self.actor} crashes before {describe_before(self.args()['before'])}: it never moves again, "
                f"and none of its deferred code runs")


def describe_before(before: dict[str, Any] | None) -> str:
    """The effect a crash comes before, as `Kind(arg=value, ...)` (from its JSON form)."""
    if before is None:
        return "nothing (it had finished)"
    inner = ", ".join(f"{k}={v!r}" for k, v in before["args"].items())
    return f"{before['effect']}({inner})"


def owner(mover: str, effect: Effect) -> str:
    """The actor a step is of: the crashed actor for a crash, the mover itself otherwise."""
    return effect.actor if type(effect) is Crash else mover


__all__ = ["ALIVE", "CRASHES", "Crash", "alive", "crash_choice", "owner"]
