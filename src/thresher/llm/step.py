"""The extract stage's LLM step (:class:`AskLLM`): each document's title, headings
(``metadata.headings``, kept by extraction for the model and removed here) and main content
(Markdown when there is one) asked of the model in batches, its record written to
``metadata.llm`` (or, with ``only``, the record alone as the document). Counts go to the
step's stats under ``llm:``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, ClassVar

from thresher.document import Document
from thresher.llm.config import LLMConfig
from thresher.llm.extractor import Extractor, LLMResult, page_head
from thresher.pipeline.base import Step, fold_stats
from thresher.stats import StepStats


class AskLLM(Step[Document, Document]):
    """Each document with its record from the model, asked in batches of ``config.batch``, in
    order. A page whose record failed keeps its document with ``metadata.llm = null`` and
    ``metadata.llm_error``; with ``only`` it is dropped as ``llm_failed``.
    ``keep_markdown=False`` removes the Markdown asked for only for the model."""

    name: ClassVar[str] = "llm"

    def __init__(self, config: LLMConfig, *, keep_markdown: bool = True) -> None:
        super().__init__()
        self.config = config
        self.keep_markdown = keep_markdown

    def run(self, items: Iterable[Document]) -> Iterator[Document]:
        config, stats = self.config, self.stats
        extractor = Extractor(config)
        it = iter(items)
        while batch := list(islice(it, config.batch)):
            heads = [page_head(d.title, d.metadata.pop("headings", None) or []) for d in batch]
            results = extractor.run([d.markdown or d.text for d in batch], heads)
            for doc, result in zip(batch, results, strict=True):
                stats.seen += 1
                stats.counters.update(result.counts)
                _count_cost(stats, config, result)
                out = _with_record(doc, result, config)
                if isinstance(out, str):
                    self.drop(doc, out)
                    continue
                stats.kept += 1
                if not self.keep_markdown:
                    out.markdown = None
                yield out


def llm_documents(
    docs: Iterable[Document], config: LLMConfig, stats: StepStats, *, keep_markdown: bool = True
) -> Iterator[Document]:
    """``docs`` through :class:`AskLLM`, its counts folded into the stage's ``stats`` (which
    counted the pages already: a dropped record takes one from ``kept``)."""
    step = AskLLM(config, keep_markdown=keep_markdown)
    try:
        yield from step.run(docs)
    finally:
        fold_stats(stats, [step], first=False)


def _with_record(doc: Document, result: LLMResult, config: LLMConfig) -> Document | str:
    """The document with its record (or the record alone, with ``only``), or a drop reason."""
    if not config.only:
        doc.metadata["llm"] = result.record
        if not result.ok:
            doc.metadata["llm_error"] = f"{result.error}: {result.detail}"
        return doc
    if not result.ok:
        return "llm_failed"
    return record_document(doc, result.record)


def record_document(doc: Document, record: Any) -> Document:
    """The record alone as a document: ``text`` is the record as JSON, ``metadata.llm`` the
    record itself; id, url, source, capture time and title stay the page's."""
    return Document(
        text=json.dumps(record, ensure_ascii=False),
        id=doc.id,
        url=doc.url,
        source=doc.source,
        fetched_at=doc.fetched_at,
        title=doc.title,
        metadata={"llm": record},
    )


def _count_cost(stats: StepStats, config: LLMConfig, result: LLMResult) -> None:
    cost = config.cost(result.counts["llm:tokens:prompt"], result.counts["llm:tokens:completion"])
    if cost:
        stats.count("llm:cost_micro", round(cost * 1e6))


def cost_line(stats: StepStats, config: LLMConfig | None) -> str:
    """One line of what the model was asked and what it cost (empty without LLM counts)."""
    c = stats.counters
    if not c.get("llm:pages"):
        return ""
    parts = [
        f"{c.get('llm:records', 0)} records from {c['llm:pages']} pages",
        f"{c.get('llm:failed', 0)} failed",
        f"{c.get('llm:requests', 0)} requests",
        f"{c.get('llm:cache_hits', 0)} cached chunks",
        f"tokens {c.get('llm:tokens:prompt', 0)} in / {c.get('llm:tokens:completion', 0)} out",
    ]
    failures = sorted((k.split(":", 2)[2], v) for k, v in c.items() if k.startswith("llm:failed:"))
    if failures:
        parts[1] += " (" + ", ".join(f"{k} {v}" for k, v in failures) + ")"
    if config is not None and config.cost(0, 0) is not None:
        parts.append(f"estimated cost {c.get('llm:cost_micro', 0) / 1e6:.4f}")
    return "llm: " + "; ".join(parts)
