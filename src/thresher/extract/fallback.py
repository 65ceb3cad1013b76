"""A second opinion for pages where thresher's own scoring finds little main text: such
pages (short posts, product pages, lists of short items) are where a slower extractor with
its own rules (trafilatura's XPath expressions for content and boilerplate) does better.
Measured on the evaluation set (BENCHMARKS.md): about 2% of pages go this way."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

log = logging.getLogger("thresher.extract")


@cache
def _trafilatura() -> Any:
    try:
        import trafilatura
    except ImportError:  # optional at run time: without it the own result stands
        log.warning("trafilatura is not installed: no fallback for low-confidence pages")
        return None
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    return trafilatura


def available() -> bool:
    """Whether the fallback extractor can be imported."""
    return _trafilatura() is not None


def fallback_extract(html: str, url: str | None, *, include_comments: bool) -> str | None:
    """The main text by trafilatura, or None when it finds nothing."""
    traf = _trafilatura()
    if traf is None:
        return None
    try:
        text = traf.extract(
            html,
            url=url,
            output_format="txt",
            include_comments=include_comments,
            include_tables=True,
            deduplicate=False,
            with_metadata=False,
            fast=True,  # its own fallbacks cost 3x and add nothing on these pages
        )
    except Exception as e:  # a second opinion must never cost the page
        log.debug("fallback failed on %s: %s", url, e)
        return None
    return text or None
