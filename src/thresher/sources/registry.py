"""The registry of named sources: inputs that are not files (a Common Crawl slice, a Reddit
dump, ...).

A source claims input specs it recognises (``cc:CC-MAIN-2024-22/*.example.org``), expands
each into work items ``(locator, kind)`` like the file inputs' ``(path, "archive")``, and
reads one item as pages. Items are the unit of a shard, so a source's items are also its
unit of resume and of spreading over workers.

Extract consults this registry (sources sit below extract); it names each source by import
path so that reading a WARC file imports none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from thresher.extract.config import ExtractConfig
    from thresher.sources.page import Page
    from thresher.stats import StepStats


class Source(Protocol):
    """What a source module provides (as a class or an object named in :data:`SOURCES`).
    A source may also have ``expand_all(specs, config)``: then every spec it claims in one
    run is expanded in one call (Reddit's comment dumps must meet their submission dumps)."""

    def expand(self, spec: str, config: ExtractConfig) -> list[tuple[str, str]]:
        """The work items of one input spec, in a stable order (raise InputError if none)."""
        ...

    def iter_pages(self, locator: str, config: ExtractConfig, stats: StepStats) -> Iterator[Page]:
        """The pages of one item; damage is counted in ``stats``, or raised as InputError."""
        ...


@dataclass(frozen=True)
class SourceEntry:
    """A registered source: the item ``kind`` it yields, a cheap test of an input spec, and
    ``module:attribute`` of its :class:`Source` (imported only when used)."""

    kind: str
    claims: Callable[[str], bool]
    target: str


def _reddit_dump(spec: str) -> bool:
    from thresher.sources.reddit.names import claims

    return claims(spec)


#: Every registered source, tried in order before an input is taken for a path.
SOURCES: list[SourceEntry] = [
    SourceEntry("reddit-dumps", _reddit_dump, "thresher.sources.reddit.source:RedditDumps"),
    SourceEntry(
        "cc", lambda s: s.startswith("cc:"), "thresher.sources.commoncrawl.source:CommonCrawlSource"
    ),
]


#: the work folder of the shard running in this context (see :func:`working_in`)
_WORK: ContextVar[Path | None] = ContextVar("thresher_source_work", default=None)


def work_folder() -> Path | None:
    """A folder where the running shard's source may keep what must survive a kill (a
    Common Crawl item's fetched records); None outside a run folder. Its content goes when
    the run is committed."""
    return _WORK.get()


@contextmanager
def working_in(folder: Path) -> Iterator[None]:
    """Run a shard with :func:`work_folder` set to ``folder``."""
    token = _WORK.set(folder)
    try:
        yield
    finally:
        _WORK.reset(token)


def register(entry: SourceEntry) -> None:
    """Add a source (a test or a plug-in may add its own)."""
    SOURCES[:] = [e for e in SOURCES if e.kind != entry.kind] + [entry]


def claiming(spec: str) -> SourceEntry | None:
    """The source that recognises ``spec``, or None (then it is a file, folder or URL)."""
    return next((e for e in SOURCES if e.claims(spec)), None)


def source_for(kind: str) -> Source | None:
    """The source that reads items of ``kind``; None for the built-in file kinds."""
    entry = next((e for e in SOURCES if e.kind == kind), None)
    if entry is None:
        return None
    module, _, attr = entry.target.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    return obj() if isinstance(obj, type) else obj
