"""Extract shards: the unit of parallel work and of resume of ``extract``.

A shard is one archive file, a range of the records of one (when there are more workers than
archives), or a run of consecutive HTML files. The stage runner (:mod:`thresher.execute.stage`)
runs each on its own (in this process, a local pool or a Ray task) and commits all shards'
parts in input order, so the documents and their order are the same whatever ran the shards.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from thresher.document import Document
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import is_remote
from thresher.extract.run import extract_documents, iter_item_pages
from thresher.stats import StepStats

#: records of one archive below which it is not cut into ranges
MIN_RANGE_PAGES = 500
#: HTML files per shard at most
HTML_PER_SHARD = 256


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
    """Documents of one shard: its pages through the extract steps (:func:`extract_steps`:
    triage, extraction or the recipe, the model when asked), their counts folded into the
    stage's ``stats``."""
    yield from extract_documents(iter_shard_pages(shard, config, stats), config, stats)
