"""Input specs (``cc:CRAWL/PATTERN``, ``cc:CRAWL``) and the locators of their work items.

A slice becomes one item per page of the index's answer (``cc-index:K:CRAWL/PATTERN``); a
whole snapshot one item per file of its paths file (``cc-file:crawl-data/...``). Items are
the unit of a shard, hence of resume and of spreading over workers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from thresher.errors import InputError

PREFIX = "cc:"
INDEX_ITEM = "cc-index:"
FILE_ITEM = "cc-file:"

_CRAWL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Spec:
    """A parsed input: ``pattern`` is None for a whole snapshot."""

    crawl: str
    pattern: str | None


def parse_spec(spec: str) -> Spec:
    """``cc:CRAWL/PATTERN`` or ``cc:CRAWL`` (InputError naming the spec otherwise)."""
    body = spec[len(PREFIX) :]
    crawl, slash, pattern = body.partition("/")
    if not _CRAWL.match(crawl):
        raise InputError(f"{spec}: expected cc:CRAWL/PATTERN or cc:CRAWL (e.g. cc:CC-MAIN-2024-22)")
    if slash and not pattern.strip():
        raise InputError(f"{spec}: empty URL pattern after {crawl}/ (e.g. *.example.org)")
    return Spec(crawl, pattern.strip() if slash else None)


def index_item(page: int, crawl: str, pattern: str) -> str:
    return f"{INDEX_ITEM}{page}:{crawl}/{pattern}"


def parse_index_item(locator: str) -> tuple[int, str, str]:
    """(page, crawl, pattern) of an index item."""
    page, _, rest = locator[len(INDEX_ITEM) :].partition(":")
    crawl, _, pattern = rest.partition("/")
    return int(page), crawl, pattern


def file_item(path: str) -> str:
    return f"{FILE_ITEM}{path}"


def parse_shards(value: str | None, total: int, where: str) -> range:
    """The file indices ``A-B`` (inclusive), ``A-`` or ``A`` select among ``total`` files."""
    if value is None:
        return range(total)
    first, dash, last = value.partition("-")
    start = int(first)
    stop = (int(last) + 1 if last else total) if dash else start + 1
    if start >= total or stop <= start:
        raise InputError(f"{where}: --shards {value}: the paths file lists {total} file(s)")
    return range(start, min(stop, total))
