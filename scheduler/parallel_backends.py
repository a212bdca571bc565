"""Where the owners of the parallel search run: processes on this machine, or a Dask
distributed cluster. Both give the coordinator (scheduler/parallel_search.py) the same
thing: `call(method, args_per_owner)`, which calls one method of every owner
(scheduler/partition_owner.py) at once and returns their answers in owner order, and
`close()`.

- `Processes(n)`: n processes forked from this one (so they inherit the program, and
  nothing needs to pickle but the messages), each serving one `PartitionOwner` over a
  pipe. They ignore Ctrl-C (the terminal sends it to the whole process group); the
  coordinator stops them.
- `DaskCluster(address, n)`: one Dask actor (`client.submit(PartitionOwner, ...,
  actor=True)`, distributed's stateful workers) per owner, spread over the cluster's
  workers; `address` None or "local" starts a `LocalCluster` of n worker processes on
  127.0.0.1. The program reaches the workers as its `Build` (a picklable callable that
  builds it); the package must be importable on every worker.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
from collections.abc import Sequence
from typing import Any

from unpack_race.scheduler.partition_owner import Build, PartitionOwner
from unpack_race.scheduler.strategies.registry import OptionError

#: seconds to wait for a Dask scheduler to answer before saying it cannot be reached
CONNECT_TIMEOUT = 3


class WorkerError(RuntimeError):
    """A worker failed for a reason that is not the model's (it died, or the engine raised
    in it); the message carries the worker's traceback."""


class Processes:
    """`n` owners in forked processes on this machine."""

    def __init__(self, n: int) -> None:
        if n < 1:
            raise OptionError(f"--workers must be at least 1, got {n}")
        self.n = n
        self._pipes: list[Any] = []
        self._processes: list[Any] = []

    def describe(self) -> str:
        return "processes"

    def start(self, build: Build, max_steps: int) -> None:
        context = multiprocessing.get_context("fork")
        for index in range(self.n):
            mine, theirs = context.Pipe()
            inherited = [*self._pipes, mine]  # the coordinator's ends: closed in the child, so that it sees EOF
            process = context.Process(target=_serve, args=(theirs, build, index, self.n, max_steps, inherited),
                                      name=f"unpack-race-owner-{index}", daemon=True)
            process.start()
            theirs.close()
            self._pipes.append(mine)
            self._processes.append(process)

    def call(self, method: str, args: Sequence[tuple]) -> list[Any]:
        for pipe, given in zip(self._pipes, args, strict=True):
            pipe.send((method, given))
        answers = []
        for index, pipe in enumerate(self._pipes):
            try:
                status, value = pipe.recv()
            except EOFError:
                raise WorkerError(f"worker {index} of the parallel search died (exit code "
                                  f"{self._processes[index].exitcode}); is the machine out of memory?") from None
            if status != "ok":
                raise WorkerError(f"worker {index} of the parallel search failed:\n{value}")
            answers.append(value)
        return answers

    def close(self) -> None:
        for pipe in self._pipes:
            try:
                pipe.send(None)
            except OSError:
                pass
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        for pipe in self._pipes:
            pipe.close()
        self._pipes, self._processes = [], []


def _serve(pipe, build: Build, index: int, count: int, max_steps: int, inherited: list) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C and stops us
    for end in inherited:  # if the coordinator dies, recv() sees EOF and the worker ends
        end.close()
    try:
        owner = PartitionOwner(build, index, count, max_steps)
    except BaseException:  # noqa: BLE001 - reported to the coordinator at its first call
        owner, failure = None, traceback.format_exc()
    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if owner is None:
            pipe.send(("failed", failure))
            continue
        method, args = message
        try:
            pipe.send(("ok", getattr(owner, method)(*args)))
        except BaseException:  # noqa: BLE001 - the engine's own bug: the coordinator raises it
            pipe.send(("failed", traceback.format_exc()))


class DaskCluster:
    """`n` owners as Dask actors on the cluster whose scheduler is at `address` (None or
    "local": a LocalCluster of `n` worker processes on 127.0.0.1)."""

    def __init__(self, address: str | None, n: int | None = None) -> None:
        """Connects (or starts the LocalCluster); `n` None: one owner per worker of the
        cluster (for a LocalCluster: 2). OptionError, teaching, when no scheduler answers
        at `address` within CONNECT_TIMEOUT seconds."""
        if n is not None and n < 1:
            raise OptionError(f"--workers must be at least 1, got {n}")
        self.address = None if address in (None, "", "local") else address
        self._client = self._cluster = None
        self._owners: list[Any] = []
        self._workers = self._connect(2 if n is None and self.address is None else n)
        self.n = n if n is not None else len(self._workers)

    def describe(self) -> str:
        return f"Dask at {self.address}" if self.address is not None else "Dask, a LocalCluster on 127.0.0.1"

    def _connect(self, n: int | None) -> list[str]:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency of the package
            raise OptionError("--dask needs the dask distributed package: pip install 'dask[distributed]'") from None
        if self.address is None:
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.address, timeout=f"{CONNECT_TIMEOUT}s")
            except (OSError, TimeoutError, ValueError) as error:
                raise OptionError(
                    f"--dask {self.address}: no Dask scheduler answered within {CONNECT_TIMEOUT} s "
                    f"({type(error).__name__}); start one with `dask scheduler` and workers with "
                    f"`dask worker {self.address}`, or use `--dask local` for a cluster on this machine") from None
        workers = sorted(self._client.scheduler_info()["workers"])
        if not workers:
            self.close()
            raise OptionError(f"--dask {self.address}: the cluster has no workers; start some with "
                              f"`dask worker {self.address}`")
        return workers

    def start(self, build: Build, max_steps: int) -> None:
        workers = self._workers
        futures = [self._client.submit(PartitionOwner, build, index, self.n, max_steps, actor=True,
                                       workers=[workers[index % len(workers)]], pure=False)
                   for index in range(self.n)]
        self._owners = [future.result() for future in futures]

    def call(self, method: str, args: Sequence[tuple]) -> list[Any]:
        pending = [getattr(owner, method)(*given) for owner, given in zip(self._owners, args, strict=True)]
        return [future.result() for future in pending]

    def close(self) -> None:
        self._owners = []
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


__all__ = ["CONNECT_TIMEOUT", "DaskCluster", "Processes", "WorkerError"]
