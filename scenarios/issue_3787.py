"""The story of containerd issue 3787, told from an explanation of a failing run.

`scheduler.explain` finds the racing pair, the window and the counterfactuals in generic
terms; this module recognises the shape of issue 3787 in them (containerd-semantics
§5.1, §5.3) and tells it in containerd's words: a pull commits a layer snapshot in its
lease and is cancelled; its lease is deleted; the retry relies on the snapshot without
leasing it (the unpacker's Stat early return, or an AlreadyExists that adds nothing to
the lease); GC sweeps it; the retry's Prepare of the next layer fails with
`parent snapshot <chain ID> does not exist: not found`. In the form first reported (2019),
no cancelled pull commits the layer: it exists only because of an image that CRI
RemoveImage deletes, and the collection its synchronous delete waits for sweeps it
(scenarios/remove_image_during_pull.py); the story then says so. The same story tells
the race with a concurrent pull in place of the retry (scenarios/concurrent_pulls.py), the
first pull cancelled by CRI's pull progress reporter instead of a kubelet restart, and a
reliance by Commit's AlreadyExists (before PR 10187's Commit half). The same race reached
through a crash (scenarios/crash_instead_of_cancel.py) is told with its own first
sentence: the pull's process dies, its lease outlives it until it expires, and the
restart's pull relies on the layer. Runs of another shape get no story (the generic
explanation still applies); pkg/rootfs's runs have their own (scenarios/rootfs_story.py).

The pull's final error comes from the run's continuation (how each actor ends if the run
goes on), which the caller runs once and shares with the narration; nothing here runs the
program.
"""

from __future__ import annotations

from unpack_race.model.errdefs import AlreadyExists
from unpack_race.model.gc import GcCollect, GcReport
from unpack_race.model.gc_scheduler import ScheduleAndWait
from unpack_race.model.images import DeleteImage
from unpack_race.model.kubelet import CancelPull, RequestPull
from unpack_race.model.leases import AddResource, DeleteLease, PassTime
from unpack_race.model.names import SNAPSHOT_REF
from unpack_race.model.pull_progress import ProgressTimeout
from unpack_race.model.snapshotter import Commit, PrepareT1, PrepareT2, Stat
from unpack_race.reports.explain_text import moved_steps
from unpack_race.scenarios.invariants import saw_missing_parent
from unpack_race.scheduler.crashes import Crash
from unpack_race.scheduler.explain import AFTER, BEFORE, HOLDS, Explanation, Move
from unpack_race.scheduler.kernel import Status, Step
from unpack_race.scheduler.run import Run


def _missing_parent(step: Step) -> bool:
    return saw_missing_parent(step)


def relied(step: Step, actor: str, parent: str) -> bool:
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


def final_error(continuation: Run | None, actor: str) -> str | None:
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
    if parent not in gc.result.swept_snapshots or not prepare_target(failed.effect):
        return None  # no snapshot.ref label: not the unpacker, but pkg/rootfs (scenarios/rootfs_story.py)
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
        crash = crash_of(steps[:w], owner)
        if crash is not None:
            text += expiry_clause(steps[:w], crash, gc, lease, parent)
        sentences.append(text + ".")
    removal = image_removal(steps[:w])
    if commit is None and removal is not None:
        sentences.append(f"{parent} exists only because image {removal.effect.name} roots it; no lease holds it.")
    retry = next((s for s in steps[:w] if isinstance(s.effect, RequestPull) and s.effect.pull == pull), None)
    restarted = next((s for s in steps[:w] if type(s.effect) is Crash and s.effect.actor != pull), None)
    who = f"The retry, {pull}," if retry is not None else f"The restart's pull, {pull}," if restarted else pull

    opening = steps[x.opens] if x.opens is not None else None
    if opening is None or not relied(opening, pull, parent):
        opening = next((s for s in reversed(steps[:w]) if relied(s, pull, parent)), None)
    if opening is not None:
        sentences.append(reliance(steps, opening, who, parent, _leased_later(x, pull, parent, w)))

    expired = list(gc.result.swept_leases)
    why = f": lease {', '.join(expired)} has expired, so it is no root" if expired else ""
    sentences.append(collection_sentence(steps[:w], gc, removal, parent, why) + (
        f" containerd's GC scheduler had a collection due: {', '.join(gc.result.due)}." if gc.result.due else ""))
    kind = "Prepare's first transaction" if isinstance(failed.effect, PrepareT1) else "Prepare's second transaction"
    final = final_error(continuation, pull)
    text = (f"{pull} prepares the next layer, {failed.effect.key!r}, with parent {parent} (step {v}), "
            f"and {kind} fails: {failed.error}")
    if final:
        text += f"; the pull fails: {final}"
    if restarted:
        sentences.append(text + ". This is containerd issue 3787, reached through a crash and an expired lease "
                                "instead of a cancel.")
    elif retry is not None or commit is None or commit.actor == pull:
        sentences.append(text + ". This is containerd issue 3787.")
    else:
        sentences.append(text + f". This is the race of containerd issue 3787, with {pull} pulling at the same "
                                f"time as {commit.actor} instead of retrying it.")
    sentences.extend(counterfactuals(x, pull, parent))
    return sentences


def prepare_target(effect: PrepareT1 | PrepareT2) -> str:
    """The containerd.io/snapshot.ref label a Prepare carries ("" for none): PrepareT1's
    target, PrepareT2's label."""
    if isinstance(effect, PrepareT1):
        return effect.target
    return dict(effect.labels).get(SNAPSHOT_REF, "")


def image_removal(steps: tuple[Step, ...]) -> Step | None:
    """The last successful DeleteImage among `steps`, if any."""
    return next((s for s in reversed(steps) if isinstance(s.effect, DeleteImage) and s.ok), None)


def collection_sentence(steps: tuple[Step, ...], gc: Step, removal: Step | None, swept: str, why: str = "") -> str:
    """The GC step `gc` sweeping `swept`, after `steps`: when an image was removed before it
    (`removal`), the collection its synchronous RemoveImage waits for, run as the remover's
    own step (gc-policy any or dirty: model/synchronous_gc.py) or by the GC scheduler
    while the remover waits (gc-policy scheduler), or one that came first; else a
    collection of the GC's own."""
    if removal is None:
        return f"Then {gc.actor} marks from the roots and sweeps {swept} (step {gc.index}){why}."
    text = (f"{removal.actor} removes image {removal.effect.name} (step {removal.index}): CRI RemoveImage deletes "
            f"its last reference with images.SynchronousDelete()")
    if removal.actor == gc.actor:
        return text + (f" and waits for the collection (gc.ScheduleAndWait), which marks from the roots and sweeps "
                       f"{swept} (step {gc.index}){why}.")
    waits = any(s.actor == removal.actor and isinstance(s.effect, ScheduleAndWait) for s in steps[removal.index + 1:])
    if waits:
        return text + (f" and waits for the collection (gc.ScheduleAndWait); the GC scheduler runs it on {gc.actor}: "
                       f"it marks from the roots and sweeps {swept} (step {gc.index}){why}.")
    return text + (f"; before it asks for its collection (gc.ScheduleAndWait), {gc.actor} runs one, marks from the "
                   f"roots and sweeps {swept} (step {gc.index}){why}.")


def crash_of(steps: tuple[Step, ...], actor: str) -> Step | None:
    """The step where `actor` crashed (scheduler.crashes), if it did."""
    return next((s for s in steps if type(s.effect) is Crash and s.effect.actor == actor), None)


def expiry_clause(steps: tuple[Step, ...], crash: Step, gc: Step, lease: str, parent: str) -> str:
    """How the crashed pull's lease stopped rooting `parent`: it outlived the process until
    it expired (client.WithLease: leases.WithExpiration(24h); gc.go scanRoots)."""
    text = (f"; then {crash.effect.actor}'s process died (step {crash.index}): none of its deferred code ran, so "
            f"no done() deleted lease {lease}, which stays, a root until it expires")
    passed = [s for s in steps if isinstance(s.effect, PassTime) and s.index > crash.index]
    if passed and lease in gc.result.swept_leases:
        hours = sum(s.effect.seconds for s in passed) // 3600
        text += (f"; {hours} h pass (step {passed[-1].index}), past its containerd.io/gc.expire, 24 h after "
                 f"client.WithLease created it: nothing roots {parent} any more")
    return text


def _leased_later(x: Explanation, pull: str, parent: str, w: int) -> Step | None:
    """The pull's own AddResource of `parent` after the GC (w), in the run explained."""
    return next((s for s in x.steps[w + 1:] if s.actor == pull and isinstance(s.effect, AddResource)
                 and s.effect.id == parent and s.ok), None)


def reliance(steps: tuple[Step, ...], step: Step, who: str, parent: str, leased: Step | None = None) -> str:
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


def counterfactuals(x: Explanation, pull: str, parent: str, victim: str = "the pull") -> list[str]:
    """The counterfactual sentences: the GC after the window closes, the GC before it opens,
    and the window between; `victim` names what the GC breaks (the pull, the unpack, ...)."""
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
        moved = before.run[before.moved_to].result if before.run and before.moved_to is not None else None
        if isinstance(moved, GcReport) and parent not in moved.swept_snapshots:
            so = f"{parent} is still held when {pull} relies on it"  # the GC came before what freed it
        else:
            so = f"{pull} makes {parent} again under its own lease"
        out.append(f"Had the GC come before {_what(x.steps[before.anchor])}: {what}, so {so}; "
                   f"no continuation violates it either.")
    if x.opens is not None and closing is not None:
        out.append(f"Anywhere after step {x.opens} and before {closing} is done, the GC breaks {victim}: "
                   f"that is the race window, and {pull} holds no lease on {parent} through all of it.")
    return out


def _changed(move: Move, x: Explanation) -> list[str]:
    return [s.narrate() for s in moved_steps(x, move)]
