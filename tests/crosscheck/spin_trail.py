"""SPIN's counterexample trail, as an unpack-race schedule file.

`spin -t` replays the trail pan wrote, and each d_step of the Promela model
(tests/crosscheck/retry_after_cancel.pml) prints one line for the step it takes:

    STEP pull-2 PrepareT2 layer=1 attempt=0 bparent=1 out=3

that is, the actor, the model/ effect, the integers the step needs (the layer, the pull's
attempt number, PrepareT1's parent generation) and the outcome code. This module turns
those lines into the steps of an `unpack-race.schedule` (version 2, scheduler/schedule.py,
scheduler/schedule.schema.json): each one with the effect's arguments spelt as the model
spells them (model/names.py: chain IDs sha256:c<i>, layer blobs sha256:l<i>, diff IDs
sha256:d<i>, lock keys sn://overlayfs/<chain>, extraction keys "extract-<pull>.<attempt>
<chain>", backend keys k8s.io/<generation>/<key>, leases lease-<pull>). The spelling is
written out here, from the Promela model's header, and not taken from model/: a replay
compares every argument, so a wrong name fails it.

Usage: `python3 tests/crosscheck/spin_trail.py OUTPUT.txt --variant V --layers N
--gc-policy P [--gc-runs N] [--no-overlap] [--no-kmutex] [--no-cancel] [--release R]
[--order O] > x.schedule.json`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from typing import Any

FORMAT, VERSION = "unpack-race.schedule", 2
SCENARIO = "retry-after-cancel"
IMAGE, MANIFEST, CONFIG = "docker.io/library/app:latest", "sha256:m0", "sha256:f0"
SNAPSHOT_REF = "containerd.io/snapshot.ref"
UNCOMPRESSED = "containerd.io/uncompressed"
GC_REF_SNAPSHOT = "containerd.io/gc.ref.snapshot.overlayfs"
GC_REF_CONTENT = "containerd.io/gc.ref.content"
LEASE_EXPIRY = 24 * 60 * 60
ACTORS = ("pull-1", "pull-2", "kubelet", "gc")
STEP = re.compile(r"^\s*STEP (?P<actor>\S+) (?P<effect>[A-Za-z0-9]+)(?P<fields>(?: [a-z]+=\S+)*)\s*$")


class TrailError(ValueError):
    """A line of `spin -t`'s output that is not a step the model prints."""


def chain(i: int) -> str:
    """The chain ID of layer i (0-based)."""
    return f"sha256:c{i + 1}"


def parse_steps(output: str) -> list[tuple[str, str, dict[str, str]]]:
    """The STEP lines of `spin -t`'s output, in order: (actor, effect, fields)."""
    steps = []
    for number, line in enumerate(output.splitlines(), 1):
        if "STEP " not in line:
            continue
        found = STEP.match(line)
        if found is None:
            raise TrailError(f"spin -t output, line {number}: {line.strip()!r} is not 'STEP <actor> <Effect> "
                             f"key=value ...'; was the model's printf changed?")
        fields = dict(field.split("=", 1) for field in found["fields"].split())
        steps.append((found["actor"], found["effect"], fields))
    return steps


def step_args(actor: str, effect: str, fields: Mapping[str, str], params: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments model/'s effect takes at this step, as a schedule records them."""
    def number(name: str) -> int:
        if name not in fields:
            raise TrailError(f"STEP {actor} {effect}: the model printed no {name}= (it printed {dict(fields)})")
        return int(fields[name])

    pull = actor
    lease = f"lease-{pull}"
    layers = int(params["layers"])
    if effect == "AwaitPullRequest":
        return {"pull": pull}
    if effect == "CreateLease":
        return {"lease": lease, "pull": pull, "expires_in": LEASE_EXPIRY}
    if effect == "FetchBlob":
        if fields.get("what") == "manifest":
            labels = [[f"{GC_REF_CONTENT}.config", CONFIG]]
            labels += [[f"{GC_REF_CONTENT}.l.{i}", f"sha256:l{i + 1}"] for i in range(layers)]
            return {"digest": MANIFEST, "what": "manifest", "lease": lease, "pull": pull, "labels": labels}
        return {"digest": CONFIG, "what": "config", "lease": lease, "pull": pull, "labels": []}
    if effect in ("Lock", "Unlock"):
        return {"key": f"sn://overlayfs/{chain(number('layer'))}", "pull": pull}
    if effect == "Stat":
        return {"key": chain(number("layer"))}
    if effect == "UpdateContentLabels":
        if fields.get("what") == "config":
            return {"digest": CONFIG, "labels": [[GC_REF_SNAPSHOT, chain(layers - 1)]], "what": "config"}
        i = number("layer")
        return {"digest": f"sha256:l{i + 1}", "labels": [[UNCOMPRESSED, f"sha256:d{i + 1}"]], "what": "layer"}
    if effect == "WaitForLayerFetch":
        return {"digest": f"sha256:l{number('layer') + 1}", "lease": lease, "pull": pull}
    if effect in ("PrepareT1", "PrepareT2", "Commit", "Remove"):
        i = number("layer")
        key = f"extract-{pull}.{number('attempt')} {chain(i)}"
        parent = chain(i - 1) if i else ""
        if effect == "PrepareT1":
            return {"key": key, "parent": parent, "target": chain(i), "lease": lease}
        if effect == "PrepareT2":
            bparent = f"k8s.io/{number('bparent')}/{parent}" if i else ""
            return {"key": key, "parent": parent, "bkey": f"k8s.io/1/{key}", "bparent": bparent, "lease": lease,
                    "labels": [[SNAPSHOT_REF, chain(i)]]}
        if effect == "Commit":
            return {"name": chain(i), "key": key, "lease": lease, "labels": [[SNAPSHOT_REF, chain(i)]]}
        return {"key": key, "lease": lease}
    if effect == "CreateImage":
        return {"name": IMAGE, "target": MANIFEST}
    if effect == "DeleteLease":
        return {"lease": lease, "pull": pull}
    if effect == "CancelPull":
        return {"pull": "pull-1"}
    if effect == "RequestPull":
        return {"pull": "pull-2", "after": "" if params["overlap"] else "pull-1"}
    if effect == "GcCollect":
        return {"policy": params["gc-policy"]}
    raise TrailError(f"STEP {actor} {effect}: no effect of that name in the model")


def schedule(output: str, variant: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The schedule (as JSON data) of the counterexample `spin -t` printed, for the
    scenario's `variant` and parameters (layers, gc-policy, gc-runs, overlap, kmutex,
    cancel, release, order; backend-cleanup keeps its default)."""
    steps = []
    for actor, effect, fields in parse_steps(output):
        if actor not in ACTORS:
            raise TrailError(f"STEP {actor} {effect}: no actor named {actor!r} (the actors are {', '.join(ACTORS)})")
        steps.append({"actor": actor, "effect": effect, "args": step_args(actor, effect, fields, params)})
    if not steps:
        raise TrailError("spin -t printed no STEP line: is this the output of the trail's replay?")
    return {"format": FORMAT, "version": VERSION, "scenario": SCENARIO, "variant": variant,
            "params": dict(params), "steps": steps,
            "comment": "converted from SPIN's counterexample trail by tests/crosscheck/spin_trail.py"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="what `spin -t -B -D... model.pml` printed")
    parser.add_argument("--variant", required=True)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--gc-policy", default="scheduler", choices=("scheduler", "any", "dirty"))
    parser.add_argument("--gc-runs", type=int, default=1)
    for flag in ("overlap", "kmutex", "cancel"):
        parser.add_argument(f"--{flag}", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--release", default="2.0")
    parser.add_argument("--order", default="cancel-then-retry", choices=("cancel-then-retry", "retry-then-cancel"))
    args = parser.parse_args(argv)
    params = {"layers": args.layers, "gc-policy": args.gc_policy, "gc-runs": args.gc_runs,
              "overlap": args.overlap, "kmutex": args.kmutex, "cancel": args.cancel,
              "release": args.release, "order": args.order}
    with open(args.output, encoding="utf-8") as text:
        data = schedule(text.read(), args.variant, params)
    json.dump(data, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
