"""Schema-driven extraction of one page's record: the page cut into chunks, each chunk asked
of the model (or read from the cache), every answer validated and asked again with the
validation error a bounded number of times, the chunks' records merged into one.

Python API (also used by ``thresher serve``)::

    from thresher.llm import LLMConfig, extract_record
    result = extract_record(markdown, "schema.json", LLMConfig(base_url=..., model=...))
    result.record   # the validated record, or None with result.error / result.detail

    async with ChatClient.from_config(settings) as client:     # in a server: one client
        result = await aextract_record(
            markdown, schema, settings, client=client, title=doc.title, headings=heads
        )

``title`` and ``headings`` (the page's ``[level, text]`` H1-H3, as extraction keeps them in
``metadata.headings`` with ``headings=True``) go before the main content (:func:`page_head`).

A long-lived :class:`Extractor` keeps one client (and its rate window) for many pages:
``await extractor.extract(text)`` inside ``async with extractor:``, or ``extractor.run(texts)``
from synchronous code.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thresher.errors import ConfigError
from thresher.llm.answers import BadAnswer, check_record, load_schema, parse_answer, relaxed
from thresher.llm.asking import Asker, Truncated
from thresher.llm.cache import ResponseCache, cache_key
from thresher.llm.chunks import merge_records, split_tokens
from thresher.llm.client import ChatClient, RequestTimeout
from thresher.llm.config import LLMConfig

ANSWER_RULES = (
    "Answer with one JSON value that validates against this JSON Schema and nothing else: "
    "no prose, no code fences."
)


@dataclass
class LLMResult:
    """What one page gave: ``record`` (validated against the schema) or, when it failed,
    ``error`` (a short reason: invalid, truncated, timeout, merge_invalid, too_long) and
    ``detail``; ``counts`` holds this page's requests, tokens, cache hits and retries."""

    record: Any = None
    error: str | None = None
    detail: str | None = None
    chunks: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Failure:
    error: str
    detail: str


class Extractor:
    """Pages to records with one endpoint, schema, prompt and cache."""

    def __init__(
        self,
        config: LLMConfig,
        schema: dict[str, Any] | None = None,
        *,
        client: ChatClient | None = None,
    ) -> None:
        self.config = config
        if schema is None:
            if config.schema_ is None:
                raise ConfigError("llm.schema: a JSON Schema is needed to extract records")
            schema = load_schema(config.schema_)
        self.schema = schema
        self.client = client or ChatClient.from_config(config)
        self.cache = ResponseCache(config.cache_dir()) if config.use_cache else None
        self.asker = Asker(self.client, config)
        self._part_schema = relaxed(self.schema)
        self._opened = False

    async def __aenter__(self) -> Extractor:
        if not self.client.is_open:
            await self.client.__aenter__()
            self._opened = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._opened:
            await self.client.__aexit__(*exc)
            self._opened = False

    def run(self, texts: Sequence[str], heads: Sequence[str] | None = None) -> list[LLMResult]:
        """Records of many pages from synchronous code (their requests run concurrently, up
        to the client's limits); results in input order. ``heads``: each page's
        :func:`page_head` (title and headings), sent with every chunk of it."""
        return asyncio.run(self.extract_many(texts, heads))

    async def extract_many(
        self, texts: Sequence[str], heads: Sequence[str] | None = None
    ) -> list[LLMResult]:
        heads = heads or [""] * len(texts)
        async with self:
            return list(
                await asyncio.gather(
                    *(self.extract(t, h) for t, h in zip(texts, heads, strict=True))
                )
            )

    async def extract(self, text: str, head: str = "") -> LLMResult:
        """One page's record (inside ``async with extractor:``); ``head`` (the page's title
        and headings, see :func:`page_head`) goes before every chunk of its main content."""
        result = LLMResult()
        chunks = split_tokens(text, self.config.chunk_tokens, self.config.chunk_overlap)
        result.chunks = len(chunks)
        result.counts["llm:pages"] += 1
        if len(chunks) > self.config.max_chunks:  # a cost nobody asked for: refuse, send nothing
            return self._failed(
                result,
                "too_long",
                f"{len(chunks)} chunks, more than max_chunks {self.config.max_chunks}",
            )
        result.counts["llm:chunks"] += len(chunks)
        answers = await asyncio.gather(
            *(self._chunk(c, head, i, len(chunks), result.counts) for i, c in enumerate(chunks))
        )
        failed = next((a for a in answers if isinstance(a, _Failure)), None)
        if failed is not None:
            return self._failed(result, failed.error, failed.detail)
        record = answers[0] if len(answers) == 1 else merge_records(answers)
        if len(answers) > 1:
            try:
                check_record(record, self.schema)
            except BadAnswer as e:
                return self._failed(result, "merge_invalid", f"the merged record breaks it: {e}")
        result.record = record
        result.counts["llm:records"] += 1
        return result

    @staticmethod
    def _failed(result: LLMResult, error: str, detail: str) -> LLMResult:
        result.error, result.detail = error, detail
        result.counts["llm:failed"] += 1
        result.counts[f"llm:failed:{error}"] += 1
        return result

    def _page_message(self, chunk: str, head: str, index: int, total: int) -> str:
        body = f"{head}\n\nMain content:\n\n{chunk}" if head else chunk
        if total == 1:
            return f"Web page:\n\n{body}"
        return (
            f"Part {index + 1} of {total} of a web page (give what this part says; "
            f"parts overlap a little):\n\n{body}"
        )

    async def _chunk(
        self, chunk: str, head: str, index: int, total: int, counts: Counter[str]
    ) -> Any:
        """One chunk's validated record (from the cache or the model), or a _Failure."""
        cfg = self.config
        schema = self.schema if total == 1 else self._part_schema
        system = f"{cfg.prompt}\n\n{ANSWER_RULES}\n{json.dumps(schema)}"
        page = self._page_message(chunk, head, index, total)
        key = cache_key(cfg.model, system, schema, page)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None and _still_valid(hit["record"], schema):
                counts["llm:cache_hits"] += 1
                return hit["record"]
        messages = [{"role": "system", "content": system}, {"role": "user", "content": page}]
        try:
            record = await self.asker.ask_until_valid(
                messages, schema, lambda text: parse_answer(text, schema), cfg.reasks, counts
            )
        except RequestTimeout as e:
            return _Failure("timeout", str(e))
        except Truncated as e:
            return _Failure("truncated", str(e))
        except BadAnswer as e:
            return _Failure("invalid", str(e))
        if self.cache is not None:
            self.cache.put(key, {"record": record, "model": cfg.model})
        return record


def _still_valid(record: Any, schema: dict[str, Any]) -> bool:
    """A cached record that no longer passes the schema (an edited entry) is a miss."""
    try:
        check_record(record, schema)
    except BadAnswer:
        return False
    return True


#: A page's title sent to the model at most this long (characters); headings: see
#: :data:`thresher.extract.page.MAX_HEADINGS` and MAX_HEADING_CHARS.
MAX_TITLE_CHARS = 300


def page_head(title: str | None, headings: Sequence[Sequence[Any]] = ()) -> str:
    """What the model reads before a page's main content: its title and its H1-H3 headings
    (from anywhere on the page: the main content leaves out an H1 that repeats the title,
    and a product's name is often outside it). Empty when the page has neither."""
    lines = []
    if title and title.strip():
        lines.append(f"Page title: {' '.join(title.split())[:MAX_TITLE_CHARS]}")
    heads = [f"{'#' * int(level)} {text}" for level, text in headings if str(text).strip()]
    if heads:
        lines += ["Page headings:", *heads]
    return "\n".join(lines)


def extract_record(
    markdown: str,
    schema: str | Path | dict[str, Any],
    settings: LLMConfig,
    *,
    title: str | None = None,
    headings: Sequence[Sequence[Any]] = (),
) -> LLMResult:
    """One page's record with ``settings`` (endpoint, model, prompt, cache) and ``schema`` (a
    path or a loaded JSON Schema), from synchronous code; the page's ``title`` and
    ``headings`` (``[level, text]``, H1-H3) are sent before its main content."""
    extractor = Extractor(settings, load_schema(schema))
    return extractor.run([markdown], [page_head(title, headings)])[0]


async def aextract_record(
    markdown: str,
    schema: str | Path | dict[str, Any],
    settings: LLMConfig,
    *,
    client: ChatClient | None = None,
    title: str | None = None,
    headings: Sequence[Sequence[Any]] = (),
) -> LLMResult:
    """The same from async code (a server's event loop). Pass one ``client`` opened with
    ``async with client:`` to share its connections, limits and pauses between requests;
    a bad ``schema`` is a ConfigError."""
    extractor = Extractor(settings, load_schema(schema), client=client)
    async with extractor:
        return await extractor.extract(markdown, page_head(title, headings))
