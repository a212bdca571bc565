"""Taking one step on a copy of a world, outside any execution, as the kernel would:
apply the effect (and the program's on_exit hook if the step is the actor's last), and
keep its complete outcome, to compare and to tell in the model's words."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import attrs
from unpack_race.scheduler.crashes import owner
from unpack_race.scheduler.effect import EVERYTHING, Effect, Failure, Footprint
from unpack_race.scheduler.program import ABORT, Program
from unpack_race.scheduler.world_values import canonical


@attrs.frozen
class Done:
    """What came of a step: its result or its error (a `Failure`, the model's own), or a
    crash (any other exception, a bug in the model)."""

    outcome: Hashable
    result: Any = None
    error: Failure | None = None
    crash: Exception | None = None

    def tell(self, actor: str, effect: Effect) -> str:
        """The step in the model's words."""
        if self.crash is not None:
            return f"{actor}: {effect.describe()} raises {type(self.crash).__name__}: {self.crash}"
        try:
            return effect.narrate(actor, self.result, self.error)
        except Exception:  # noqa: BLE001 - a narration that cannot tell this outcome
            what = f"fails: {self.error}" if self.error is not None else "succeeds"
            return f"{actor}: {effect.describe()} {what}"


def perform(world: Any, effect: Effect, actor: str, ends: bool = False,
            on_exit: Callable[[Any, str], None] | None = None) -> Done:
    """Take `effect` on `world` (changing it), then on_exit if `ends` (for a crash, of the
    actor it stops)."""
    try:
        result = effect.apply(world)
        done = Done(("result", canonical(result)), result=result)
    except Failure as error:
        done = Done(("error", type(error).__name__, str(error)), error=error)
    except Exception as crash:  # noqa: BLE001 - compared like any outcome
        return Done(("crash", type(crash).__name__, str(crash)), crash=crash)
    if ends and on_exit is not None:
        on_exit(world, owner(actor, effect))
    return done


def enabled(effect: Effect, world: Any) -> bool | str:
    """`effect.enabled(world)`, or the text of what it raised."""
    try:
        return bool(effect.enabled(world))
    except Exception as crash:  # noqa: BLE001
        return f"raises {type(crash).__name__}: {crash}"


def footprint_taken(program: Program, effect: Effect, world: Any, actor: str, ends: bool,
                    aborts: bool = False) -> Footprint:
    """The footprint the kernel records for the step (`Program.footprint`: the effect's,
    with the `~alive/...` a crashable actor's steps read), plus `exit/<actor>` if it is
    the actor's last (the on_exit hook's write; a crash writes its actor's itself), and
    `~abort` if its failure aborts the program (`Program.aborts_on`)."""
    found = program.footprint(actor, effect, world)
    extra = ({f"exit/{owner(actor, effect)}"} if ends else set()) | ({ABORT} if aborts else set())
    return found.writing(extra) if extra else found


def show_footprint(footprint: Footprint) -> str:
    def names(resources) -> str:
        return "{" + ", ".join(sorted(resources)) + "}" if resources else "{}"

    if EVERYTHING in footprint.writes:
        return "everything"
    locks = "".join(f", {verb} {names(held)}" for verb, held in (("acquires", footprint.acquires),
                                                                 ("releases", footprint.releases)) if held)
    return f"reads {names(footprint.reads)}, writes {names(footprint.writes)}{locks}"
