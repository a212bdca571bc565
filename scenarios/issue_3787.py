"""The story of containerd issue 3787, told from an explanation of a failing run.

`scheduler.explain` finds the racing pair, the window and the counterfactuals in generic
terms; this module recognises the shape of issue 3787 in them (containerd-semantics
§5.1, §5.3) and tells it in containerd's words: a pull commits a layer snapshot in its
lease and is cancelled; its lease is deleted; the retry relies on the snapshot without
leasing it (the unpacker's Stat early return, or an AlreadyExists that adds nothing to
the lease); GC sweeps it; the retry's Prepare of the next layer fails with
`parent snapshot <chain ID> does not exist: not found`. The same story tells the race
with a concurrent pull in place of the retry (scenarios/concurrent_pulls.py), the first
pull cancelled by CRI's pull progress reporter instead of a kubelet restart, and a
reliance by Commit's AlreadyExists (before PR 10187's Commit half). Runs of another
shape get no story (the generic explanation still applies).

The pull's final error comes from the run's continuation (how each actor ends if the run
goes on), which the caller runs once and shares with the narration; nothing here runs the
program.
"""

from __future__ import annotations

from unpack_race.model.errdefs import AlreadyExists
from unpack_race.model.gc import GcCollect
from unpack_race.model.kubelet import CancelPull, RequestPull
from unpack_race.model.leases import AddResource, DeleteLease
from unpack_race.model.pull_progress import ProgressTimeout
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Stat
from unpack_race.reports.explain_text import moved_steps
from unpack_race.scenarios.invariants import saw_missing_parent
from unpack_race.scheduler.explain import AFTER, BEFORE, HOLDS, Explanation, Move
from unpack_race.scheduler.kernel import Status, Step
from unpack_race.scheduler.run import Run


def _missing_parent(step: Step) -> bool:
    return saw_missing_parent(step)


def _relied(step: Step, actor: str, parent: str) -> bool:
    """A step of `actor` that observed `parent` as existing and took no lease on it."""
    if step.actor != actor:
        return False
    effect = step.effect
    if isinstance(effect, Stat) and effect.key == parent and step.ok:
        return True
    if isinstance(effect, (PrepareT1, Commit)) and isinstance(step.error, AlreadyExists):
        name = effect.target if isinstance(effect, PrepareT1) else effect.name
        return name == parent and not getattr(step.error, "leased", False)
    return False


def _final_error(continuation: Run | None, actor: str) -> str | None:
    if continuation is None:
        return None
    record = continuation.actor_end(actor)
    return str(record.error) if record.status is Status.FAILED else None


def story(x: Explanation, continuation: Run | None = None) -> list[str] | None:
    """Sentences that tell issue 3787 from this explanation, or None if the run does not
    have its shape. `continuation` is the explained run carried on past the violation
    (`follow(..., finish=True)`); it tells how the failing pull ends (without it, the
    story does not say)."""
    if x.racing is None:
        return None
    w, v = x.racing
    if v != x.violation.step_index:
        return None
    steps = x.steps
    gc, failed = steps[w], steps[v]
    if not _missing_parent(failed) or not isinstance(gc.effect, GcCollect) or not gc.ok:
        return None
    parent, pull = failed.effect.parent, failed.actor
    if parent not in gc.result.swept_snapshots:
        return None
    sentences: list[str] = []

    commit = next((s for s in reversed(steps[:w]) if isinstance(s.effect, Commit) and s.ok
                   and s.effect.name == parent), None)
    if commit is not None:
        owner, lease = commit.actor, commit.effect.lease
        text = f"{owner} committed {parent} in lease {lease} (step {commit.index})"
        cancel = next((s for s in steps[:w] if isinstance(s.effect, CancelPull) and s.effect.pull == owner
                       and s.result == "cancelled"), None)
        if isinstance(getattr(cancel, "effect", None), ProgressTimeout):
            text += (f"; {owner} made no progress for image_pull_progress_timeout and CRI's progress reporter "
                     f"cancelled it (step {cancel.index})")
        elif cancel is not None:
            text += f"; the kubelet restarted and cancelled {owner} (step {cancel.index})"
        delete = next((s for s in steps[:w] if isinstance(s.effect, DeleteLease) and s.effect.lease == lease
                       and s.ok), None)
        if delete is not None:
            text += (f", and {owner}'s deferred done() deleted lease {lease} (step {delete.index}): "
                     f"nothing roots {parent} any more")
        sentences.append(text + ".")
    retry = next((s for s in steps[:w] if isinstance(s.effect, RequestPull) and s.effect.pull == pull), None)
    who = f"The retry, {pull}," if retry is not None else pull

    opening = steps[x.opens] if x.opens is not None else None
    if opening is None or not _relied(opening, pull, parent):
        opening = next((s for s in reversed(steps[:w]) if _relied(s, pull, parent)), None)
    if opening is not None:
        sentences.append(_reliance(steps, opening, who, parent, _leased_later(x, pull, parent, w)))

    sentences.append(f"Then gc marks from the roots and sweeps {parent} (step {w}).")
    kind = "Prepare's first transaction" if isinstance(failed.effect, PrepareT1) else "Prepare's second transaction"
    final = _final_error(continuation, pull)
    text = (f"{pull} prepares the next layer, {failed.effect.key!r}, with parent {parent} (step {v}), "
            f"and {kind} fails: {failed.error}")
    if final:
        text += f"; the pull fails: {final}"
    if retry is not None or commit is None or commit.actor == pull:
        sentences.append(text + ". This is containerd issue 3787.")
    else:
        sentences.append(text + f". This is the race of containerd issue 3787, with {pull} pulling at the same "
                                f"time as {commit.actor} instead of retrying it.")
    sentences.extend(_counterfactuals(x, pull, parent))
    return sentences


def _leased_later(x: Explanation, pull: str, parent: str, w: int) -> Step | None:
    """The pull's own AddResource of `parent` after the GC (w), in the run explained."""
    return next((s for s in x.steps[w + 1:] if s.actor == pull and isinstance(s.effect, AddResource)
                 and s.effect.id == parent and s.ok), None)


def _reliance(steps: tuple[Step, ...], step: Step, who: str, parent: str, leased: Step | None = None) -> str:
    effect = step.effect
    if isinstance(effect, Stat) and leased is not None:
        return (f"{who} stats {parent} (step {step.index}): it exists, so the unpacker will skip the layer; "
                f"it adds {parent} to lease {leased.effect.lease} only in a call of its own (AddResource, "
                f"step {leased.index}), and until then no lease holds {parent}.")
    if isinstance(effect, Stat):
        prior = next((s for s in reversed(steps[: step.index]) if s.actor == step.actor), None)
        if prior is not None and isinstance(prior.effect, PrepareT1) and isinstance(prior.error, AlreadyExists):
            return (f"{who} prepares {parent} and gets {prior.error} without {parent} being added to "
                    f"lease {prior.effect.lease} (step {prior.index}); its Stat finds {parent} "
                    f"(step {step.index}), so the layer counts as done and no lease holds it.")
        return (f"{who} stats {parent} (step {step.index}): it exists, so the unpacker skips the layer "
                f"and {parent} is added to no lease.")
    if isinstance(effect, Commit):
        return (f"{who} commits its own extraction of {parent} and gets {step.error} (step {step.index}): "
                f"another pull committed it first, and without PR 10187's Commit half {parent} is not added "
                f"to lease {effect.lease}; the unpacker removes its extraction and counts the layer done.")
    return (f"{who} prepares {parent} and gets {step.error} (step {step.index}) without {parent} being "
            f"added to lease {effect.lease} (createSnapshot without PR 10187's Prepare half).")


def _what(step: Step, numbered: bool = True) -> str:
    """A step of the pull in containerd's words, for the counterfactual sentences."""
    effect = step.effect
    where = f"step {step.index}" if numbered else "not in the recorded run"
    if isinstance(effect, Stat):
        text, detail = f"{step.actor}'s Stat of {effect.key}", ""
    elif isinstance(effect, (PrepareT1, PrepareT2)):
        which = "first" if isinstance(effect, PrepareT1) else "second"
        text, detail = f"{step.actor}'s Prepare of {effect.key!r}", f"its {which} transaction"
    elif isinstance(effect, Commit):
        text, detail = f"{step.actor}'s Commit of {effect.name}", ""
    else:
        text, detail = f"{step.actor}'s {type(effect).__name__}", ""
    inside = ", ".join(p for p in (detail, where) if p)
    return f"{text} ({inside})" if inside else text


def _counterfactuals(x: Explanation, pull: str, parent: str) -> list[str]:
    w, v = x.racing
    out = []
    # where the window closes is what the exploration found (Explanation.closes), which may
    # be a step before the failing Prepare (say, one that leases the parent)
    after = next((m for m in x.moves if m.where == AFTER and m.verdict == HOLDS
                  and (m.anchor, m.extra) == x.closes), None)
    closing = None
    if after is not None:
        what = "; ".join(_changed(after, x))
        if after.extra:
            last = next(s for s in reversed(after.run[: after.moved_to]) if s.actor == pull)
            closing = _what(last, numbered=False)
        else:
            closing = _what(x.steps[after.anchor])
        out.append(f"Had the GC come after {closing}: {what}; "
                   f"no continuation violates {x.violation.property}.")
    before: Move | None = next((m for m in x.moves if m.where == BEFORE and m.verdict == HOLDS), None)
    if before is not None:
        what = "; ".join(_changed(before, x))
        out.append(f"Had the GC come before {_what(x.steps[before.anchor])}: {what}, so {pull} makes "
                   f"{parent} again under its own lease; no continuation violates it either.")
    if x.opens is not None and closing is not None:
        out.append(f"Anywhere after step {x.opens} and before {closing} is done, the GC breaks the pull: "
                   f"that is the race window, and {pull} holds no lease on {parent} through all of it.")
    return out


def _changed(move: Move, x: Explanation) -> list[str]:
    return [s.narrate() for s in moved_steps(x, move)]
