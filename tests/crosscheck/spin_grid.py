"""The grid of the SPIN cross-check: configurations of retry-after-cancel, each as
unpack-race's scenario parameters and as the -D macros of the Promela model
(tests/crosscheck/retry_after_cancel.pml, whose header lists them).

Shared by the test (tests/crosscheck/test_spin.py) and the bench
(tests/crosscheck/spin_bench.py), so that both go over the same points.
"""

from __future__ import annotations

import itertools
from typing import Any

import attrs

#: each shipped variant as the model's three switches: the Stat early return (before
#: containerd PR 10723), and PR 10187's two halves (createSnapshot T1, Commit), as
#: model/variants.py defines them
VARIANT_MACROS: dict[str, tuple[int, int, int]] = {
    "stat-early-return-no-lease": (1, 0, 0),
    "stat-early-return": (1, 1, 1),
    "prepare-without-lease": (0, 0, 0),
    "prepare-with-lease": (0, 1, 1),
}
VARIANTS = tuple(VARIANT_MACROS)
POLICY_MACRO = {"scheduler": 0, "any": 1, "dirty": 2}
#: each release line as its two facts (model/releases.py): x/sync's Acquire fails on a
#: cancelled ctx first (ACQ_FIRST), the unpacker aborts on a cancelled wait (ABORT_ON_CANCEL)
RELEASE_MACROS: dict[str, tuple[int, int]] = {"2.0": (1, 1), "1.7.25": (1, 1), "1.7": (0, 1), "1.6.39": (1, 0),
                                              "1.6": (0, 0)}
ORDERS = ("cancel-then-retry", "retry-then-cancel")


@attrs.frozen
class Point:
    """One configuration: a variant and the scenario's parameters that the model has
    (all but --backend-cleanup)."""

    variant: str
    layers: int = 2
    gc_policy: str = "any"
    gc_runs: int = 1
    overlap: bool = True
    kmutex: bool = True
    cancel: bool = True
    release: str = "2.0"
    order: str = "cancel-then-retry"

    def __attrs_post_init__(self) -> None:
        if self.variant not in VARIANT_MACROS:
            raise ValueError(f"grid point: unknown variant {self.variant!r}; the model has {', '.join(VARIANTS)}")
        if self.gc_policy not in POLICY_MACRO:
            raise ValueError(f"grid point: unknown gc-policy {self.gc_policy!r}; use one of {', '.join(POLICY_MACRO)}")
        if self.release not in RELEASE_MACROS or self.order not in ORDERS:
            raise ValueError(f"grid point: release {self.release!r}, order {self.order!r}; the releases are "
                             f"{', '.join(RELEASE_MACROS)}, the orders {', '.join(ORDERS)}")

    def params(self) -> dict[str, Any]:
        """unpack-race's scenario parameters (the others keep their defaults)."""
        return {"layers": self.layers, "gc-policy": self.gc_policy, "gc-runs": self.gc_runs,
                "overlap": self.overlap, "kmutex": self.kmutex, "cancel": self.cancel,
                "release": self.release, "order": self.order}

    def defines(self, history: bool) -> list[str]:
        """The model's -D macros for this point; `history` keeps each pull's outcomes."""
        stat, prepare, commit = VARIANT_MACROS[self.variant]
        acquire, abort = RELEASE_MACROS[self.release]
        values = {"STAT_EARLY": stat, "LEASE_PREPARE": prepare, "LEASE_COMMIT": commit,
                  "LAYERS": self.layers, "GC_POLICY": POLICY_MACRO[self.gc_policy], "GC_RUNS": self.gc_runs,
                  "OVERLAP": int(self.overlap), "KMUTEX": int(self.kmutex), "CANCEL": int(self.cancel),
                  "RETRY_FIRST": int(self.order == "retry-then-cancel"), "ACQ_FIRST": acquire,
                  "ABORT_ON_CANCEL": abort, "HISTORY": int(history)}
        return [f"-D{name}={value}" for name, value in values.items()]

    @property
    def label(self) -> str:
        flags = [f"layers={self.layers}", f"gc-policy={self.gc_policy}"]
        if self.gc_policy != "scheduler":
            flags.append(f"gc-runs={self.gc_runs}")
        flags += [name if on else f"no-{name}" for name, on in
                  (("overlap", self.overlap), ("kmutex", self.kmutex), ("cancel", self.cancel)) if not on]
        if self.release != "2.0":
            flags.append(f"release={self.release}")
        if self.order != "cancel-then-retry":
            flags.append(f"order={self.order}")
        return f"{self.variant} {' '.join(flags)}"


def quick_grid() -> tuple[Point, ...]:
    """The default run's points (under a minute with the test's checks): every variant at
    1 and 2 layers with one GC run at any step, and at 2 layers under the GC scheduler;
    the three variants that fail at 3 layers and with two GC runs (the fix's proofs there
    take unpack-race 4-7 s each: the slow grid has them); --no-overlap and --no-cancel for
    the variant that fails and the fix, --no-kmutex for the one that fails; and the fix on
    the 1.6 line with the retry's request before the cancel."""
    failing = [v for v in VARIANTS if v != "prepare-with-lease"]
    points = [Point(v, layers) for v in VARIANTS for layers in (1, 2)]
    points += [Point(v, 2, "scheduler") for v in VARIANTS]
    points += [Point(v, 3) for v in failing] + [Point(v, 2, gc_runs=2) for v in failing]
    for v in ("stat-early-return", "prepare-with-lease"):
        points += [Point(v, 2, "scheduler", overlap=False), Point(v, 2, "scheduler", cancel=False)]
    points.append(Point("stat-early-return", 2, "scheduler", kmutex=False))
    points.append(Point("prepare-with-lease", 2, "scheduler", release="1.6", order="retry-then-cancel"))
    return tuple(points)


def full_grid() -> tuple[Point, ...]:
    """The slow run's points (UNPACK_RACE_SLOW=1), the quick ones among them: every variant
    x layers 1-3 x gc-runs 1-2 under any and dirty, layers 1-3 under the scheduler, every
    combination of overlap, kmutex and cancel at 2 layers under the scheduler, and every
    release with either order there (1.7.25 has 2.0's two facts)."""
    points = [Point(v, layers, policy, runs) for v in VARIANTS for layers in (1, 2, 3)
              for policy in ("any", "dirty") for runs in (1, 2)]
    points += [Point(v, layers, "scheduler") for v in VARIANTS for layers in (1, 2, 3)]
    points += [Point(v, 2, "scheduler", overlap=o, kmutex=k, cancel=c) for v in VARIANTS
               for o, k, c in itertools.product((True, False), repeat=3) if (o, k, c) != (True, True, True)]
    points += [Point(v, 2, "scheduler", release=r, order=order) for v in VARIANTS for r in ("2.0", "1.7", "1.6.39", "1.6")
               for order in ORDERS if (r, order) != ("2.0", "cancel-then-retry")]
    return tuple(dict.fromkeys(points + list(quick_grid())))
