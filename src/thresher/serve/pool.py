"""Page extraction for ``thresher serve`` in worker processes, under a hard time limit: the
parser cannot be interrupted from inside (a pathological page held the event loop for
minutes, so ``/health`` and SIGTERM went unanswered), but a worker process can be killed.
A worker that runs out of time is killed and replaced; the request gets a 504."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from thresher.serve.errors import ExtractFailed, ExtractTimeout

__all__ = ["DEFAULT_EXTRACT_TIMEOUT", "DEFAULT_EXTRACT_WORKERS", "ExtractPool"]

#: seconds one page may spend in a worker before the worker is killed (``--extract-timeout``)
DEFAULT_EXTRACT_TIMEOUT = 20.0
#: pages extracted at once, one worker process each (``--extract-workers``)
DEFAULT_EXTRACT_WORKERS = 2


def _work(conn: Connection) -> None:
    """A worker's loop: ``(function, args)`` in, its result (or the error's name) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    import thresher.extract.run  # noqa: F401  (warm: the first page should not pay imports)

    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[bool, Any] = (True, fn(*args))
        except Exception as e:  # a bug in extraction: reported, the worker lives on
            answer = (False, f"{type(e).__name__}: {e}"[:200])
        conn.send(answer)


class _Worker:
    """One worker process and its end of the pipe."""

    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_work, args=(child,), daemon=True, name="thresher-extract")
        self.proc.start()
        child.close()

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
        """Send one call and wait for its answer (in a thread: the event loop never waits)."""
        self.conn.send((fn, args))
        answer: tuple[bool, Any] = self.conn.recv()
        return answer

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.proc.kill()
            self.proc.join(5)
        with contextlib.suppress(OSError):
            self.conn.close()


class ExtractPool:
    """Up to ``workers`` calls at once, each in its own process, each cut off after
    ``timeout`` seconds. Workers start on first use (one is started by :meth:`warm`)."""

    def __init__(
        self,
        workers: int = DEFAULT_EXTRACT_WORKERS,
        timeout: float = DEFAULT_EXTRACT_TIMEOUT,
    ) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        self.killed = 0
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a running event loop
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._slots: asyncio.Semaphore | None = None
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="thresher-extract")
        self._closed = False

    def warm(self) -> None:
        """Start one worker now, so the first page does not wait for its imports."""
        if not self._idle and not self._busy:
            self._idle.append(_Worker(self._ctx))

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker; :class:`ExtractTimeout` when it takes too long,
        :class:`ExtractFailed` when it raised or the worker died."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots:
            if self._closed:
                raise ExtractFailed("the server is stopping")
            worker = self._idle.pop() if self._idle else _Worker(self._ctx)
            self._busy.add(worker)
            loop = asyncio.get_running_loop()
            done = False
            try:
                ok, value = await asyncio.wait_for(
                    loop.run_in_executor(self._threads, worker.call, fn, args), self.timeout
                )
                done = True
            except TimeoutError:
                self.killed += 1
                raise ExtractTimeout(
                    f"extraction took longer than {self.timeout:g}s and was stopped"
                ) from None
            except (EOFError, OSError):
                raise ExtractFailed("the extraction worker stopped") from None
            finally:
                self._busy.discard(worker)
                if done and not self._closed:
                    self._idle.append(worker)
                else:  # out of time, dead, or cancelled mid-page: its state is unknown
                    worker.kill()
        if not ok:
            raise ExtractFailed(f"extraction failed: {value}")
        return value

    def close(self) -> None:
        """Kill every worker (busy ones too: their requests fail at once) and stop."""
        self._closed = True
        for worker in [*self._idle, *self._busy]:
            worker.kill()
        self._idle.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
