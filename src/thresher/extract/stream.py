"""``extract(inputs, config)``: documents from a list of inputs, in input order.

In this process (:mod:`thresher.extract.run`), or with ``workers`` above 1 as the extract
job's shards (:class:`~thresher.extract.job.ExtractJob`: archives, record ranges, runs of HTML
files) on a local pool, their documents staged in a temporary folder and read back in order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from thresher.document import Document
from thresher.errors import IncompleteRunError
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import expand_inputs
from thresher.extract.run import extract_documents, iter_pages
from thresher.stats import StepStats


def extract(
    inputs: list[str], config: ExtractConfig | None = None, *, stats: StepStats | None = None
) -> Iterator[Document]:
    """Documents from WARC/WET/ARC and HTML inputs, in input order; counts land in ``stats``.

    With ``config.workers`` above 1, shards run on a local pool and their documents are
    staged in a temporary folder, then yielded in order once all shards are done."""
    config = config or ExtractConfig()
    stats = stats if stats is not None else StepStats("extract")
    if config.workers <= 1:  # the extract steps, the model's too when asked
        yield from extract_documents(iter_pages(inputs, config, stats), config, stats)
        return
    yield from _extract_on_pool(inputs, expand_inputs(inputs, config), config, stats)


def _extract_on_pool(
    inputs: list[str], items: Sequence[tuple[str, str]], config: ExtractConfig, stats: StepStats
) -> Iterator[Document]:
    """The items as the extract job's shards on a local pool of ``config.workers``
    processes, read back in order (no output folder: nothing to resume)."""
    from thresher.execute.job import ShardTask, run_task  # loaded only when a pool runs
    from thresher.execute.local import LocalExecutor
    from thresher.execute.stage import unfinished_items
    from thresher.extract.job import ExtractJob
    from thresher.store.readers import read_documents

    job = ExtractJob(inputs, items, config, ("jsonl",))
    shards = job.plan(config.workers)
    with tempfile.TemporaryDirectory(prefix="thresher-extract-") as tmp:
        root = Path(tmp)
        tasks = [
            ShardTask(job, i, s, str(root / f"{i:05d}"), str(root / f"{i:05d}.json"))
            for i, s in enumerate(shards)
        ]
        with LocalExecutor(config.workers) as pool:
            infos = pool.map(run_task, tasks)
        if left := unfinished_items(infos):
            raise IncompleteRunError(left + ": rerun to fetch them")
        for info, task in zip(infos, tasks, strict=True):
            for st in info["stats"]:
                stats.merge(StepStats.from_dict(st))
            paths = [Path(task.stage) / p["path"] for p in info["parts"]]
            yield from read_documents(paths)
