"""The kubelet side of a CRI pull that is cancelled and retried (containerd-semantics
§3.3, §5.1): a kubelet restart (or gRPC disconnect) cancels the PullImage request ctx;
the new kubelet asks for the same image again, possibly while the first pull is still
unwinding on the containerd side.

Without a restart there is nothing for the kubelet to do in the model: it sends one
PullImage (the first pull starts requested) and waits for the reply. The kubelet asks
again only when a PullImage fails (the retry of §5.1 step 7 follows a failed pull), and
CRI adds nothing after the pull that could delay or repeat it: no explicit "done"
beyond client.Pull's deferred lease delete (§3.3). A pull that is never cancelled does
not fail in the model (pull-completes checks it), so a scenario without a cancel has no
kubelet actor and no retry; it must not leave a retry waiting for a request that never
comes (a blocked actor would be reported as a deadlock)."""

from __future__ import annotations

import attrs
from unpack_race.model.unpacker import Steps
from unpack_race.model.world import World
from unpack_race.scheduler.effect import Effect, Footprint, result_ignored


@attrs.frozen
class CancelPull(Effect):
    """The request ctx of `pull` is cancelled (pctx derives from it). If the pull has
    already returned, the cancel comes too late and changes nothing."""

    outcome_key = result_ignored  # no actor reads the result

    pull: str

    def apply(self, world: World) -> str:
        ctx = world.pulls[self.pull]
        if ctx.returned:
            return "too late: the pull has already returned"
        ctx.cancelled = True
        return "cancelled"

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(writes={f"pull/{self.pull}"})

    def narrate(self, actor, result, error) -> str:
        if result == "cancelled":
            return f"{actor} restarts: the request ctx of {self.pull} is cancelled"
        return f"{actor} restarts, but {self.pull} has already returned"


@attrs.frozen
class RequestPull(Effect):
    """The kubelet sends PullImage again. With `after` set, only once that pull has
    returned (the pulls do not overlap)."""

    outcome_key = result_ignored  # no actor reads the result

    pull: str
    after: str = ""

    def enabled(self, world: World) -> bool:
        return not self.after or world.pulls[self.after].returned

    def blocked_on(self, world: World) -> str:
        return f"it retries only after {self.after} has returned"

    def apply(self, world: World) -> str:
        world.pulls[self.pull].requested = True
        return self.pull

    def footprint(self, world: World | None = None) -> Footprint:
        return Footprint.of(reads={f"pull/{self.after}"}, writes={f"pull/{self.pull}"})

    def narrate(self, actor, result, error) -> str:
        return f"{actor} retries: it asks CRI to pull the image again as {self.pull}"


#: the orders of the kubelet's two steps (`kubelet(order=...)`)
CANCEL_THEN_RETRY, RETRY_THEN_CANCEL = "cancel-then-retry", "retry-then-cancel"
ORDERS = (CANCEL_THEN_RETRY, RETRY_THEN_CANCEL)


def kubelet(first: str, retry: str, overlap: bool, order: str = CANCEL_THEN_RETRY) -> Steps:
    """Cancel `first` at some step and retry it as `retry`: the cancel first (the old
    request's ctx ends before the new kubelet asks again), or the retry first (the new
    kubelet's PullImage reaches CRI before the old connection's cancellation does; each
    RPC has its own ctx, so nothing orders the two). A retry that waits for `first` to
    return (`overlap` False) cannot come before a cancel of a pull still running: the
    scenario refuses that pair."""
    if order not in ORDERS:
        raise ValueError(f"kubelet order {order!r}: use one of {', '.join(ORDERS)}")
    cancel, ask = CancelPull(first), RequestPull(retry, "" if overlap else first)
    for step in (cancel, ask) if order == CANCEL_THEN_RETRY else (ask, cancel):
        yield step
