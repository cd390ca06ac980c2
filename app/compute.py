"""One execution layer for CPU-heavy independent tasks: a local process pool or a Dask cluster.

Why one layer: tolerance Monte Carlos, sweeps of the simulated lab and re-analysis of run files
are all "apply f to many independent inputs". :meth:`Compute.map` does that with progress,
cancellation (Ctrl-C), per-task failure reports and results in input order, through the same
submit / as-completed loop whether the futures come from :class:`concurrent.futures.
ProcessPoolExecutor` (default, sized to the machine) or a ``distributed.Client`` (``--scheduler
ADDR`` or ``SPINBENCH_SCHEDULER``). Tasks carry only their inputs (seeds, parameter sets, file
paths, design tables); randomness comes from those seeds alone, so every backend gives the same
results (Dask's guide on reproducible random numbers: seed per task, never per worker).

Security: nothing listens beyond this machine unless the user names a scheduler. A plain
``tcp://`` scheduler lets anyone who can reach it run code on its workers (Dask distributed
documentation, "TLS/SSL"); ``tls://`` uses certificates from ``SPINBENCH_TLS_CA`` /
``SPINBENCH_TLS_CERT`` / ``SPINBENCH_TLS_KEY`` or Dask's own ``distributed.comm.tls`` config.
"""
from __future__ import annotations

import os
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

ENV_SCHEDULER = "SPINBENCH_SCHEDULER"
ENV_TLS = {"ca": "SPINBENCH_TLS_CA", "cert": "SPINBENCH_TLS_CERT", "key": "SPINBENCH_TLS_KEY"}

#: Attempts per task when its worker process dies (a crashed or killed worker, not an exception).
LOST_WORKER_RETRIES = 2

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class TaskFailure:
    """One task that raised: which input, and the end of its traceback."""

    index: int
    inputs: str
    error: str
    traceback: str

    def line(self) -> str:
        return f"task {self.index} ({self.inputs}) failed: {self.error}"


class TasksFailed(RuntimeError):
    """Some tasks raised; the others completed (``results`` holds ``None`` at failed indices)."""

    def __init__(self, failures: list[TaskFailure], results: list[Any]):
        self.failures, self.results = failures, results
        self.problems = [f.line() for f in failures]
        super().__init__(f"{len(failures)} of {len(results)} tasks failed; first: {failures[0].line()}")


def _summary(exc: BaseException, limit: int = 3) -> str:
    """The last few frames and the error, short enough to print per task."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-limit)
    return "".join(lines).strip()


def _short(value: Any, width: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def scheduler_host(address: str) -> str:
    """'tcp://10.0.0.5:8786' -> '10.0.0.5'."""
    rest = address.split("://", 1)[-1]
    return rest.rsplit(":", 1)[0] if rest.count(":") == 1 or rest.startswith("[") else rest


def plain_tcp_warning(what: str, impact: str = "run code on the workers") -> str:
    """The one warning for anything spinbench exposes beyond this machine unencrypted."""
    return (f"warning: {what} is reachable from the network without encryption or authentication: anyone "
            f"who can connect can {impact}. Use it only on a trusted network (docs/scale.md).")


def _security(address: str):
    """Dask ``Security`` for a ``tls://`` address, from our env variables or Dask's config."""
    from distributed.security import Security

    paths = {k: os.environ.get(v) for k, v in ENV_TLS.items()}
    if any(paths.values()):
        missing = [ENV_TLS[k] for k, v in paths.items() if not v]
        if missing:
            raise ValueError(f"--scheduler {address}: TLS needs all of {', '.join(ENV_TLS.values())}; "
                             f"missing {', '.join(missing)}")
        for k, p in paths.items():
            if not os.path.isfile(p):
                raise ValueError(f"{ENV_TLS[k]}={p}: no such certificate file")
        return Security(tls_ca_file=paths["ca"], tls_client_cert=paths["cert"], tls_client_key=paths["key"],
                        require_encryption=True)
    sec = Security()  # distributed.comm.tls.* from the Dask config files
    if not sec.tls_ca_file:
        raise ValueError(f"--scheduler {address}: tls:// needs certificates: set {', '.join(ENV_TLS.values())} "
                         f"or distributed.comm.tls in the Dask config (docs/scale.md)")
    return sec


def _failure(exc: BaseException) -> tuple[str, str]:
    return f"{type(exc).__name__}: {exc}", _summary(exc)


class _Batch:
    """Runs ``fn`` over a chunk of items in a worker; each item's outcome (ok, result) or
    (False, (error line, traceback summary)): plain strings, so any error travels back."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, chunk: list) -> list[tuple[bool, Any]]:
        out: list[tuple[bool, Any]] = []
        for item in chunk:
            try:
                out.append((True, self.fn(item)))
            except Exception as exc:  # reported with its inputs; the others go on
                out.append((False, _failure(exc)))
        return out


class Compute:
    """Map independent tasks over a local process pool or a Dask cluster (see module docstring).

    Use as a context manager; ``workers=1`` runs in this process (no pickling, no pool)."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None, *, client: Any = None):
        scheduler = scheduler if scheduler is not None else os.environ.get(ENV_SCHEDULER) or None
        self.scheduler = scheduler
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        if self.workers < 1:
            raise ValueError(f"--workers {self.workers}: give 1 or more")
        self._client = client
        self._own_client = False
        self._pool: ProcessPoolExecutor | None = None
        if client is None and scheduler:
            if not scheduler.startswith(("tcp://", "tls://", "inproc://")):
                raise ValueError(f"--scheduler {scheduler!r}: give tcp://HOST:PORT or tls://HOST:PORT "
                                 f"(Dask scheduler address)")
            from distributed import Client

            kwargs = {"security": _security(scheduler)} if scheduler.startswith("tls://") else {}
            if scheduler.startswith("tcp://") and not is_loopback(scheduler_host(scheduler)):
                print(f"spinbench: {plain_tcp_warning('the scheduler ' + scheduler)}", file=sys.stderr)
            self._client = Client(scheduler, timeout="10s", **kwargs)
            self._own_client = True

    @property
    def backend(self) -> str:
        if self._client is not None:
            return f"dask {self._client.scheduler.address}"
        return "this process" if self.workers == 1 else f"{self.workers} local processes"

    def __enter__(self) -> "Compute":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None

    # --- the one loop -------------------------------------------------------------------------
    def _submit(self, fn: Callable, item: Any):
        if self._client is not None:
            return self._client.submit(fn, item, pure=False)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers)
        return self._pool.submit(fn, item)

    def _as_completed(self, futures: Iterable):
        if self._client is not None:
            from distributed import as_completed as dask_as_completed

            return dask_as_completed(list(futures))
        return as_completed(list(futures))

    def _worker_count(self) -> int:
        if self._client is not None:
            return max(1, len(self._client.scheduler_info().get("workers", {})))
        return self.workers

    def map_collect(self, fn: Callable, items: Sequence[Any], *,
                    on_result: Callable[[int, Any], None] | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    chunksize: int | None = None) -> tuple[list[Any], list[TaskFailure]]:
        """Results in input order (``None`` where a task failed) and the failures. ``on_result``
        sees each result as it arrives (write it out then: an interrupted map keeps it).
        Items travel in chunks (default: about 8 per worker) so that millisecond tasks do not
        pay a scheduler round trip and a copy of ``fn``'s data each (Dask best practices:
        tasks well above the ~1 ms per-task overhead)."""
        items = list(items)
        results: list[Any] = [None] * len(items)
        failures: list[TaskFailure] = []
        done = 0

        def finish(i: int, ok: bool, value: Any) -> None:
            nonlocal done
            done += 1
            if ok:
                results[i] = value
                if on_result is not None:
                    on_result(i, value)
            else:
                failures.append(TaskFailure(i, _short(items[i]), *value))
            if progress is not None:
                progress(done, len(items))

        local = self._client is None and self.workers == 1
        if chunksize is None:
            chunksize = 1 if local else max(1, -(-len(items) // (8 * self._worker_count())))
        chunks = [list(range(k, min(k + chunksize, len(items)))) for k in range(0, len(items), chunksize)]
        batch = _Batch(fn)
        if local:  # in this process: the same batches, no pool, no pickling
            for chunk in chunks:
                for i, (ok, value) in zip(chunk, batch([items[i] for i in chunk])):
                    finish(i, ok, value)
            return results, failures
        pending = list(range(len(chunks)))
        attempts = [0] * len(chunks)
        while pending:
            futures = {}
            try:
                futures = {self._submit(batch, [items[i] for i in chunks[c]]): c for c in pending}
                lost: list[int] = []
                for fut in self._as_completed(futures):
                    c = futures[fut]
                    try:
                        outcomes = fut.result()
                    except BrokenProcessPool:
                        lost.append(c)
                        continue
                    except Exception as exc:  # the batch itself could not run (e.g. unpicklable)
                        outcomes = [(False, _failure(exc))] * len(chunks[c])
                    for i, (ok, value) in zip(chunks[c], outcomes):
                        finish(i, ok, value)
            except BaseException:  # Ctrl-C: nothing more starts; the caller keeps what arrived
                self._cancel(futures)
                raise
            pending = []
            if lost:  # a worker process died (killed, out of memory): a fresh pool, the lost chunks again
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                for c in lost:
                    attempts[c] += 1
                    if attempts[c] > LOST_WORKER_RETRIES:
                        dead = (f"WorkerDied: its worker process died {attempts[c]} times", "")
                        for i in chunks[c]:
                            finish(i, False, dead)
                    else:
                        pending.append(c)
        return results, failures

    def _cancel(self, futures: dict) -> None:
        if self._client is not None:
            self._client.cancel(list(futures))
        elif self._pool is not None:
            for fut in futures:
                fut.cancel()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def map(self, fn: Callable, items: Iterable[Any], **kwargs: Any) -> list[Any]:
        """Like builtin ``map`` (usable where a function takes one), but raises :class:`TasksFailed`
        after every task has finished if any raised."""
        results, failures = self.map_collect(fn, list(items), **kwargs)
        if failures:
            raise TasksFailed(sorted(failures, key=lambda f: f.index), results)
        return results


def add_compute_options(parser: Any) -> None:
    """``--scheduler`` and ``--workers`` for every command that maps tasks."""
    parser.add_argument("--scheduler", metavar="ADDR",
                        help=f"Dask scheduler (tcp://HOST:8786 or tls://HOST:8786; default ${ENV_SCHEDULER} or "
                             f"local processes). tcp:// lets anyone on that network run code on the workers")
    parser.add_argument("--workers", type=int, help="local processes (default: one per CPU core; 1 = this process)")


def compute_from_args(args: Any) -> Compute:
    return Compute(getattr(args, "scheduler", None), getattr(args, "workers", None))


def map_on_terminal(compute: Compute, fn: Callable, items: Sequence[Any], on_result: Callable[[int, Any], None],
                    noun: str) -> tuple[list[TaskFailure], bool]:
    """The CLI's map: a progress count on stderr; Ctrl-C cancels what is pending and returns
    (failures so far, True) so the caller can say what it kept."""
    def progress(done: int, total: int) -> None:
        print(f"\r  {done}/{total} {noun}", end="", file=sys.stderr, flush=True)

    print(f"{len(items)} {noun} on {compute.backend}", file=sys.stderr)
    try:
        _, failures = compute.map_collect(fn, items, on_result=on_result, progress=progress)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return [], True
    print(file=sys.stderr)
    return failures, False


def print_failures(failures: Sequence[TaskFailure], stream: Any = None) -> None:
    stream = stream or sys.stderr
    for f in sorted(failures, key=lambda f: f.index):
        print(f"spinbench: {f.line()}", file=stream)
        print("    " + f.traceback.replace("\n", "\n    "), file=stream)


__all__ = ["Compute", "TaskFailure", "TasksFailed", "add_compute_options", "compute_from_args",
           "plain_tcp_warning", "is_loopback", "print_failures", "map_on_terminal"]
