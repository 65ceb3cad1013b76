"""The executor interface: what refine and extract need from whatever runs their shards.

An executor maps a function over independent tasks (shards) and hands each result back to the
caller *in the driver process* as soon as it is ready, so the caller can record progress and
markers there. :class:`~thresher.execute.local.LocalExecutor` runs tasks in this process or a
local pool; :class:`~thresher.execute.ray.RayExecutor` runs them as Ray tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable

from thresher.errors import ThresherError


class ExecutorError(ThresherError):
    """The executor itself failed (Ray unreachable, or a shard's worker lost too often)."""


@runtime_checkable
class Executor(Protocol):
    """Runs independent tasks somewhere; used as a context manager so its workers end.

    ``map(fn, tasks, on_done)`` returns the results in task order and calls
    ``on_done(index, result)`` in the calling process as each task finishes. The first
    exception a task raises (an error of its input) stops the map and is raised again in the
    caller, unchanged; tasks already finished keep what they wrote. ``fn`` and the tasks must
    be picklable (module-level functions, plain data). ``inline`` is true when tasks run in
    the calling process (so a task may report progress through in-process hooks).
    """

    kind: str
    workers: int

    def inline(self, tasks: int) -> bool:
        """True when a map of ``tasks`` tasks runs them in the calling process."""
        ...

    def map(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[Any],
        on_done: Callable[[int, Any], Any] | None = None,
    ) -> list[Any]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...
