"""The extract stage in this process: inputs → pages → Documents, with per-page budgets.

The pages of input items (files, archive records, named sources: read here, counted in the
stage's stats) and the steps that make documents of them (:func:`extract_steps`: ``Triage``,
``ExtractContent`` or ``ApplyRecipe``, and ``AskLLM`` when a model is asked). A shard
(:mod:`thresher.extract.shards`) runs these on its items;
:func:`thresher.extract.stream.extract` streams a whole input list, on a local pool of shards
when asked; ``thresher extract`` runs the same shards on any executor
(:mod:`thresher.extract.to_folder`). The documents and their order do not depend on either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from thresher.archive import CorruptInput, TooLarge, TruncatedInput
from thresher.document import Document, stable_id
from thresher.errors import InputError, Unfinished
from thresher.extract.budget import Deadline, PageTimeout
from thresher.extract.config import ExtractConfig
from thresher.extract.decode import decode_html
from thresher.extract.inputs import expand_inputs, iter_archive, read_html_file
from thresher.extract.page import extract_html
from thresher.nesting import exceeds_depth
from thresher.pipeline.base import Pipeline, Split, Step, fold_stats
from thresher.sources.page import Page, record_to_page
from thresher.stats import StepStats

if TYPE_CHECKING:
    from thresher.extract.recipes.model import Recipe

log = logging.getLogger("thresher.extract")

#: Content types that may become documents; anything else (XML, feeds, sitemaps, PDFs, images)
#: is counted by type. A missing type is sniffed from the first bytes.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


#: Record errors that make a record a counted drop: stored or decoded beyond the limits
#: (``max_record_bytes``, ``max_html_bytes``), header block beyond MAX_HEADER_LINES/BYTES.
SKIPPED_RECORDS = frozenset({"too_large", "malformed"})

_HTML_ROOTS = (b"<!doctype html", b"<html")
_XML_ROOTS = (b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf:rdf", b"<opml")


def looks_like_html(payload: bytes) -> bool:
    """Sniff HTML from the first bytes: a doctype or ``<html>`` wins; an XML declaration, a
    feed or sitemap root, SVG, or bytes that do not start with markup mean not HTML."""
    if payload[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte order mark
        codec = "utf-16-le" if payload[:2] == b"\xff\xfe" else "utf-16-be"
        payload = payload[2:4098].decode(codec, errors="ignore").encode("utf-8")
    head = payload[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head.startswith(b"<"):
        return False
    if any(m in head for m in _HTML_ROOTS):
        return True
    if head.startswith((b"<?xml", b"<svg")):
        return False
    return not any(r in head for r in _XML_ROOTS)


def triage(page: Page) -> tuple[str | None, str | None]:
    """(drop reason, counter key) for pages that must not become documents."""
    if page.kind == "text":
        return None, None
    if page.status is not None and page.status != 200:
        return "non_200_status", f"status:{page.status}"
    ct = page.content_type
    if ct is not None and ct not in HTML_TYPES:
        return "not_html", f"content_type:{ct}"
    if not looks_like_html(page.payload):
        return "not_html", f"content_type:{ct}:not_html" if ct else "content_type:unknown"
    return None, None


def process_page(
    page: Page, config: ExtractConfig
) -> tuple[Document | None, str | None, list[str]]:
    """Extract one page under the size and time budgets: (document, drop reason, counters)."""
    counters: list[str] = []
    payload = page.payload
    if len(payload) > config.max_html_bytes:
        payload = payload[: config.max_html_bytes]
        counters.append("cut_to_size")
    doc_id = stable_id(page.record_id) if page.record_id else stable_id(page.url, page.fetched_at)
    extra: dict[str, Any] = {}
    if page.status is not None:
        extra["http_status"] = page.status
    if page.content_type:
        extra["content_type"] = page.content_type
    if page.record_id:
        extra["warc_record_id"] = page.record_id
    extra.update(page.metadata)
    if page.kind != "text" and exceeds_depth(payload, config.max_depth):
        return None, "too_deep", counters  # never parsed: see thresher.nesting
    deadline = Deadline(config.timeout)
    try:
        if page.kind == "text":
            text, _ = decode_html(payload, page.charset or "utf-8")
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            title, lines = split_wet_title(lines) if not page.fields else (None, lines)
            doc: Document | None = Document(
                text="\n".join(lines), id=doc_id, url=page.url, source=page.source,
                fetched_at=page.fetched_at, title=title, metadata=extra,
            )  # fmt: skip
            for name, value in page.fields.items():  # what the source knows (Reddit threads)
                setattr(doc, name, value)
        else:
            doc = extract_html(
                payload,
                page.url,
                markdown=config.markdown,
                include_comments=config.include_comments,
                links=config.links,
                charset=page.charset,
                doc_id=doc_id,
                source=page.source,
                fetched_at=page.fetched_at,
                extra=extra,
                deadline=deadline,
                fallback_below=config.fallback_below,
                block_model=config.block_model,
                headings=config.llm is not None,  # the model sees them (llm/step.py)
            )
    except PageTimeout:
        return None, "timeout", counters
    except RecursionError:
        return None, "too_deep", counters
    except (ValueError, UnicodeError, MemoryError) as e:
        log.warning("%s: cannot extract: %s", page.source, e)
        return None, "parse_error", counters
    if doc is None:
        return None, "no_text", counters
    if "fallback" in doc.metadata:
        counters.append(f"fallback:{doc.metadata['fallback']}")
    ptype = doc.metadata.get("page_type")
    if ptype:
        counters.append(f"page_type:{ptype}")
        if config.page_types and ptype not in config.page_types:
            return None, f"page_type:{ptype}", counters
    if len(doc.text) < max(config.min_text_chars, 1):
        return None, "too_short", counters
    return doc, None, counters


#: Longest first line of a WET text taken for the page's title.
WET_TITLE_MAX = 200


def split_wet_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """(title, remaining lines) of a WET text: Common Crawl's text conversion puts the page's
    ``<title>`` on the first line (as in CC-MAIN-2024-22; CCNet reads it so too). Taken when
    more lines follow and it looks like a title: short, no sentence end."""
    if len(lines) < 2:
        return None, lines
    first = lines[0]
    if len(first) > WET_TITLE_MAX or first.endswith((".", "!", "?", "。", ",", ":", ";")):
        return None, lines
    return first, lines[1:]


def iter_pages(inputs: list[str], config: ExtractConfig, stats: StepStats) -> Iterator[Page]:
    """Every page of every input; damaged archives yield their good records and one error
    (a record cut short is kept, counted as ``truncated``; one too large or malformed is a
    counted drop). Every record read is counted by type (``records:response``, ``records:request``,
    ``records:warcinfo``, ``records:metadata``, ``records:revisit``, ...), skipped ones too."""
    yield from iter_item_pages(expand_inputs(inputs, config), config, stats)


def iter_item_pages(
    items: Iterable[tuple[str, str]], config: ExtractConfig, stats: StepStats
) -> Iterator[Page]:
    """:func:`iter_pages` over input files already listed as (path, kind)."""

    def seen(kind: str) -> None:
        stats.count(f"records:{kind}")

    for path, kind in items:
        stats.count("files")
        if kind not in ("html", "archive"):
            yield from _source_pages(path, kind, config, stats)
            continue
        if kind == "html":
            try:
                page = read_html_file(path, config.max_html_bytes)
            except TooLarge as e:
                log.warning("%s", e)
                stats.seen += 1
                stats.drop("too_large")
                continue
            except InputError as e:
                log.warning("%s", e)
                stats.count("errors")
                stats.count("error:unreadable")
                continue
            if page.metadata.get("truncated"):  # kept as far as it goes; the file is damaged
                stats.count("truncated")
                stats.count("errors")
                stats.count("error:truncated")
            yield page
            continue
        try:
            for rec in iter_archive(
                path, config.max_record_bytes, seen=seen, max_payload_bytes=config.max_html_bytes
            ):
                if rec.error in SKIPPED_RECORDS:
                    stats.seen += 1
                    stats.drop(rec.error or "too_large")
                    continue
                if rec.truncated:
                    stats.count("truncated")
                yield record_to_page(rec)
        except TruncatedInput as e:
            log.warning("%s", e)
            stats.count("errors")
            stats.count("error:truncated")
        except CorruptInput as e:
            log.warning("%s", e)
            stats.count("errors")
            stats.count("error:corrupt")
        except InputError as e:
            log.warning("%s", e)
            stats.count("errors")
            stats.count("error:unreadable")


def _source_pages(
    locator: str, kind: str, config: ExtractConfig, stats: StepStats
) -> Iterator[Page]:
    """The pages of one item of a named source; an unreadable item is one counted error, an
    :class:`~thresher.errors.Unfinished` one (network) is raised to leave its shard undone."""
    from thresher.sources.registry import source_for

    source = source_for(kind)
    if source is None:
        raise InputError(f"{locator}: no source reads items of kind {kind!r}")
    try:
        yield from source.iter_pages(locator, config, stats)
    except Unfinished:
        raise  # the rerun reads it again: its shard must not be marked done
    except InputError as e:
        log.warning("%s", e)
        stats.count("errors")
        stats.count("error:unreadable")


class Triage(Step[Page, Page]):
    """Drops the pages that must not become documents (:func:`triage`), counted by reason and
    by status or content type."""

    name: ClassVar[str] = "triage"

    def process(self, page: Page) -> Page | str:
        reason, counter = triage(page)
        if reason is None:
            return page
        if counter:
            self.stats.count(counter)
        return reason


class ExtractContent(Step[Page, Document]):
    """A page's main content and metadata as a document (:func:`process_page`): drops are
    ``too_deep``, ``timeout``, ``parse_error``, ``no_text``, ``too_short``, ``page_type:*``."""

    name: ClassVar[str] = "content"

    def __init__(self, config: ExtractConfig) -> None:
        super().__init__()
        self.config = config

    def process(self, page: Page) -> Document | str:
        doc, reason, counters = process_page(page, self.config)
        for c in counters:
            self.stats.count(c)
        return doc if doc is not None else reason or "no_text"


class ApplyRecipe(Split[Page, Document]):
    """A page's records by the config's recipe, one document each (``records`` counts them; a
    page with none is dropped as ``no_records``, or as page extraction would drop it)."""

    name: ClassVar[str] = "recipe"
    outputs: ClassVar[str] = "records"

    def __init__(self, config: ExtractConfig) -> None:
        super().__init__()
        self.config = config
        self.recipe: Recipe | None = None

    def run(self, items: Iterable[Page]) -> Iterator[Document]:
        from thresher.extract.recipes import load_recipe  # loaded only for recipe runs

        assert self.config.recipe is not None
        self.recipe = load_recipe(self.config.recipe)
        yield from super().run(items)

    def split(self, page: Page) -> list[Document] | str:
        from thresher.extract.recipes import page_records

        assert self.recipe is not None
        docs, reason, counters = page_records(page, self.recipe, self.config)
        for c in counters:
            self.stats.count(c)
        return docs or reason or "no_records"


def page_steps(config: ExtractConfig) -> list[Step[Any, Any]]:
    """Triage, then each page's content (or its recipe's records)."""
    content: Step[Page, Document] = ApplyRecipe(config) if config.recipe else ExtractContent(config)
    return [Triage(), content]


def extract_steps(config: ExtractConfig) -> list[Step[Any, Any]]:
    """The extract stage's steps for ``config``: :func:`page_steps`, and with ``config.llm``
    the model's record of each document (:class:`~thresher.llm.step.AskLLM`); pages are then
    extracted with Markdown and headings for the model, Markdown kept only when asked for."""
    if config.llm is None:
        return page_steps(config)
    from thresher.llm.step import AskLLM  # loaded only when a model is asked

    asked = config if config.markdown else config.model_copy(update={"markdown": True})
    return [*page_steps(asked), AskLLM(config.llm, keep_markdown=config.markdown)]


def extract_pages(
    pages: Iterable[Page], config: ExtractConfig, stats: StepStats
) -> Iterator[Document]:
    """Pages through :func:`page_steps` in this process, their counts folded into ``stats``."""
    return _folded(page_steps(config), pages, stats)


def extract_documents(
    pages: Iterable[Page], config: ExtractConfig, stats: StepStats
) -> Iterator[Document]:
    """Pages through :func:`extract_steps` (the model's too when asked), their counts folded
    into ``stats``: what ``extract()`` and every extract shard write."""
    return _folded(extract_steps(config), pages, stats)


def _folded(steps: list[Step[Any, Any]], items: Iterable[Any], stats: StepStats) -> Iterator[Any]:
    pipeline = Pipeline(steps)
    try:
        yield from pipeline.run(items)
    finally:
        fold_stats(stats, pipeline.steps)
