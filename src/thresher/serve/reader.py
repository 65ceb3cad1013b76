"""One page, read politely and extracted: :class:`~thresher.crawl.PoliteFetcher` fetches it
with the crawl's own parts (robots.txt, the honest User-Agent, the address guard, redirects
checked hop by hop, the body cap and timeouts, per-host spacing, the page cache, the Chromium
renderer for ``render``); the page becomes a document through extract's own
:func:`~thresher.extract.run.process_page`, with the page's opt-out signals recorded.

Used by ``thresher read`` (one page) and ``thresher serve`` (many, concurrently).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from thresher.archive.record import split_content_type
from thresher.crawl import DEFAULT_PAGE_TTL, FetchedPage, PoliteFetcher
from thresher.document import Document
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import Page
from thresher.extract.run import process_page, triage
from thresher.serve.errors import NotReadable
from thresher.serve.pool import ExtractPool

if TYPE_CHECKING:
    from thresher.crawl import CrawlConfig, PageSignals
    from thresher.serve.cache import PageCache

__all__ = [
    "DEFAULT_PAGE_TTL",
    "Reader",
    "as_markdown",
    "read_page",
]

#: documents of recent reads kept in memory, so a cached page is not extracted again
_DOCUMENTS_KEPT = 256


def page_document(
    page: Page, config: ExtractConfig, token: str
) -> tuple[Document | None, str | None, PageSignals]:
    """(document, drop reason, opt-out signals of its HTML): everything that parses the page,
    in one call a worker process can run."""
    doc, reason, _ = process_page(page, config)
    if doc is None:
        return None, reason, (set(), None)
    return doc, None, FetchedPage.html_signals(page.payload, token)


def why_not(reason: str | None, config: ExtractConfig) -> str:
    """Why a page gave no document, in words."""
    if reason == "too_deep":
        return f"the page's elements nest deeper than {config.max_depth} (too_deep)"
    if reason == "timeout":
        return f"extraction took longer than {config.timeout:g}s (timeout)"
    return f"no main content found ({reason})"


def as_markdown(doc: Document) -> str:
    """The main content as Markdown with the title as the first heading."""
    body = (doc.markdown or doc.text).strip()
    if doc.title:
        return f"# {doc.title.strip()}\n\n{body}\n"
    return body + "\n"


class Reader:
    """Reads pages one at a time or many at once (``async with Reader(...)``): one
    :class:`~thresher.crawl.PoliteFetcher` (robots.txt rules, host spacing, cache, renderer)
    shared by every read, and extraction here or in ``pool``."""

    def __init__(
        self,
        config: CrawlConfig,
        *,
        cache: PageCache | None = None,
        page_ttl: float = DEFAULT_PAGE_TTL,
        extract: ExtractConfig | None = None,
        pool: ExtractPool | None = None,
    ) -> None:
        self.config = config
        self.pages = PoliteFetcher(config, cache=cache, page_ttl=page_ttl)
        #: the fetch counters (``fetched``, ``robots_fetches``) and the cache, for /health
        self.stats = self.pages.stats
        self.cache = cache
        self.extract_config = extract or ExtractConfig(markdown=True)
        #: where pages are extracted (serve: worker processes under a time limit); None: here
        self.pool = pool
        self._documents: OrderedDict[tuple[str, str, bool, int], Document] = OrderedDict()

    async def __aenter__(self) -> Reader:
        await self.pages.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP client and the browser (when one was started)."""
        await self.pages.close()

    async def fetch(self, url: str, *, render: bool = False) -> FetchedPage:
        """The page at ``url`` as fetched (:meth:`PoliteFetcher.fetch`), not extracted."""
        return await self.pages.fetch(url, render=render)

    async def read(self, url: str, *, render: bool = False) -> Document:
        """The page at ``url`` as a document (Markdown included); a ReadError says why not.
        A page read before (the same fetch, from the cache) is not extracted again."""
        fetched = await self.pages.fetch(url, render=render)
        memo = (fetched.url, fetched.fetched_at, fetched.rendered, len(fetched.payload))
        doc = self._documents.get(memo)
        if doc is None:
            doc = await self._document(fetched)
            self._documents[memo] = doc
            if len(self._documents) > _DOCUMENTS_KEPT:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(memo)
        return replace(doc, metadata=dict(doc.metadata))  # callers may change their copy

    def document(self, fetched: FetchedPage) -> Document:
        """A fetched answer through extract's triage and extraction (in this process)."""
        page = self._page(fetched)
        return self._finish(fetched, *page_document(page, self.extract_config, self.pages.token))

    async def _document(self, fetched: FetchedPage) -> Document:
        """:meth:`document`, in the extraction pool when the reader has one."""
        if self.pool is None:
            return self.document(fetched)
        page = self._page(fetched)
        found = await self.pool.call(page_document, page, self.extract_config, self.pages.token)
        return self._finish(fetched, *found)

    def _page(self, fetched: FetchedPage) -> Page:
        media, charset = split_content_type(fetched.content_type)
        page = Page(
            source=fetched.url,
            url=fetched.url,
            fetched_at=fetched.fetched_at,
            payload=fetched.payload,
            charset="utf-8" if fetched.rendered else charset,
            status=200,
            content_type=media,
        )
        reason, _ = triage(page)
        if reason is not None:
            raise NotReadable(f"{fetched.url}: not an HTML page ({media or 'no content type'})")
        return page

    def _finish(
        self, fetched: FetchedPage, doc: Document | None, reason: str | None, signals: PageSignals
    ) -> Document:
        if doc is None:
            raise NotReadable(f"{fetched.url}: {why_not(reason, self.extract_config)}")
        extra: dict[str, Any] = {"redirects": fetched.redirects, "rendered": fetched.rendered}
        if fetched.truncated:
            extra["truncated"] = fetched.truncated
        opt_outs = fetched.opt_outs(self.pages.token, signals)
        if opt_outs:
            extra["opt_out"] = opt_outs
        doc.metadata.update(extra)
        return doc


def read_page(
    url: str,
    config: CrawlConfig,
    *,
    render: bool = False,
    cache: PageCache | None = None,
    page_ttl: float = DEFAULT_PAGE_TTL,
) -> Document:
    """Read one page (``thresher read``): a fresh reader, one read, closed again."""

    async def _main() -> Document:
        async with Reader(config, cache=cache, page_ttl=page_ttl) as reader:
            return await reader.read(url, render=render)

    return asyncio.run(_main())
