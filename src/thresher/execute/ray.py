"""Run independent tasks as Ray tasks: on a Ray cluster, or on a local Ray instance.

``ray`` is imported only when a :class:`RayExecutor` is entered. It connects to ``address``
(or ``RAY_ADDRESS``); without one it starts a local instance with ``workers`` CPUs, no
dashboard and no usage reporting, and stops it again at the end. If this process is already
connected to Ray (a notebook, a test), that connection is used and left open.

Failures: a task whose worker process or node is lost is run again by Ray (``max_retries``
times); an exception raised by the task itself (its input is bad) is not retried: it stops
the map and is raised again in the caller, as the local executor does.

Ctrl-C: Ray's own processes block SIGINT, so none prints a traceback; the driver cancels the
tasks in flight and stops Ray. A Ctrl-C while Ray starts or stops is held until it has (a
start-up cut in the middle left a half-started instance to Ray's exit handler, which could
crash the process after ``thresher: interrupted``), then raised.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from thresher.errors import ConfigError
from thresher.execute.base import ExecutorError


def _import_ray() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never report usage over the network
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "executor 'ray' needs the ray package: pip install 'thresher[ray]'"
        ) from None
    return ray


@contextmanager
def _sigint_held() -> Iterator[None]:
    """Run the block whole: a Ctrl-C (SIGINT) that arrives meanwhile is raised as
    KeyboardInterrupt once it is done (only the main thread can hold signals back)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: got.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if got:
        raise KeyboardInterrupt


class RayExecutor:
    """Maps a function over tasks as Ray remote tasks, at most ``workers`` in flight.

    Each task reserves ``num_cpus`` CPUs and ``memory`` bytes (when given) on its node.
    ``on_done(index, result)`` runs in this (the driver) process as each task finishes.
    """

    kind = "ray"

    def __init__(
        self,
        workers: int = 1,
        *,
        address: str | None = None,
        num_cpus: float = 1,
        memory: int | None = None,
        max_retries: int = 3,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.num_cpus = num_cpus
        self.memory = memory
        self.max_retries = max_retries
        self._ray: Any = None
        self._owned = False  # True when this executor started (and must stop) the connection

    def inline(self, tasks: int) -> bool:
        """Ray tasks never run in the calling process."""
        return False

    def _connect(self) -> Any:
        if self._ray is not None:
            return self._ray
        ray = _import_ray()
        if not ray.is_initialized():
            try:
                with _sigint_held():  # a Ctrl-C meanwhile is raised once Ray is up and ours
                    self._init(ray)
                    self._ray, self._owned = ray, True
            except ConnectionError as e:
                where = self.address or "a local instance"
                raise ExecutorError(f"ray: cannot connect to {where}: {e}") from None
        self._ray = ray
        return ray

    def _init(self, ray: Any) -> None:
        """Connect to ``address``, or start a local instance of ``workers`` CPUs."""
        quiet: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": True}
        if self.address:
            ray.init(address=self.address, **quiet)
        else:
            ray.init(
                address="local",  # a new instance, never a cluster found by chance
                num_cpus=self.workers,
                include_dashboard=False,
                object_store_memory=128 * 1024 * 1024,  # tasks return small summaries
                **quiet,
            )

    def __enter__(self) -> RayExecutor:
        try:
            self._connect()
        except BaseException:  # Ctrl-C during start-up: the instance is stopped all the same
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect, and stop the local instance if this executor started it (whole: a
        Ctrl-C meanwhile is raised once Ray is down)."""
        ray, owned = self._ray, self._owned
        self._ray = None
        self._owned = False
        if ray is not None and owned:
            with _sigint_held():
                ray.shutdown()

    def map(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[Any],
        on_done: Callable[[int, Any], Any] | None = None,
    ) -> list[Any]:
        todo = list(tasks)
        results: list[Any] = [None] * len(todo)
        if not todo:
            return results
        ray = self._connect()
        options: dict[str, Any] = {
            "num_cpus": self.num_cpus,
            "max_retries": self.max_retries,
            "retry_exceptions": False,  # an error of the shard's input is final
        }
        if self.memory:
            options["memory"] = self.memory
        remote = ray.remote(fn).options(**options)
        queue = iter(enumerate(todo))
        pending: dict[Any, int] = {}

        def submit() -> None:
            for i, task in queue:
                pending[remote.remote(task)] = i
                if len(pending) >= self.workers:
                    return

        submit()
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    i = pending.pop(ref)
                    results[i] = self._result(ray, ref, i)
                    if on_done is not None:
                        on_done(i, results[i])
                submit()
        except BaseException:
            for ref in pending:
                ray.cancel(ref)
            raise
        return results

    def _result(self, ray: Any, ref: Any, index: int) -> Any:
        """The task's result; its own exception raised as it was; a lost worker as one line."""
        from ray import exceptions as rex

        try:
            return ray.get(ref)
        except rex.RayTaskError as e:
            cause = e.cause if isinstance(e.cause, BaseException) else None
            if cause is not None:
                raise cause from None
            raise ExecutorError(f"ray: task {index} failed: {str(e).splitlines()[-1]}") from None
        except (rex.WorkerCrashedError, rex.NodeDiedError, rex.ObjectLostError) as e:
            raise ExecutorError(
                f"ray: task {index} lost its worker {self.max_retries + 1} times; "
                f"giving up ({type(e).__name__})"
            ) from None
