"""Extract shards: the unit of parallel work and of resume of ``extract``.

A shard is one archive file, a range of the records of one (when there are more workers than
archives), or a run of consecutive HTML files. Each shard is extracted on its own (in this
process, a local pool or a Ray task), writes its parts into its own staging folder and leaves a
marker; the driver commits all shards' parts in input order, so the documents and their order
are the same whatever ran the shards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thresher.document import Document
from thresher.errors import Unfinished
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import is_remote
from thresher.extract.run import extract_pages, iter_item_pages
from thresher.stats import StepStats
from thresher.store.markers import fresh_stage, write_marker
from thresher.store.writers import CorpusWriter

#: records of one archive below which it is not cut into ranges
MIN_RANGE_PAGES = 500
#: HTML files per shard at most
HTML_PER_SHARD = 256

#: set while shards run in this process: called with each document written (progress)
progress_hook: Callable[[Document], None] | None = None


@dataclass(frozen=True)
class ExtractShard:
    """Input files ``items`` (path, kind); for one archive, its pages ``start`` to ``stop``
    (``None``: the end)."""

    items: tuple[tuple[str, str], ...]
    start: int = 0
    stop: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"items": [list(i) for i in self.items], "start": self.start, "stop": self.stop}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractShard:
        items = tuple((str(p), str(k)) for p, k in data["items"])
        return cls(items, int(data.get("start", 0)), data.get("stop"))


def plan_shards(
    items: Sequence[tuple[str, str]], workers: int, config: ExtractConfig
) -> list[ExtractShard]:
    """Shards in input order: one per archive, HTML files in runs; with more workers than
    shards, local archives are cut into ranges of at least ``MIN_RANGE_PAGES`` pages."""
    n_html = sum(1 for _, kind in items if kind == "html")
    group = max(16, min(HTML_PER_SHARD, math.ceil(n_html / max(workers, 1))))
    shards: list[ExtractShard] = []
    html: list[tuple[str, str]] = []

    def flush() -> None:
        if html:
            shards.append(ExtractShard(tuple(html)))
            html.clear()

    for item in items:
        if item[1] == "html":
            html.append(item)
            if len(html) >= group:
                flush()
        else:
            flush()
            shards.append(ExtractShard((item,)))
    flush()
    if workers <= len(shards) or not shards:
        return shards
    per_file = math.ceil(workers / len(shards))
    cut: list[ExtractShard] = []
    for shard in shards:
        path, kind = shard.items[0]
        if kind != "archive" or is_remote(path):
            cut.append(shard)
            continue
        total = sum(1 for _ in iter_shard_pages(shard, config, StepStats("count")))
        k = max(1, min(per_file, total // MIN_RANGE_PAGES))
        bounds = [total * i // k for i in range(k + 1)]
        cut.extend(
            ExtractShard(shard.items, bounds[i], None if i == k - 1 else bounds[i + 1])
            for i in range(k)
        )
    return cut


def iter_shard_pages(shard: ExtractShard, config: ExtractConfig, stats: StepStats) -> Iterator[Any]:
    """The shard's pages. A range reads its archive from the start; the counts of the file
    itself (records by type, damage, oversized records) go to the file's last range only."""
    if shard.start == 0 and shard.stop is None:
        yield from iter_item_pages(shard.items, config, stats)
        return
    file_stats = stats if shard.stop is None else StepStats("range")
    for n, page in enumerate(iter_item_pages(shard.items, config, file_stats)):
        if shard.stop is not None and n >= shard.stop:
            return
        if n >= shard.start:
            yield page


def shard_documents(
    shard: ExtractShard, config: ExtractConfig, stats: StepStats
) -> Iterator[Document]:
    """Documents of one shard (pages through triage and extraction, or a recipe's records);
    with ``config.llm``, each with its record from the model (:mod:`thresher.llm.step`)."""
    if config.llm is None:
        yield from extract_pages(iter_shard_pages(shard, config, stats), config, stats)
        return
    from thresher.llm.step import llm_documents

    asked = config if config.markdown else config.model_copy(update={"markdown": True})
    docs = extract_pages(iter_shard_pages(shard, asked, stats), asked, stats)
    yield from llm_documents(docs, config.llm, stats, keep_markdown=config.markdown)


@dataclass(frozen=True)
class ShardTask:
    """One shard to extract into ``stage``, leaving ``marker`` when done. Both are folders
    and files, or both object-store URLs (the task then writes in a private local scratch
    folder and uploads: :mod:`thresher.store.remote_shards`)."""

    shard: ExtractShard
    config: ExtractConfig
    stage: str
    marker: str
    formats: tuple[str, ...]


def run_shard(task: ShardTask) -> dict[str, Any]:
    """Extract one shard into its staging folder; the marker (its parts, documents and stats)
    is written last, so a shard with a marker is complete. Runs in a worker."""
    if not is_remote(task.marker):
        from thresher.sources.registry import working_in  # a source's cache beside the stages

        with working_in(Path(task.stage).parent / "sources"):
            return _extract_shard(task, fresh_stage(Path(task.stage)), Path(task.marker))
    from thresher.store.remote_shards import remove_scratch, scratch_folder

    scratch = scratch_folder()  # this task's own disk: nothing the driver reads
    try:
        return _extract_shard(task, scratch, None)
    finally:
        remove_scratch(scratch)


def _extract_shard(task: ShardTask, stage: Path, marker: Path | None) -> dict[str, Any]:
    """Write the shard's parts into ``stage``; then its marker (``None``: upload the parts
    and the marker to the task's object-store stage). An item left
    :class:`~thresher.errors.Unfinished` (network) gives no marker and an ``unfinished`` key."""
    stats = StepStats("extract")
    writer = CorpusWriter(stage, formats=task.formats, partition=())
    hook = progress_hook
    try:
        for doc in shard_documents(task.shard, task.config, stats):
            writer.write(doc)
            if hook is not None:
                hook(doc)
    except Unfinished as e:  # no marker: the rerun does this shard again
        writer.abort()
        return {"documents": 0, "parts": [], "stats": stats.to_dict(), "unfinished": str(e)}
    except BaseException:
        writer.abort()
        raise
    parts = writer.close()
    info = {
        "documents": writer.documents,
        "parts": [p.to_dict() for p in parts],
        "stats": stats.to_dict(),
    }
    if marker is not None:
        write_marker(marker, info)
    else:
        from thresher.store.remote_shards import upload_shard

        upload_shard(stage, parts, task.stage, task.marker, info)
    return info
