"""Runs SPIN on the Promela model of retry-after-cancel: generate the verifier (`spin -a`),
compile it (`gcc ... pan.c`), run `./pan`, and read its verdict and state count; replay
a counterexample trail (`spin -t`) for its STEP lines.

The flags, and why (SPIN 6.5.2, Holzmann, The SPIN Model Checker, ch. 18-19):
- `spin -a -o2`: keep write-only variables in the state vector. By default SPIN hides a
  variable no statement reads (under gc-policy any, db.dirty is written by every deleting
  step and read by none), which merges states unpack-race keeps apart (its fingerprint
  keeps db.dirty > 0 whatever the policy). Hiding is sound, it only makes fewer states;
  -o2 makes the counts comparable (at the default point, the fix under `any`: 1,290
  states without it, 1,506 with it, unpack-race's 1,506). SPIN's dataflow optimisation
  (-o1 turns it off) left the counts as they were there.
- `gcc -DSAFETY`: safety properties only (assertions and invalid end states; no never
  claim, no cycle detection), the checks unpack-race makes;
- `-DNOREDUCE`: no partial-order reduction, so that pan stores every reachable state, as
  unpack-race's DFS with state caching visits every one;
- `-O2` by default (SPIN's own advice for speed; the count does not depend on it; the
  test may pass a cheaper level, since it compiles dozens of verifiers of a few thousand
  states each);
- `./pan` with its defaults: stop at the first error (-c1), depth limit 10,000 (-m;
  "depth too small" is reported, and refused here), exhaustive hash table storage.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import attrs

MODEL = Path(__file__).resolve().parent / "retry_after_cancel.pml"
MODEL_NAME = "model.pml"

#: the assertion names of the model (its `hidden byte` flags) and the property each is
ASSERTIONS = {
    "no_missing_parent": "no-missing-parent",
    "pull_completes": "pull-completes",
    "no_deadlock": "no-deadlock",
    "retry_reuses_cancelled_layer_never": "retry-reuses-cancelled-layer",
    "gc_sweeps_committed_layer_never": "gc-sweeps-committed-layer",
}
INSTALL = "install them with `apt-get install spin gcc` (Debian's packages)"


class SpinError(RuntimeError):
    """SPIN, gcc or pan did something the cross-check cannot read."""


def tools() -> tuple[str | None, str | None]:
    """The paths of `spin` and `gcc`, or None for each one missing."""
    return shutil.which("spin"), shutil.which("gcc")


def missing_tools() -> str | None:
    """Why the cross-check cannot run here, or None when both tools are found."""
    spin, gcc = tools()
    missing = [name for name, path in (("spin", spin), ("gcc", gcc)) if path is None]
    if not missing:
        return None
    return f"{' and '.join(missing)} not found on PATH: the SPIN cross-check needs SPIN 6 and a C compiler; {INSTALL}"


@attrs.frozen
class PanResult:
    """What one verification said."""

    violated: str | None  # the property of the failed assertion, None if none failed
    states: int  # "states, stored"
    transitions: int  # "transitions (= stored+matched)"
    depth: int  # "depth reached"
    workdir: Path
    defines: tuple[str, ...]
    output: str
    #: CPU seconds (user + system) of each phase's process: "spin -a", "gcc", "pan"
    cpu: dict[str, float] = attrs.field(factory=dict)

    @property
    def pan_seconds(self) -> float:
        """The search alone: ./pan's CPU time."""
        return self.cpu.get("pan", 0.0)

    @property
    def total_seconds(self) -> float:
        """End to end: generating the verifier, compiling it and running it, CPU time."""
        return sum(self.cpu.values())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(argv: Sequence[str], cwd: Path, what: str, cpu: dict[str, float] | None = None
         ) -> subprocess.CompletedProcess:
    """Run one tool; its CPU time (the waited-for child's, and its children's: gcc's cc1
    and as) goes into `cpu[what]`."""
    before = _children_cpu()
    try:
        done = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=600)
    except FileNotFoundError as err:
        raise SpinError(f"{what}: {argv[0]} not found ({err}); {INSTALL}") from err
    except subprocess.TimeoutExpired as err:
        raise SpinError(f"{what}: `{' '.join(argv)}` ran over 600 s in {cwd}") from err
    if cpu is not None:
        cpu[what] = _children_cpu() - before
    if done.returncode != 0 and what != "pan":
        raise SpinError(f"{what}: `{' '.join(argv)}` in {cwd} exited {done.returncode}:\n{done.stderr or done.stdout}")
    return done


def verify(defines: Sequence[str], workdir: Path, opt: str = "-O2", extra: Sequence[str] = ()) -> PanResult:
    """Generate, compile and run the verifier for `defines` in `workdir` (made if missing);
    a trail, if pan finds an error, is left there as model.pml.trail."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MODEL, workdir / MODEL_NAME)
    cpu: dict[str, float] = {}
    _run(["spin", "-a", "-o2", *defines, MODEL_NAME], workdir, "spin -a", cpu)
    _run(["gcc", opt, "-DSAFETY", "-DNOREDUCE", *extra, "-o", "pan", "pan.c"], workdir, "gcc", cpu)
    done = _run(["./pan"], workdir, "pan", cpu)
    return parse_pan(done.stdout, workdir, tuple(defines), cpu)


def parse_pan(output: str, workdir: Path, defines: tuple[str, ...], cpu: dict[str, float] | None = None
              ) -> PanResult:
    """pan's report: the failed assertion (`pan:1: assertion violated NAME (at depth N)`),
    `N states, stored`, the transitions and the depth. Anything else that pan calls an
    error (an invalid end state, "depth too small", out of memory) is refused: the model
    is built so that none can occur."""
    where = f"pan in {workdir} ({' '.join(defines)})"
    if "depth too small" in output or "out of memory" in output.lower():
        raise SpinError(f"{where} did not search the whole state space:\n{output}")
    if "invalid end state" in output.split("Full statespace search")[0]:
        raise SpinError(f"{where} reports an invalid end state, which the model's final_state process should "
                        f"make impossible:\n{output}")
    stored = re.search(r"^\s*(\d+) states, stored", output, re.M)
    transitions = re.search(r"^\s*(\d+) transitions", output, re.M)
    depth = re.search(r"depth reached (\d+), errors: (\d+)", output)
    if not (stored and transitions and depth):
        raise SpinError(f"{where}: no 'states, stored' / 'transitions' / 'depth reached' in its output:\n{output}")
    violated = None
    if int(depth.group(2)):
        failed = re.search(r"assertion violated (\S+)", output)
        if failed is None or failed.group(1) not in ASSERTIONS:
            raise SpinError(f"{where}: an error that is not one of the model's assertions "
                            f"({', '.join(ASSERTIONS)}):\n{output}")
        violated = ASSERTIONS[failed.group(1)]
    return PanResult(violated, int(stored.group(1)), int(transitions.group(1)), int(depth.group(1)),
                     workdir, defines, output, dict(cpu or {}))


def rerun(result: PanResult, *options: str) -> PanResult:
    """Run the verifier `verify` compiled again, with pan's run-time `options` (e.g. `-w18`,
    a 2^18-slot hash table instead of the default 2^24, whose 128 MB pan clears first:
    most of its CPU time on these small state spaces)."""
    cpu: dict[str, float] = {}
    done = _run(["./pan", *options], result.workdir, "pan", cpu)
    return parse_pan(done.stdout, result.workdir, result.defines, cpu)


def trail_output(result: PanResult) -> str:
    """Replay the trail pan left (`spin -t`) and return what the model printed: one STEP
    line per step of the counterexample."""
    trail = result.workdir / f"{MODEL_NAME}.trail"
    if not trail.exists():
        raise SpinError(f"pan found {result.violated} in {result.workdir} but wrote no {trail.name}")
    done = _run(["spin", "-t", "-B", *result.defines, MODEL_NAME], result.workdir, "spin -t")
    return done.stdout


def spin_version() -> str:
    """`spin -V`, e.g. 'Spin Version 6.5.2 -- 6 December 2019'."""
    done = subprocess.run(["spin", "-V"], capture_output=True, text=True, env={**os.environ})
    return done.stdout.strip()
