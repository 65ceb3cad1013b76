"""Extraction as a job of the stage runner: inputs cut into shards (archives, record ranges,
runs of HTML files: :mod:`thresher.extract.shards`), each shard's pages through triage,
extraction, recipes and the LLM into a flat documents folder."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from thresher.document import Document
from thresher.execute.job import Job, ShardSpec
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import is_remote
from thresher.extract.shards import ExtractShard, plan_shards, shard_documents
from thresher.stats import StepStats
from thresher.store.sniff import sniff, wrong_kind_hint


class ExtractJob(Job):
    """Extract ``work`` (the expanded inputs: (path or item, kind)) into documents."""

    kind = "documents"

    def __init__(
        self,
        inputs: Sequence[str],
        work: Sequence[tuple[str, str]],
        config: ExtractConfig,
        formats: Sequence[str] = ("jsonl.gz",),
    ) -> None:
        super().__init__(inputs)
        self.work = [tuple(w) for w in work]
        self.extract_config = config
        self.formats = tuple(formats)

    def settings(self) -> str:
        return (
            self.extract_config.model_dump_json(exclude={"workers"}) + "|" + ",".join(self.formats)
        )

    def files(self) -> list[str]:
        return [p for p, k in self.work if k in ("html", "archive")]

    def named(self) -> list[str]:
        return [f"{k}:{p}" for p, k in self.work if k not in ("html", "archive")]

    def plan(self, workers: int) -> list[ShardSpec]:
        shards = plan_shards(self.work, workers, self.extract_config)  # type: ignore[arg-type]
        return [s.to_dict() for s in shards]

    def stats(self) -> list[StepStats]:
        return [StepStats("extract")]

    def items(self, shard: ShardSpec, stats: list[StepStats]) -> Iterable[Document]:
        return shard_documents(ExtractShard.from_dict(shard), self.extract_config, stats[0])

    def shard_scope(self, work: Path | None) -> AbstractContextManager[Any]:
        if work is None:
            return nullcontext()
        from thresher.sources.registry import working_in  # a source's cache beside the stages

        return working_in(work / "sources")

    def config(self) -> Any:
        return self.extract_config

    def nothing(self, stats: list[StepStats]) -> str:
        merged = stats[0] if stats else StepStats("extract")
        return why_nothing(self.inputs, self.work, merged)  # type: ignore[arg-type]


def why_nothing(inputs: list[str], items: Sequence[tuple[str, str]], stats: StepStats) -> str:
    """One line: which inputs gave nothing and why, with the command to run instead."""
    if not items:
        return f"{', '.join(inputs)}: no WARC, WET, ARC or HTML file found"
    files = [p for p, kind in items if kind in ("html", "archive")]
    for f in files:
        if not is_remote(f):
            hint = wrong_kind_hint(f, "archive")
            if hint is None and sniff(f) == "empty":
                hint = f"{f}: is empty"
            if hint is not None:
                return f"no document extracted: {hint}"
    records = sum(v for k, v in stats.counters.items() if k.startswith("records:"))
    parts = [f"{len(items)} input item(s)", f"{records} record(s)"]
    if stats.counters.get("errors"):
        parts.append(f"{stats.counters['errors']} damaged file(s)")
    dropped = ", ".join(f"{k} {v}" for k, v in stats.dropped.most_common(4))
    if dropped:
        parts.append(f"dropped: {dropped}")
    return f"{', '.join(inputs)}: no document extracted ({'; '.join(parts)})"
