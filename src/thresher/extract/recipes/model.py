"""What a recipe is: page types with match conditions, link rules for the crawler and record
rules of CSS/XPath selectors, and how a recipe reads one page (its records, its links).

Loading a recipe from a file or a built-in name is :mod:`thresher.extract.recipes.loader`;
running one over pages under the extract budgets is :mod:`thresher.extract.recipes.apply`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from selectolax.lexbor import LexborHTMLParser, LexborNode

from thresher.document import Document, stable_id
from thresher.errors import ConfigError
from thresher.extract.budget import Deadline
from thresher.extract.content import node_text
from thresher.extract.decode import decode_html
from thresher.extract.metadata import iso8601, safe_join

__all__ = ["FieldRule", "LinkRule", "Match", "PageType", "Recipe", "RecordRule"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldRule(_Model):
    """How to read one field from a record element."""

    css: str | None = Field(None, description="CSS selector, relative to the record element")
    xpath: str | None = Field(None, description="XPath, relative to the record element")
    attr: str | None = Field(None, description="read this attribute instead of the text")
    all: bool = Field(False, description="a list of every match instead of the first")
    exclude: list[str] = Field(default_factory=list, description="CSS of parts to leave out")
    url: bool = Field(False, description="resolve the value against the page URL")
    date: bool = Field(False, description="normalize the value to ISO 8601")
    date_format: str | None = Field(
        None, description="strptime format of the page's dates (e.g. '%m-%d-%Y, %I:%M %p')"
    )

    @field_validator("css", "xpath")
    @classmethod
    def _not_empty(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("selector must not be empty")
        return v


class LinkRule(_Model):
    """Links the crawler follows from a matching page."""

    css: str = Field(..., description="CSS selector of <a> elements")
    kind: Literal["item", "list", "pagination"] = Field("item", description="what the link is")


class Match(_Model):
    """Which pages a page type applies to (all given conditions must hold)."""

    url: str | None = Field(None, description="regular expression searched in the URL")
    css: str | None = Field(None, description="selector that must match somewhere on the page")

    @field_validator("url")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"bad regular expression: {e}") from None
        return v


class RecordRule(_Model):
    """The records of a page: one per element matching ``each``."""

    each: str = Field(..., description="CSS selector of one record's element")
    type: str = Field("record", description="record type written to metadata")
    fields: dict[str, FieldRule] = Field(..., description="field name → rule")
    text_field: str = Field("text", description="field used as the document text")


class PageType(_Model):
    """A kind of page (list page, item page) with its records and links."""

    name: str
    match: Match = Field(default_factory=Match)
    follow: list[LinkRule] = Field(default_factory=list)
    records: RecordRule | None = None


class Recipe(_Model):
    """A whole recipe file."""

    name: str
    description: str = ""
    thread: str | None = Field(
        None,
        description="regular expression whose first group, searched in a topic page's URL (or"
        " a thread record's url field), names the thread: posts of one thread across"
        " paginated pages share it",
    )
    page: str | None = Field(
        None,
        description="regular expression whose first matching group (a number) orders a"
        " thread's pages; a URL without a match is the first page (0)",
    )
    pages: list[PageType] = Field(..., min_length=1)

    @field_validator("thread", "page")
    @classmethod
    def _group_regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                groups = re.compile(v).groups
            except re.error as e:
                raise ValueError(f"bad regular expression: {e}") from None
            if groups < 1:
                raise ValueError("the regular expression needs a group: (...)")
        return v

    def thread_key(self, url: str | None) -> str | None:
        """The thread a topic page (or a link to one) belongs to: host and the ``thread``
        regex's group; the URL itself when the recipe has no such regex or it does not match."""
        if not url:
            return None
        found = _first_group(self.thread, url)
        return f"{urlsplit(url).netloc}/{found}" if found else url

    def page_number(self, url: str | None) -> int:
        """Where a topic page comes in its thread (0 for the first page)."""
        found = _first_group(self.page, url)
        return int(found) if found and found.isdigit() else 0

    def page_type(self, tree: LexborHTMLParser, url: str | None) -> PageType | None:
        """The first page type whose match conditions hold for this page."""
        for pt in self.pages:
            if pt.match.url and not (url and re.search(pt.match.url, url)):
                continue
            if pt.match.css and tree.css_first(pt.match.css) is None:
                continue
            return pt
        return None

    def follow_links(self, html: str | bytes, url: str) -> list[tuple[str, str]]:
        """(absolute URL, kind) of the links the crawler should follow from this page."""
        tree = _parse(html)
        pt = self.page_type(tree, url)
        if pt is None:
            return []
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for rule in pt.follow:
            for a in tree.css(rule.css):
                href = a.attributes.get("href")
                if not href:
                    continue
                absolute = _join(url, href.strip())
                if absolute not in seen:
                    seen.add(absolute)
                    out.append((absolute, rule.kind))
        return out

    def records(
        self, html: str | bytes, url: str | None, *, source: str | None = None,
        fetched_at: str | None = None, deadline: Deadline | None = None,
    ) -> list[Document]:  # fmt: skip
        """The structured records of one page as documents (empty when no page type matches).
        With a ``deadline``, raises :class:`~thresher.extract.budget.PageTimeout` once it has
        passed (checked after parsing and before every record)."""
        tree = _parse(html)
        pt = self.page_type(tree, url)
        if pt is None or pt.records is None:
            return []
        rule = pt.records
        page_no = self.page_number(url)
        docs: list[Document] = []
        for index, node in enumerate(_unique(tree.css(rule.each))):
            if deadline is not None:
                deadline.check()
            values: dict[str, Any] = {}
            for name, f in rule.fields.items():
                values[name] = _read_field(node, f, url)
            # a thread record (a list page's row) names the thread it links to
            link = values.get("url") if rule.type == "thread" else url
            thread = self.thread_key(link if isinstance(link, str) else url)
            text = values.get(rule.text_field)
            if isinstance(text, list):
                text = "\n".join(str(t) for t in text)
            if not text:
                continue
            docs.append(
                Document(
                    text=str(text),
                    id=stable_id(url, source, pt.name, str(index)),
                    url=url,
                    source=f"{source}#{index}" if source else None,
                    fetched_at=fetched_at,
                    title=_scalar(values.get("title")),
                    author=_scalar(values.get("author")),
                    date=_scalar(values.get("date")),
                    metadata={
                        "recipe": self.name,
                        "page_type": pt.name,
                        "record_type": rule.type,
                        "thread": thread,
                        "page": page_no,
                        "position": index,
                        "fields": values,
                    },
                )
            )
        return docs


def _first_group(pattern: str | None, text: str | None) -> str | None:
    """The first group that matched of ``pattern`` searched in ``text`` (None otherwise)."""
    m = re.search(pattern, text) if pattern and text else None
    return next((g for g in m.groups() if g), None) if m else None


def _unique(nodes: list[LexborNode]) -> list[LexborNode]:
    """Elements in document order without the repeats a selector list can give."""
    seen: set[int] = set()
    out = []
    for n in nodes:
        if n.mem_id not in seen:
            seen.add(n.mem_id)
            out.append(n)
    return out


def _scalar(v: Any) -> str | None:
    if isinstance(v, list):
        return str(v[0]) if v else None
    return str(v) if v else None


def _parse(html: str | bytes) -> LexborHTMLParser:
    if isinstance(html, bytes):
        html, _ = decode_html(html)
    return LexborHTMLParser(html)


def _join(base: str | None, href: str) -> str:
    return safe_join(base, href)


_WS = re.compile(r"\s+")


def _without(node: LexborNode, exclude: list[str]) -> LexborNode:
    """A copy of the element without the parts matching ``exclude`` (quotes, signatures)."""
    node = node.clone()
    for sel in exclude:
        for n in node.css(sel):
            n.decompose()
    return node


def _date(value: str, fmt: str | None) -> str:
    """ISO 8601 for a date in the given strptime format or an ISO-like / RFC 2822 form."""
    if fmt:
        try:
            return datetime.strptime(_WS.sub(" ", value).strip(), fmt).isoformat()
        except ValueError:
            pass
    return iso8601(value) or value


def _xpath(node: LexborNode, f: FieldRule) -> list[str]:
    """XPath over the record element, parsed with lxml (only for fields that ask for it)."""
    import lxml.html

    root = lxml.html.fragment_fromstring(node.html or "<div></div>", create_parent="div")
    root = root[0] if len(root) else root
    out: list[str] = []
    try:
        results = root.xpath(f.xpath)
    except Exception as e:  # lxml raises XPathEvalError subclasses
        raise ConfigError(f"xpath {f.xpath!r}: {e}") from None
    for r in results if isinstance(results, list) else [results]:
        if isinstance(r, str):
            v = str(r)
        elif f.attr and hasattr(r, "get"):
            v = r.get(f.attr) or ""
        else:
            v = r.text_content() if hasattr(r, "text_content") else str(r)
        v = _WS.sub(" ", v).strip()
        if v:
            out.append(v)
        if out and not f.all:
            break
    return out


def _read_field(node: LexborNode, f: FieldRule, url: str | None) -> Any:
    values: list[str] = []
    if f.css:
        scope = _without(node, f.exclude) if f.exclude else node
        matches = _unique(scope.css(f.css)) if f.all else [m for m in [scope.css_first(f.css)] if m]
        for m in matches:
            v = m.attributes.get(f.attr) if f.attr else node_text(m)
            if v:
                values.append(v.strip())
    elif f.xpath:
        values = _xpath(node, f)
    if f.url:
        values = [_join(url, v) for v in values]
    if f.date or f.date_format:
        values = [_date(v, f.date_format) for v in values]
    if f.all:
        return values
    return values[0] if values else None
