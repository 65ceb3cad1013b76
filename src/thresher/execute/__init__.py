"""Executors: where the tasks of a stage run (this process, a local pool, later a Ray cluster)."""

from thresher.execute.local import LocalExecutor, executor_for

__all__ = ["LocalExecutor", "executor_for"]
