"""A recipe over one page under the same budgets as page extraction: the page is cut at
``max_html_bytes`` and its records are read against the ``timeout`` deadline, so a recipe
run is as bounded as a plain extract and runs on the same shards and worker pool."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from thresher.document import Document
from thresher.extract.budget import Deadline, PageTimeout
from thresher.extract.recipes.model import Recipe
from thresher.nesting import exceeds_depth

if TYPE_CHECKING:
    from thresher.extract.config import ExtractConfig
    from thresher.extract.inputs import Page

__all__ = ["page_records"]

log = logging.getLogger("thresher.extract")


def page_records(
    page: Page, recipe: Recipe, config: ExtractConfig
) -> tuple[list[Document], str | None, list[str]]:
    """The records of one page: (documents, drop reason, counters). Reasons are those of
    page extraction (``timeout``, ``too_deep``, ``parse_error``) and ``no_records``."""
    counters: list[str] = []
    payload = page.payload
    if len(payload) > config.max_html_bytes:
        payload = payload[: config.max_html_bytes]
        counters.append("cut_to_size")
    if exceeds_depth(payload, config.max_depth):
        return [], "too_deep", counters  # never parsed: see thresher.nesting
    try:
        docs = recipe.records(
            payload,
            page.url,
            source=page.source,
            fetched_at=page.fetched_at,
            deadline=Deadline(config.timeout),
        )
    except PageTimeout:
        return [], "timeout", counters
    except RecursionError:
        return [], "too_deep", counters
    except (ValueError, UnicodeError, MemoryError) as e:
        log.warning("%s: cannot read records: %s", page.source, e)
        return [], "parse_error", counters
    if not docs:
        return [], "no_records", counters
    return docs, None, counters
