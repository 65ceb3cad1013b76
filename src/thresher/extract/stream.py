"""``extract(inputs, config)``: documents from a list of inputs, in input order.

In this process (:mod:`thresher.extract.run`), or with ``workers`` above 1 as shards
(:mod:`thresher.extract.shards`: archives, record ranges, runs of HTML files) on a local
pool, their documents staged in a temporary folder and read back in order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from thresher.document import Document
from thresher.errors import IncompleteRunError
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import expand_inputs
from thresher.extract.run import extract_pages, iter_pages, unfinished_items
from thresher.stats import StepStats


def extract(
    inputs: list[str], config: ExtractConfig | None = None, *, stats: StepStats | None = None
) -> Iterator[Document]:
    """Documents from WARC/WET/ARC and HTML inputs, in input order; counts land in ``stats``.

    With ``config.workers`` above 1, shards run on a local pool and their documents are
    staged in a temporary folder, then yielded in order once all shards are done."""
    config = config or ExtractConfig()
    stats = stats if stats is not None else StepStats("extract")
    if config.workers <= 1:
        yield from extract_pages(iter_pages(inputs, config, stats), config, stats)
        return
    yield from _extract_on_pool(expand_inputs(inputs, config), config, stats)


def _extract_on_pool(
    items: Sequence[tuple[str, str]], config: ExtractConfig, stats: StepStats
) -> Iterator[Document]:
    """The items as shards on a local pool of ``config.workers`` processes."""
    from thresher.execute.local import LocalExecutor  # loaded only when a pool runs
    from thresher.extract.shards import ShardTask, plan_shards, run_shard
    from thresher.store.readers import read_documents

    shards = plan_shards(items, config.workers, config)
    with tempfile.TemporaryDirectory(prefix="thresher-extract-") as tmp:
        root = Path(tmp)
        tasks = [
            ShardTask(s, config, str(root / f"{i:05d}"), str(root / f"{i:05d}.json"), ("jsonl",))
            for i, s in enumerate(shards)
        ]
        with LocalExecutor(config.workers) as pool:
            infos = pool.map(run_shard, tasks)
        if left := unfinished_items(infos):
            raise IncompleteRunError(left + ": rerun to fetch them")
        for info, task in zip(infos, tasks, strict=True):
            stats.merge(StepStats.from_dict(info["stats"]))
            paths = [Path(task.stage) / p["path"] for p in info["parts"]]
            yield from read_documents(paths)
