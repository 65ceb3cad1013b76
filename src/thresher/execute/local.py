"""Run independent tasks in this process or in a pool of local worker processes."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any


class LocalExecutor:
    """Maps a function over tasks with ``workers`` processes (``1``: inline, no pool).

    Use it as a context manager (or call :meth:`close`) so the pool's processes end.
    Results come back in task order; ``on_done(index, result)`` is called as each finishes,
    so the caller can record progress that must survive a crash. The first exception raised by
    a task cancels the tasks not yet started and is raised again here. Workers ignore Ctrl-C
    (no traceback from each): the parent gets it, stops them and raises it again.
    """

    kind = "local"

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def inline(self, tasks: int) -> bool:
        """One worker, or one task: run in this process, no pool."""
        return self.workers == 1 or tasks <= 1

    def _get_pool(self) -> ProcessPoolExecutor:
        """One pool for the executor's life: workers start (and load models) once."""
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=ctx, initializer=_ignore_sigint
            )
        return self._pool

    def close(self, *, kill: bool = False) -> None:
        """Stop the worker processes (if any were started); ``kill``: at once, not after the
        tasks they are running (Ctrl-C)."""
        if self._pool is not None:
            if kill:
                for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                    proc.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def map(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[Any],
        on_done: Callable[[int, Any], Any] | None = None,
    ) -> list[Any]:
        todo = list(tasks)
        results: list[Any] = [None] * len(todo)
        if self.inline(len(todo)):
            for i, task in enumerate(todo):
                results[i] = fn(task)
                if on_done is not None:
                    on_done(i, results[i])
            return results
        pool = self._get_pool()
        pending: dict[Future[Any], int] = {pool.submit(fn, t): i for i, t in enumerate(todo)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=pending.__getitem__):
                    i = pending.pop(fut)
                    results[i] = fut.result()
                    if on_done is not None:
                        on_done(i, results[i])
        except BaseException as e:
            for fut in pending:
                fut.cancel()
            self.close(kill=isinstance(e, KeyboardInterrupt))
            raise
        return results


def _ignore_sigint() -> None:
    """A worker's start: Ctrl-C reaches the whole process group, and it is the parent's to
    handle (it stops the workers), so no worker prints a KeyboardInterrupt traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
