"""Common Crawl as an extract input: ``cc:CRAWL/PATTERN`` slices through the CDX index
(records fetched by HTTP range) and ``cc:CRAWL`` whole snapshots (files streamed).

- :mod:`.config`   the ``extract.cc`` settings (servers, filters, retries)
- :mod:`.spec`     input specs and work-item locators
- :mod:`.http`     HTTP GETs with bounded retries, backoff, jitter and Retry-After
- :mod:`.index`    the CDX index client (page count, pages of captures, filters)
- :mod:`.cache`    the per-item journal and cache WARC that make a rerun fetch nothing twice
- :mod:`.records`  one fetched range read as the WARC record its capture names
- :mod:`.snapshot` paths files and whole files streamed with reconnects
- :mod:`.source`   the :class:`~thresher.sources.registry.Source` tying them together
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thresher.sources.commoncrawl.source import CommonCrawlSource, claims

__all__ = ["CommonCrawlSource", "claims"]


def __getattr__(name: str) -> Any:
    """The source loads on first use: ``extract.config`` imports :mod:`.config` alone."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from thresher.sources.commoncrawl import source

    return getattr(source, name)
