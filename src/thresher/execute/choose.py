"""Pick the executor that settings name."""

from __future__ import annotations

from thresher.execute.base import Executor
from thresher.execute.config import ExecutorConfig
from thresher.execute.local import LocalExecutor


def make_executor(settings: ExecutorConfig) -> Executor:
    """A :class:`LocalExecutor` or a :class:`~thresher.execute.ray.RayExecutor` (not yet
    connected: entering it connects)."""
    if settings.kind == "ray":
        from thresher.execute.ray import RayExecutor

        return RayExecutor(
            settings.workers,
            address=settings.address,
            num_cpus=settings.num_cpus_per_task,
            memory=settings.memory_per_task,
            max_retries=settings.max_retries,
        )
    return LocalExecutor(settings.workers)


def executor_for(kind: str, workers: int) -> Executor:
    """The executor of ``kind`` (``local`` or ``ray``) with ``workers`` workers."""
    return make_executor(ExecutorConfig(kind=kind, workers=workers))  # type: ignore[arg-type]
