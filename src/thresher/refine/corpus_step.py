"""Steps that must see the whole corpus, or a sample of it, before they can decide.

:func:`thresher.refine.refine` drives them in rounds that parallelise over shards (input files):

* a :class:`CorpusStep` (paragraph dedup, corpus-wide MinHash) gets a *scan* pass — every shard
  is read, run through the steps before it, and handed to :meth:`CorpusStep.scan_shard`, which
  writes a compact summary to its work folder; then the merge: the independent tasks of
  :meth:`CorpusStep.merge_tasks` (run on the executor, like the scans), then one
  :meth:`CorpusStep.merge` in the driver; then in the final pass each worker calls
  :meth:`CorpusStep.bind_shard` before it sees that shard again.
* a :class:`Calibrated` step (perplexity buckets: 30th/60th percentile cutoffs per language)
  gets a sample of documents that went through the steps before it; what
  :meth:`Calibrated.calibrate` returns (JSON-able) is saved once and given to every worker
  through :meth:`Calibrated.load_calibration`.

Both are optional: used in a plain :class:`~thresher.pipeline.Pipeline` over one stream, a
CorpusStep treats that stream as its only shard, and a Calibrated step calibrates itself from
the first documents it sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from thresher.document import Document
from thresher.pipeline.base import Step


class MergeTask(Protocol):
    """One independent part of a merge (plain, picklable data): run anywhere, it writes its
    result to the step's work folder and returns a small summary."""

    def run(self) -> Any: ...


def run_merge_task(task: MergeTask) -> Any:
    """Run one merge task (the module-level function an executor maps)."""
    return task.run()


class CorpusStep(Step):
    """A step with a scan pass over every shard and a merge before the real pass."""

    def scan_shard(self, docs: Iterable[Document], work: Path, shard: int) -> None:
        """Pass 1: summarise shard ``shard`` (all its documents, in order) into ``work``."""
        raise NotImplementedError

    def merge_tasks(self, work: Path, shards: int) -> list[MergeTask]:
        """The parts of the merge that can run in parallel, before :meth:`merge` (none by
        default). Each must be safe to run again after a crash."""
        return []

    def merge(self, work: Path, shards: int) -> dict[str, Any]:
        """Combine the summaries of all shards (and what :meth:`merge_tasks` wrote); returns
        counters for the stats."""
        raise NotImplementedError

    def bind_shard(self, work: Path, shard: int) -> None:
        """Pass 2: prepare to process shard ``shard`` from its first document."""
        raise NotImplementedError


class Calibrated(Step):
    """A step whose parameters come from a sample of the corpus (e.g. percentile cutoffs)."""

    def calibrate(self, docs: Iterable[Document]) -> dict[str, Any]:
        """Compute parameters from sample documents; return them as a JSON-able mapping."""
        raise NotImplementedError

    def load_calibration(self, state: dict[str, Any]) -> None:
        """Use parameters computed by :meth:`calibrate` (possibly in another process)."""
        raise NotImplementedError
