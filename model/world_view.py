"""The containerd world as a page shows it (reports/page/world_view.py's WorldView): the
metadata snapshots with their parents, the leases with their members, the images, the
content, db.dirty, the CRI locks and each pull's ctx; at a GC step what its mark reached
and what it swept (gc.GcReport); on the time line, a pull's cancellation, the
deletion of a lease and the deletion of an image.
"""

from __future__ import annotations

from typing import Any

from unpack_race.model.gc import GcReport
from unpack_race.model.images import DeleteImage
from unpack_race.model.kubelet import CancelPull
from unpack_race.model.leases import DeleteLease
from unpack_race.model.world import World
from unpack_race.scheduler.kernel import Step


def _names(names: Any) -> str:
    return ", ".join(sorted(names)) or "none"


class ContainerdView:
    """A WorldView of model.world.World."""

    def sections(self, world: World) -> dict[str, dict[str, str]]:
        pulls = {}
        for name, ctx in sorted(world.pulls.items()):
            state = [word for word, on in (("requested", ctx.requested), ("cancelled", ctx.cancelled),
                                           ("returned", ctx.returned)) if on]
            pulls[name] = f"lease {ctx.lease or 'none'}; " + (", ".join(state) or "running")
        return {
            "snapshots": {name: f"{snapshot.kind}, parent {snapshot.parent or 'none'}"
                          for name, snapshot in sorted(world.snapshots.items())},
            "leases": {lease.id: f"snapshots {_names(lease.snapshots)}; content {_names(lease.content)}"
                       for _, lease in sorted(world.leases.items())},
            "images": {name: digest for name, digest in sorted(world.images.items())},
            "content": {digest: "present" for digest in sorted(world.content)},
            "database": {"dirty": str(world.dirty)},
            "locks": {key: f"held by {holder}" for key, holder in sorted(world.locks.items())},
            "pulls": pulls,
        }

    def notes(self, step: Step) -> tuple[str, ...]:
        report = step.result
        if not isinstance(report, GcReport):
            return ()
        return (f"GC marked snapshots: {_names(report.marked_snapshots)}",
                f"GC marked content: {_names(report.marked_content)}",
                f"GC swept snapshots: {_names(report.swept_snapshots)}",
                f"GC swept content: {_names(report.swept_content)}",
                f"GC swept expired leases: {_names(report.swept_leases)}")

    def mark(self, step: Step) -> str | None:
        if isinstance(step.effect, CancelPull) and step.result == "cancelled":
            return f"{step.effect.pull} cancelled"
        if isinstance(step.effect, DeleteLease) and step.ok:
            return f"{step.effect.lease} deleted"
        if isinstance(step.effect, DeleteImage) and step.ok:
            return f"{step.effect.name} deleted"
        return None


__all__ = ["ContainerdView"]
