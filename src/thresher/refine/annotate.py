"""Scores from a model for a sample of documents (the FineWeb-Edu recipe's first step): a
sample stratified by language, each document asked of an OpenAI-compatible model with a
prompt (:mod:`thresher.refine.annotate_prompts`), the answer parsed to
``metadata.annotation = {score, rationale, prompt, model}``.

The sample is the same for the same inputs and seed whatever their order or sharding: every
document gets a key (a hash of the seed, its id and its text) and each language keeps its
documents with the smallest keys. Languages get shares of the sample in proportion to their
documents, at least one each when the sample is large enough.

Requests go through thresher's LLM client (:mod:`thresher.llm`: limits, retries, response
cache, token counts); an answer with no score in range is asked again ``reasks`` times, then
counted as ``unparseable`` and the document is left out.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from thresher.document import Document
from thresher.llm.answers import BadAnswer, find_json
from thresher.llm.asking import Asker, Truncated
from thresher.llm.cache import ResponseCache, cache_key
from thresher.llm.client import ChatClient, RequestTimeout
from thresher.llm.config import LLMConfig
from thresher.refine.annotate_prompts import Prompt
from thresher.stats import StepStats

ANSWER_RULES = (
    'Answer with one JSON object and nothing else: its key "rationale" holds your '
    'justification, its key "score" the score as a number. The JSON Schema of the answer:'
)
#: characters of a document's text sent to the model at most (the rest is cut)
MAX_CHARS = 8000
#: "Educational score: 3" and the like, when the answer holds no usable JSON
_SCORE_LINE = re.compile(r"score\s*(?:is|=|:)?\s*\**\s*(-?\d+(?:\.\d+)?)", re.I)


# -- the sample ------------------------------------------------------------------------------


def sample_key(doc: Document, seed: int) -> int:
    """A document's place in the sample order: 64 bits of a hash of the seed, id and text."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{seed}\0{doc.id or ''}\0".encode())
    h.update(doc.text.encode("utf-8", "surrogatepass"))
    return int.from_bytes(h.digest(), "big")


def quotas(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """How many of ``n`` each language gets: shares in proportion to its documents (largest
    remainders), at least one per language while ``n`` allows, never more than it has."""
    total = sum(counts.values())
    if total <= n:
        return dict(counts)
    langs = sorted(counts, key=lambda k: (-counts[k], k))
    out = {k: 0 for k in langs}
    left = n
    for k in langs[:n]:  # one each first, the largest languages first
        out[k] = 1
        left -= 1
    while left > 0:
        room = {k: counts[k] - out[k] for k in langs if counts[k] > out[k]}
        pool = sum(counts[k] for k in room)
        exact = {k: left * counts[k] / pool for k in room}
        given = {k: min(room[k], int(exact[k])) for k in room}
        if sum(given.values()) == 0:  # the remainders: largest first
            for k in sorted(room, key=lambda k: (-(exact[k] - int(exact[k])), k))[:left]:
                given[k] = 1
        for k, g in given.items():
            out[k] += g
            left -= g
    return {k: v for k, v in out.items() if v}


class Sampler:
    """Keeps, per language, the documents with the smallest keys, up to ``n`` of each;
    :meth:`chosen` applies the quotas. Feed it every document of the input."""

    def __init__(self, n: int, seed: int = 0) -> None:
        self.n = n
        self.seed = seed
        self.counts: Counter[str] = Counter()
        self._heaps: dict[str, list[tuple[int, int, Document]]] = {}
        self._tick = 0  # ties broken by arrival, never by comparing documents

    def add(self, doc: Document) -> None:
        lang = doc.language or "unknown"
        self.counts[lang] += 1
        key = sample_key(doc, self.seed)
        heap = self._heaps.setdefault(lang, [])
        self._tick += 1
        item = (-key, -self._tick, doc)  # a max-heap of the smallest keys
        if len(heap) < self.n:
            heapq.heappush(heap, item)
        elif -key > heap[0][0]:
            heapq.heapreplace(heap, item)

    def chosen(self) -> list[tuple[int, Document]]:
        """(key, document) of the sample, in key order (languages interleaved)."""
        share = quotas(self.counts, self.n)
        out: list[tuple[int, Document]] = []
        for lang, heap in self._heaps.items():
            smallest = sorted(((-k, d) for k, _, d in heap), key=lambda x: x[0])
            out.extend(smallest[: share.get(lang, 0)])
        return sorted(out, key=lambda x: x[0])


def sample_documents(docs: Iterable[Document], n: int, seed: int = 0) -> list[Document]:
    """``n`` documents of ``docs`` stratified by language (see the module docstring)."""
    sampler = Sampler(n, seed)
    for doc in docs:
        sampler.add(doc)
    return [d for _, d in sampler.chosen()]


# -- the answers -----------------------------------------------------------------------------


def parse_score(text: str, prompt: Prompt) -> tuple[float, str]:
    """(score, rationale) of an answer: a JSON object with ``score`` (and ``rationale``), else
    a ``score: N`` line (the last one, as FineWeb-Edu's answers end); BadAnswer when neither
    gives a number in the prompt's range."""
    score: Any = None
    rationale = ""
    try:
        value = find_json(text)
    except BadAnswer:
        value = None
    if isinstance(value, dict) and "score" in value:
        score = value["score"]
        rationale = str(value.get("rationale") or "")
    else:
        found = list(_SCORE_LINE.finditer(text))
        if found:
            last = found[-1]
            score = last.group(1)
            line_start = text.rfind("\n", 0, last.start())
            rationale = text[: line_start if line_start > 0 else last.start()]
    if isinstance(score, str):
        try:
            score = float(score.strip())
        except ValueError:
            raise BadAnswer(f"the score {score[:40]!r} is not a number") from None
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise BadAnswer('the answer holds no "score" number')
    if not prompt.low <= score <= prompt.high:
        raise BadAnswer(f"the score {score:g} is outside {prompt.low:g}..{prompt.high:g}")
    score = float(score)
    return (int(score) if score.is_integer() else score), rationale.strip()[:2000]


@dataclass
class Annotation:
    """One document's answer: ``score`` and ``rationale``, or ``error`` (unparseable, timeout,
    truncated) with ``detail``; ``counts`` holds the requests and tokens it took."""

    score: float | None = None
    rationale: str = ""
    error: str | None = None
    detail: str = ""
    counts: Counter[str] = field(default_factory=Counter)


class Annotator:
    """Documents to scores with one endpoint, prompt and response cache."""

    def __init__(
        self,
        config: LLMConfig,
        prompt: Prompt,
        *,
        max_chars: int = MAX_CHARS,
        client: ChatClient | None = None,
    ) -> None:
        self.config = config
        self.prompt = prompt
        self.max_chars = max_chars
        self.client = client or ChatClient.from_config(config)
        self.asker = Asker(self.client, config)
        self.cache = ResponseCache(config.cache_dir()) if config.use_cache else None
        self.schema = prompt.schema()
        self.system = f"{prompt.text}\n\n{ANSWER_RULES}\n{json.dumps(self.schema)}"

    def run(self, texts: list[str]) -> list[Annotation]:
        """Scores of many texts from synchronous code, in input order (requests at once up
        to the client's limits)."""
        return asyncio.run(self._many(texts))

    async def _many(self, texts: list[str]) -> list[Annotation]:
        async with self.client:
            return list(await asyncio.gather(*(self.annotate(t) for t in texts)))

    async def annotate(self, text: str) -> Annotation:
        """One text's score (inside ``async with annotator.client:``)."""
        out = Annotation()
        page = f"Extract:\n\n{text[: self.max_chars]}"
        key = cache_key(self.config.model, self.system, self.schema, page)
        if self.cache is not None:
            hit = self.cache.get(key)
            record = hit.get("record") if hit else None
            if isinstance(record, dict) and "score" in record:
                out.counts["llm:cache_hits"] += 1
                out.score, out.rationale = record["score"], str(record.get("rationale", ""))
                return out
        messages = [
            {"role": "system", "content": self.system},
            {"role": "user", "content": page},
        ]
        try:
            out.score, out.rationale = await self.asker.ask_until_valid(
                messages,
                self.schema,
                lambda answer: parse_score(answer, self.prompt),
                self.config.reasks,
                out.counts,
            )
        except BadAnswer as e:
            out.error, out.detail = "unparseable", str(e)
        except RequestTimeout as e:
            out.error, out.detail = "timeout", str(e)
        except Truncated as e:
            out.error, out.detail = "truncated", str(e)
        if out.error is None and self.cache is not None:
            self.cache.put(key, {"record": {"score": out.score, "rationale": out.rationale}})
        return out


def annotate_documents(
    docs: Iterable[Document],
    config: LLMConfig,
    prompt: Prompt,
    stats: StepStats,
    *,
    max_chars: int = MAX_CHARS,
    batch: int | None = None,
) -> Iterator[Document]:
    """``docs`` with ``metadata.annotation``, in order; a document whose answer could not be
    used is left out and counted (``dropped``: unparseable, timeout, truncated). Requests,
    tokens and the estimated cost go to ``stats.counters`` under ``llm:``."""
    annotator = Annotator(config, prompt, max_chars=max_chars)
    it = iter(docs)
    while group := list(islice(it, batch or config.batch)):
        results = annotator.run([d.text for d in group])
        for doc, result in zip(group, results, strict=True):
            stats.seen += 1
            stats.counters.update(result.counts)
            cost = config.cost(
                result.counts["llm:tokens:prompt"], result.counts["llm:tokens:completion"]
            )
            if cost:
                stats.count("llm:cost_micro", round(cost * 1e6))
            if result.error is not None:
                stats.drop(result.error)
                continue
            stats.kept += 1
            stats.count(f"score:{result.score:g}")
            doc.metadata["annotation"] = {
                "score": result.score,
                "rationale": result.rationale,
                "prompt": prompt.name,
                "model": config.model,
            }
            yield doc


def summary_line(stats: StepStats, config: LLMConfig | None = None) -> str:
    """What annotate did in one line: documents scored and skipped, the score spread,
    requests, tokens and, with prices, the estimated cost."""
    c = stats.counters
    skipped = sum(stats.dropped.values())
    why = ", ".join(f"{k} {v}" for k, v in sorted(stats.dropped.items()))
    scores = sorted(
        ((float(k.split(":", 1)[1]), v) for k, v in c.items() if k.startswith("score:")),
    )
    parts = [
        f"{stats.kept} of {stats.seen} documents scored",
        f"{skipped} skipped" + (f" ({why})" if why else ""),
        "scores " + " ".join(f"{s:g}:{n}" for s, n in scores) if scores else "no scores",
        f"{c.get('llm:requests', 0)} requests",
        f"{c.get('llm:cache_hits', 0)} cached",
        f"tokens {c.get('llm:tokens:prompt', 0)} in / {c.get('llm:tokens:completion', 0)} out",
    ]
    if config is not None and config.cost(0, 0) is not None:
        parts.append(f"estimated cost {c.get('llm:cost_micro', 0) / 1e6:.4f}")
    return "annotate: " + "; ".join(parts)
