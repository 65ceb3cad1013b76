"""Decontamination: documents that share a word n-gram with an evaluation benchmark.

:class:`Decontaminate` checks the ``text`` and ``markdown`` of each document against the
benchmark index (:mod:`thresher.refine.benchmarks`; 13-grams of normalised words by
default, as GPT-3 and Dolma do) and drops a document that shares one, or, in ``redact``
mode, replaces every shared span by a placeholder and keeps it. Documents are checked a
batch at a time: their n-gram hashes are computed and looked up with numpy in one go.
``stats.json`` counts, per benchmark, the documents that shared an n-gram with it
(``hits: NAME``); the dataset card and the report list the benchmarks and those counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import numpy as np

from thresher.document import Document
from thresher.pipeline.base import Step
from thresher.refine.benchmarks import BenchmarkIndex, load_index
from thresher.refine.config import DecontaminateConfig
from thresher.refine.ngrams import batch_ngram_hashes, ngram_hashes, word_hashes, word_spans, words

#: documents checked at once (numpy works on all their n-grams together)
BATCH = 256
#: document fields checked (markdown only when it is not the text itself)
FIELDS = ("text", "markdown")
#: the counter of documents sharing an n-gram with a benchmark: ``hits: NAME``
HITS = "hits: "


class Decontaminate(Step):
    """Drop (or redact) documents sharing an n-gram with any benchmark item."""

    name: ClassVar[str] = "decontaminate"

    def __init__(self, config: DecontaminateConfig) -> None:
        super().__init__()
        self.config = config
        self.index: BenchmarkIndex = load_index(config)  # once per process, then cached
        self.reason = f"benchmark {config.ngram}-gram"
        for name in self.index.names:  # a benchmark with no hit is listed too, with 0
            self.stats.counters[HITS + name] += 0

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= BATCH:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def process(self, doc: Document) -> Document | str:
        """One document (the batch path, for callers that go one at a time)."""
        kept = list(self._batch([doc], count=False))
        return kept[0] if kept else self.reason

    def _batch(self, docs: list[Document], count: bool = True) -> Iterator[Document]:
        texts: list[str] = []
        where: list[tuple[int, str]] = []
        for i, doc in enumerate(docs):
            for name in FIELDS:
                value = getattr(doc, name)
                if isinstance(value, str) and value and (name == "text" or value != doc.text):
                    texts.append(value)
                    where.append((i, name))
        hashes, owner = batch_ngram_hashes(word_hashes([words(t) for t in texts]), self.index.n)
        found, bits = self.index.lookup(hashes)
        hit_bits = np.zeros(len(texts), dtype=np.uint64)
        np.bitwise_or.at(hit_bits, owner[found], bits[found])
        per_doc: dict[int, int] = {}
        hit_fields: dict[int, list[str]] = {}
        for k in np.flatnonzero(hit_bits):
            i, name = where[k]
            per_doc[i] = per_doc.get(i, 0) | int(hit_bits[k])
            hit_fields.setdefault(i, []).append(name)
        stats = self.stats
        for i, doc in enumerate(docs):
            if count:
                stats.seen += 1
            mask = per_doc.get(i)
            if mask is not None:
                names = [n for b, n in enumerate(self.index.names) if mask >> b & 1]
                for name in names:
                    stats.counters[HITS + name] += 1
                if self.config.mode == "drop":
                    if count:
                        self.drop(doc, self.reason)
                    continue
                self._redact(doc, hit_fields[i], names)
            if count:
                stats.kept += 1
            yield doc

    def _redact(self, doc: Document, fields: list[str], names: list[str]) -> None:
        """Replace every span of ``doc`` covered by a shared n-gram with the placeholder."""
        spans = redacted = 0
        for name in fields:
            text, n_spans, n_words = redact(getattr(doc, name), self.index, self.config.placeholder)
            setattr(doc, name, text)
            spans += n_spans
            redacted += n_words
        self.stats.counters["documents redacted"] += 1
        self.stats.counters["spans redacted"] += spans
        self.stats.counters["words redacted"] += redacted
        doc.metadata["benchmark_overlap"] = names


def redact(text: str, index: BenchmarkIndex, placeholder: str) -> tuple[str, int, int]:
    """``text`` (in NFKC) with each run of words covered by a benchmark n-gram replaced by
    ``placeholder``; also the number of runs and of words replaced."""
    normal, spans = word_spans(text)
    ws = [normal[a:b] for a, b in spans]
    ws = " ".join(ws).casefold().split(" ") if ws else []
    n = index.n
    found, _ = index.lookup(ngram_hashes(word_hashes([ws])[0], n))
    starts = np.flatnonzero(found)
    if not len(starts):
        return text, 0, 0
    cover = np.zeros(len(ws) + 1, dtype=np.int64)
    np.add.at(cover, starts, 1)
    np.add.at(cover, starts + n, -1)
    covered = np.cumsum(cover[:-1]) > 0
    edges = np.flatnonzero(np.diff(np.concatenate(([0], covered.astype(np.int8), [0]))))
    out: list[str] = []
    at = 0
    for first, end in zip(edges[::2], edges[1::2], strict=True):
        start_char, end_char = spans[first][0], spans[end - 1][1]
        out += [normal[at:start_char], placeholder]
        at = end_char
    out.append(normal[at:])
    return "".join(out), len(edges) // 2, int(covered.sum())


def summary(config: dict[str, Any] | None, steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What a finished run checked, from its manifest's config and its stats: the settings
    and, per benchmark, its SHA-256 and the documents that shared an n-gram with it; None
    when the run did not decontaminate."""
    section = (config or {}).get("decontaminate")
    if not isinstance(section, dict) or not section.get("benchmarks"):
        return None
    step = next((s for s in steps if s.get("name") == Decontaminate.name), {})
    counters = step.get("counters", {})
    digests = section.get("sha256") or {}
    rows = [
        [name, counters.get(HITS + name, 0), str(digests.get(name, "?"))]
        for name in section["benchmarks"]
    ]
    mode = section.get("mode", "drop")
    return {
        "ngram": section.get("ngram", 13),
        "mode": mode,
        "seen": step.get("seen", 0),
        "documents": sum(step.get("dropped", {}).values())
        if mode == "drop"
        else counters.get("documents redacted", 0),
        "spans": counters.get("spans redacted", 0),
        "rows": rows,
    }


def hit_lines(index: BenchmarkIndex, stats: list[Any], mode: str) -> list[str]:
    """One line per benchmark for the command's summary: what it held, the documents that
    shared an n-gram with it."""
    step = next((s for s in stats if s.name == Decontaminate.name), None)
    counters = step.counters if step is not None else {}
    done = "dropped" if mode == "drop" else "redacted"
    lines = []
    for b in index.benchmarks:
        hits = counters.get(HITS + b.name, 0)
        short = f"; {_count(b.short, 'text')} under {index.n} words not checked" if b.short else ""
        lines.append(
            f"decontaminate: {b.name}: {_count(hits, 'document')} {done} "
            f"({_count(b.items, 'item')}, {b.ngrams:,} {index.n}-grams{short})"
        )
    return lines


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"
