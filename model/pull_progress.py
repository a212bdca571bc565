"""CRI's pull progress reporter (internal/cri/server/images/image_pull.go at d7f83034c,
PullImage and (*pullProgressReporter).start): PullImage derives `pctx, pcancel :=
context.WithCancel(ctx)` and starts a goroutine that checks, every report interval,
whether the pull has read any bytes since the last check; when a request is active and
nothing has been read for `image_pull_progress_timeout` (5 minutes by default) it logs
`cancel pulling image <ref> because of no progress in <timeout>` and calls pcancel.

That cancels one pull and no other, which a kubelet restart (model/kubelet.py) does not:
a restart ends every request of the old kubelet. So it is what cancels the first of two
concurrent pulls (scenarios/concurrent_pulls.py): its registry stalls, the second pull's
does not. Which step of the pull it falls on is the search's choice; the model has no
byte counts and no timer, only the moment of the cancel.
"""

from __future__ import annotations

import attrs
from unpack_race.model.kubelet import CancelPull
from unpack_race.model.unpacker import Steps


@attrs.frozen
class ProgressTimeout(CancelPull):
    """reporter.cancel() = pcancel(): the pull's ctx is cancelled, as by CancelPull; too
    late if the pull has returned (PullImage's own `pcancel()` after client.Pull stops the
    reporter)."""

    def narrate(self, actor, result, error) -> str:
        if result == "cancelled":
            return (f"{actor}: no progress on {self.pull} for image_pull_progress_timeout, "
                    f"so CRI cancels its ctx (pcancel)")
        return f"{actor}: {self.pull} has already returned; its progress reporter has stopped"


def progress_reporter(pull: str) -> Steps:
    """The reporter of `pull`, which times out at some step."""
    yield ProgressTimeout(pull)


__all__ = ["ProgressTimeout", "progress_reporter"]
