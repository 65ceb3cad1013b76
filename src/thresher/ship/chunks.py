"""RAG export (``thresher chunks``): documents split along their Markdown structure.

A document's Markdown (its text when it has none) is read as blocks: headings, paragraphs,
lists, tables, quotes and fenced code. A heading starts a new chunk; blocks are packed into a
chunk while they fit in ``max_tokens``; a block larger than that is split by lines (code,
lists, tables) or sentences (prose), and a piece still too large by words. When a section
goes on in a new chunk, that chunk starts with the last ``overlap`` tokens of the one before.

Tokens are an offline approximation (no tokenizer is downloaded): a run of letters/digits is
one token, and so is every other non-space character (``\\w+|[^\\w\\s]``). Subword tokenizers
usually count somewhat more for long or rare words, so leave some headroom.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from thresher.document import Document, stable_id
from thresher.errors import ConfigError, NothingToDoError
from thresher.execute.config import ExecutorConfig
from thresher.execute.job import ShardSpec
from thresher.execute.stage import run_stage
from thresher.pipeline.base import Split
from thresher.ship.rows import FORMATS, RowsJob
from thresher.stats import StepStats
from thresher.store.mapping import FieldMap
from thresher.store.readers import DocumentReader, iter_document_files
from thresher.store.sniff import wrong_kind_hint

KIND = "chunks"
TOKEN = re.compile(r"\w+|[^\w\s]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])\s+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("doc_id", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("headings", pa.list_(pa.string())),
        ("position", pa.int32()),
        ("text", pa.string()),
        ("tokens", pa.int32()),
        ("language", pa.string()),
        ("images", pa.list_(pa.struct([("src", pa.string()), ("alt", pa.string())]))),
        ("links", pa.list_(pa.struct([("href", pa.string()), ("text", pa.string())]))),
    ]
)


def count_tokens(text: str) -> int:
    """The approximate token count of a text (see the module docstring)."""
    return sum(1 for _ in TOKEN.finditer(text))


def last_tokens(text: str, n: int) -> str:
    """The end of ``text`` that holds its last ``n`` tokens (as written, spaces included)."""
    if n <= 0:
        return ""
    starts = [m.start() for m in TOKEN.finditer(text)]
    if len(starts) <= n:
        return text
    return text[starts[-n] :]


@dataclass
class Block:
    """One Markdown block: ``kind`` is heading, code, list, table, quote or paragraph."""

    kind: str
    text: str
    level: int = 0  # heading level


def blocks(markdown: str) -> Iterator[Block]:
    """The blocks of a Markdown text, in order (fenced code kept whole, blank lines inside)."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            mark = fence.group(1)
            j = i + 1
            while j < n and not lines[j].strip().startswith(mark[:3]):
                j += 1
            yield Block("code", "\n".join(lines[i : j + 1]))
            i = j + 1
            continue
        heading = _HEADING.match(line)
        if heading:
            yield Block("heading", line.strip(), level=len(heading.group(1)))
            i += 1
            continue
        j = i + 1
        while j < n and lines[j].strip() and not _FENCE.match(lines[j]):
            if _HEADING.match(lines[j]):
                break
            j += 1
        yield Block(_kind(line), "\n".join(lines[i:j]))
        i = j


def _kind(first: str) -> str:
    s = first.lstrip()
    if _LIST_ITEM.match(first):
        return "list"
    if s.startswith("|"):
        return "table"
    if s.startswith(">"):
        return "quote"
    return "paragraph"


_ATOM = re.compile(r"!?\[[^\]]*\]\([^)]*\)\S*|\S+")


def _by_words(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` tokens cut between words (a Markdown image or link stays
    whole unless it alone is over the limit: then it is cut between tokens)."""
    pieces: list[str] = []
    start = end = size = 0
    for m in _ATOM.finditer(text):
        t = count_tokens(m.group(0))
        if t > limit:
            if size:
                pieces.append(text[start:end])
            spans = [s.span() for s in TOKEN.finditer(m.group(0))]
            for k in range(0, len(spans), limit):
                group = spans[k : k + limit]
                pieces.append(m.group(0)[group[0][0] : group[-1][1]])
            size = 0
            continue
        if size and size + t > limit:
            pieces.append(text[start:end])
            size = 0
        if not size:
            start = m.start()
        end, size = m.end(), size + t
    if size:
        pieces.append(text[start:end])
    return pieces


def _units(parts: list[str], limit: int) -> list[str]:
    """The parts (sentences, lines), each over ``limit`` cut by words."""
    out: list[str] = []
    for part in parts:
        out.extend([part] if count_tokens(part) <= limit else _by_words(part, limit))
    return [u for u in out if u.strip()]


def split_block(block: Block, limit: int) -> tuple[list[str], str]:
    """A block as units of at most ``limit`` tokens and the separator that joins two of them
    in one chunk: the block itself when it fits; else lines (lists, tables, quotes), fenced
    pieces of lines (code) or sentences (prose)."""
    if count_tokens(block.text) <= limit:
        return [block.text], "\n"
    if block.kind == "code":
        lines = block.text.split("\n")
        opening = lines[0]
        closing = lines[-1] if len(lines) > 1 and _FENCE.match(lines[-1]) else ""
        body = lines[1:-1] if closing else lines[1:]
        inner = limit - count_tokens(opening) - count_tokens(closing)
        if inner < 4:  # the fences alone nearly fill a chunk: split the code as text
            return _units(body, limit), "\n"
        pieces = _pack(_units(body, inner), inner)
        return [f"{opening}\n{p}\n{closing}".rstrip("\n") for p in pieces], "\n\n"
    if block.kind in ("list", "table", "quote"):
        return _units(block.text.split("\n"), limit), "\n"
    return _units(_SENTENCE_END.split(block.text), limit), " "


def _pack(lines: list[str], limit: int) -> list[str]:
    """Consecutive lines (each within ``limit``) joined into pieces of at most ``limit``."""
    out: list[list[str]] = [[]]
    size = 0
    for line in lines:
        t = count_tokens(line)
        if out[-1] and size + t > limit:
            out.append([])
            size = 0
        out[-1].append(line)
        size += t
    return ["\n".join(group) for group in out if group]


@dataclass
class Chunk:
    """One retrieval chunk of a document."""

    text: str
    headings: list[str]
    position: int
    tokens: int
    images: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)


def _join(base: str | None, href: str) -> str:
    from thresher.extract.metadata import safe_join

    return safe_join(base, href) if base else href


def media(text: str, base: str | None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The images (``src``, ``alt``) and links (``href``, ``text``) written in Markdown text,
    resolved against the document's URL."""
    images = [{"src": _join(base, m.group(2)), "alt": m.group(1)} for m in _IMAGE.finditer(text)]
    links = [{"href": _join(base, m.group(2)), "text": m.group(1)} for m in _LINK.finditer(text)]
    return images, links


def chunk_markdown(
    markdown: str, max_tokens: int, overlap: int = 0, base: str | None = None
) -> list[Chunk]:
    """Split one Markdown text into chunks of at most ``max_tokens`` tokens."""
    check_sizes(max_tokens, overlap)
    packer = _Packer(max_tokens, overlap, base)
    path: list[tuple[int, str]] = []  # the open headings: (level, text)
    for block in blocks(markdown):
        if block.kind == "heading":
            title = _HEADING.match(block.text)
            while path and path[-1][0] >= block.level:
                path.pop()
            path.append((block.level, title.group(2) if title else block.text))
            packer.heading(block.text, [h for _, h in path])
            continue
        units, sep = split_block(block, max_tokens)
        for i, unit in enumerate(units):
            packer.add(unit, sep if i else "\n\n")
    packer.close()
    return packer.chunks


class _Packer:
    """Packs units into chunks: a heading starts a chunk, a unit that does not fit closes
    one, and the next chunk of the same section starts with the last ``overlap`` tokens."""

    def __init__(self, max_tokens: int, overlap: int, base: str | None) -> None:
        self.max, self.overlap, self.base = max_tokens, overlap, base
        self.chunks: list[Chunk] = []
        self.text = ""
        self.size = 0
        self.headings: list[str] = []
        self.only_headings = True  # the open chunk holds headings only (or nothing)

    def heading(self, line: str, path: list[str]) -> None:
        if not self.only_headings:
            self.close()
        self._append(line, "\n\n")  # consecutive headings stay together
        self.headings = path

    def add(self, unit: str, sep: str) -> None:
        t = count_tokens(unit)
        if self.text and self.size + t > self.max:
            if self.only_headings:  # a heading that does not fit with its first unit
                self.text, self.size = "", 0
            else:
                tail = last_tokens(self.text, self.overlap) if self.overlap else ""
                self.close()
                tail_size = count_tokens(tail)
                if tail and tail_size + t <= self.max:
                    self.text, self.size = tail, tail_size
        self._append(unit, sep)
        self.only_headings = False

    def _append(self, text: str, sep: str) -> None:
        self.text = f"{self.text}{sep}{text}" if self.text else text
        self.size += count_tokens(text)

    def close(self) -> None:
        if self.text and not self.only_headings:
            images, links = media(self.text, self.base)
            self.chunks.append(
                Chunk(self.text, self.headings, len(self.chunks), self.size, images, links)
            )
        self.text, self.size, self.only_headings = "", 0, True


def check_sizes(max_tokens: int, overlap: int) -> None:
    if max_tokens < 1:
        raise ConfigError(f"--max-tokens {max_tokens}: must be at least 1")
    if overlap < 0 or overlap >= max_tokens:
        raise ConfigError(f"--overlap {overlap}: must be at least 0 and below --max-tokens")


def _document_media(doc: Document) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Images and links a document without Markdown lists in its metadata (recipe fields or
    extract's metadata), which cannot be placed in one chunk: every chunk gets them."""
    meta = doc.metadata
    fields = meta.get("fields") if isinstance(meta.get("fields"), dict) else {}
    images: list[dict[str, str]] = []
    for img in [*(meta.get("images") or []), *(fields.get("images") or [])]:
        if isinstance(img, dict) and img.get("src"):
            images.append({"src": str(img["src"]), "alt": str(img.get("alt") or "")})
        elif isinstance(img, str):
            images.append({"src": img, "alt": ""})
    links: list[dict[str, str]] = []
    for link in [*(meta.get("links") or []), *(fields.get("links") or [])]:
        if isinstance(link, dict) and (link.get("href") or link.get("url")):
            href = str(link.get("href") or link.get("url"))
            links.append({"href": href, "text": str(link.get("text") or "")})
        elif isinstance(link, str):
            links.append({"href": link, "text": ""})
    return images, links


def document_chunks(doc: Document, max_tokens: int, overlap: int) -> list[dict[str, Any]]:
    """The chunk rows of one document."""
    if doc.markdown and doc.markdown.strip():
        chunks = chunk_markdown(doc.markdown, max_tokens, overlap, doc.url)
    else:
        chunks = chunk_markdown(doc.text.replace("\n", "\n\n"), max_tokens, overlap)
        images, links = _document_media(doc)
        for c in chunks:
            c.images, c.links = images, links
    return [
        {
            "id": stable_id(doc.id, str(c.position)),
            "doc_id": doc.id,
            "url": doc.url,
            "title": doc.title,
            "headings": c.headings,
            "position": c.position,
            "text": c.text,
            "tokens": c.tokens,
            "language": doc.language,
            "images": c.images,
            "links": c.links,
        }
        for c in chunks
    ]


class ChunkDocuments(Split[Document, dict[str, Any]]):
    """Each document's chunk rows (:func:`document_chunks`); ``chunks`` counts them, a
    document with no text to chunk is dropped as ``no_text``."""

    name: ClassVar[str] = "chunks"
    outputs: ClassVar[str] = "chunks"

    def __init__(self, max_tokens: int, overlap: int) -> None:
        super().__init__()
        self.max_tokens, self.overlap = max_tokens, overlap

    def split(self, doc: Document) -> list[dict[str, Any]] | str:
        return document_chunks(doc, self.max_tokens, self.overlap) or "no_text"


def rows_of(
    docs: Iterable[Document], max_tokens: int, overlap: int, stats: StepStats
) -> Iterator[dict[str, Any]]:
    """``docs`` through :class:`ChunkDocuments`, counted in ``stats``."""
    step = ChunkDocuments(max_tokens, overlap)
    step.stats = stats
    return step.run(docs)


class ChunksJob(RowsJob):
    """Every document of the inputs as chunks: one shard per input file."""

    kind = KIND

    def __init__(
        self,
        inputs: Sequence[str | Path],
        settings: dict[str, Any],
        fields: FieldMap | None = None,
    ) -> None:
        super().__init__(inputs, settings, settings["format"], SCHEMA)
        self.fields = fields

    def items(self, shard: ShardSpec, stats: list[StepStats]) -> Iterator[dict[str, Any]]:
        reader = DocumentReader(shard["files"], fields=self.fields)
        stats[0] = reader.stats
        settings = self.row_settings
        yield from rows_of(reader, settings["max_tokens"], settings["overlap"], stats[1])

    def nothing(self, stats: list[StepStats]) -> str:
        drops = ", ".join(f"{k} {v}" for k, v in stats[0].dropped.most_common(3))
        return f"{', '.join(self.inputs)}: no document to chunk" + (f" ({drops})" if drops else "")


def export_chunks(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    max_tokens: int,
    overlap: int,
    fmt: str = "jsonl",
    overwrite: bool = False,
    fields: FieldMap | None = None,
    executor: ExecutorConfig | None = None,
) -> tuple[int, list[StepStats], bool]:
    """Chunk every document of ``inputs`` into ``out`` (a folder or an object-store URL);
    returns (chunks, stats, already_done). ``fields`` maps records of another layout
    (docs/datasets.md)."""
    check_sizes(max_tokens, overlap)
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: unknown; choose one of {', '.join(FORMATS)}")
    for f in iter_document_files(inputs):
        hint = wrong_kind_hint(f, "documents")
        if hint is not None:
            raise NothingToDoError(hint)
    settings: dict[str, Any] = {"max_tokens": max_tokens, "overlap": overlap, "format": fmt}
    settings["tokens"] = TOKEN.pattern
    if fields is not None:  # only when used: earlier runs keep their fingerprint
        settings["fields"] = fields.model_dump()
    job = ChunksJob(inputs, settings, fields)
    result = run_stage(job, out, executor=executor, overwrite=overwrite)
    return result.documents, result.stats, result.skipped
