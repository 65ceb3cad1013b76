"""Executors: where the shards of a stage run (this process, a local pool, a Ray cluster)."""

from thresher.execute.base import Executor
from thresher.execute.choose import executor_for, make_executor
from thresher.execute.config import ExecutorConfig, resolve_executor
from thresher.execute.local import LocalExecutor

__all__ = [
    "Executor",
    "ExecutorConfig",
    "LocalExecutor",
    "executor_for",
    "make_executor",
    "resolve_executor",
]
