"""Threads and posts: what forum recipe records and other sources' threads (Reddit's comment
trees) become before they are turned into instruction-tuning examples.

Any source can produce :class:`Thread` objects directly; :func:`threads_from_records` builds
them from the documents ``thresher extract --recipe`` writes: post records are grouped by
their ``metadata.thread`` across paginated topic pages and ordered by page and position; a
thread record (a list page's row) adds the title and the expected number of replies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from thresher.document import Document
from thresher.refine.normalize import dedup_key
from thresher.stats import StepStats

_NUMBER = re.compile(r"-?\d[\d,.]*")
#: "bob wrote:" / "Quote from bob:" lines that introduce a quotation
_QUOTE_INTRO = re.compile(
    r"^\s*(?:quote from\s+)?(\S.{0,60}?)\s+(?:wrote|said|schrieb|a écrit)\s*:"
)


@dataclass
class Post:
    """One post of a thread; ``position`` is its index in the thread (0: the question)."""

    text: str
    author: str | None
    position: int = 0
    id: str | None = None
    url: str | None = None
    date: str | None = None
    score: float | None = None  # votes, likes: the highest-scored reply is an answer
    accepted: bool = False  # marked as the solution by the asker or a moderator
    quotes: list[str] = field(default_factory=list)  # quoted passages the source kept apart
    language: str | None = None
    bucket: str | None = None
    images: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


@dataclass
class Thread:
    """A question and its replies. ``first_post_seen`` is False when the page holding the
    first post was not among the inputs; ``expected_posts`` comes from the forum's list page
    when it was (None otherwise)."""

    id: str
    posts: list[Post]
    title: str | None = None
    url: str | None = None
    source: str | None = None  # the recipe or source name
    first_post_seen: bool = True
    expected_posts: int | None = None

    def __post_init__(self) -> None:
        for i, post in enumerate(self.posts):
            post.position = i  # the index in the thread, whatever the source said


def number(value: Any) -> float | None:
    """A count or score from a field value (``"12 likes"`` -> 12.0); None when there is none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        value = value[0] if value else ""
    m = _NUMBER.search(str(value))
    if m is None:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no")
    return bool(value)


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def post_from_record(doc: Document, position: int) -> Post:
    """A post from one recipe post record (fields ``score``, ``accepted`` and ``quote`` are
    read when the recipe gives them)."""
    fields = doc.metadata.get("fields") or {}
    return Post(
        text=doc.text,
        author=(doc.author or "").strip() or None,
        position=position,
        id=doc.id,
        url=doc.url,
        date=doc.date,
        score=number(fields.get("score")),
        accepted=_flag(fields.get("accepted")),
        quotes=_strings(fields.get("quote")),
        language=doc.language,
        bucket=doc.bucket,
        images=_strings(fields.get("images")),
        links=_strings(fields.get("links")),
    )


def threads_from_records(docs: Iterable[Document], stats: StepStats) -> Iterator[Thread]:
    """Group recipe records into threads (in order of first appearance).

    Records that are neither posts nor threads are counted (``not_a_forum_record``); a post
    record seen twice (the same page fetched twice) is used once (``repeated_post``).
    """
    posts: dict[str, dict[tuple[int, int], Document]] = {}
    listed: dict[str, Document] = {}
    for doc in docs:
        meta = doc.metadata
        kind = meta.get("record_type")
        if kind == TREE_RECORD:  # a whole thread in one document (Reddit)
            yield thread_from_tree(doc)
            continue
        thread = meta.get("thread") or doc.url
        if kind not in ("post", "thread") or not thread:
            stats.count("not_a_forum_record")
            continue
        if kind == "thread":
            listed.setdefault(str(thread), doc)
            continue
        key = (_int(meta.get("page")), _int(meta.get("position")))
        group = posts.setdefault(str(thread), {})
        if key in group:
            stats.count("repeated_post")
            continue
        group[key] = doc
    for thread_id, group in posts.items():
        ordered = [group[k] for k in sorted(group)]
        first_page = min(group)[0]
        row = listed.get(thread_id)
        replies = number(row.metadata.get("fields", {}).get("replies")) if row else None
        title = (row.text if row else None) or ordered[0].title
        yield Thread(
            id=thread_id,
            posts=[post_from_record(d, i) for i, d in enumerate(ordered)],
            title=title,
            url=ordered[0].url,
            source=str(ordered[0].metadata.get("recipe") or "") or None,
            first_post_seen=first_page == 0,
            expected_posts=int(replies) + 1 if replies is not None else None,
        )


#: ``metadata.record_type`` of a document that holds its whole comment tree
TREE_RECORD = "thread_tree"


def thread_from_tree(doc: Document) -> Thread:
    """A conversation from a document's ``metadata.tree`` (nodes with ``id, parent, author,
    score, date, text, status``; the first node is the question). The posts are the
    question, the best-scored top-level reply by another author (the only post given a
    score, so it is the answer), then down its branch the asker's best reply (a user turn)
    and the best reply to that by someone else, and so on. Only nodes whose status is
    ``ok`` with an author and text take part (never deleted, removed or bot comments)."""
    nodes = [n for n in doc.metadata.get("tree") or [] if isinstance(n, dict)]
    root = nodes[0] if nodes else {"id": doc.id, "author": doc.author, "text": doc.text}
    asker = root.get("author")
    replies: dict[Any, list[dict[str, Any]]] = {}
    for n in nodes[1:]:
        if n.get("status", "ok") == "ok" and n.get("author") and str(n.get("text") or "").strip():
            replies.setdefault(n.get("parent"), []).append(n)

    def best(parent: Any, by_asker: bool) -> dict[str, Any] | None:
        mine = [n for n in replies.get(parent, []) if (n["author"] == asker) == by_asker]
        return min(mine, key=lambda n: -(number(n.get("score")) or 0.0), default=None)

    path = [root]
    node = best(root.get("id"), False)
    while node is not None:
        path.append(node)
        node = best(node.get("id"), len(path) % 2 == 0)  # answer, asker, answer, ...

    def post(n: dict[str, Any], i: int) -> Post:
        return Post(
            text=str(n.get("text") or ""), author=n.get("author"), id=n.get("id"),
            url=doc.url, date=n.get("date"), score=number(n.get("score")) if i == 1 else None,
            language=doc.language, bucket=doc.bucket,
        )  # fmt: skip

    return Thread(
        id=str(doc.metadata.get("reddit_id") or doc.id),
        posts=[post(n, i) for i, n in enumerate(path)],
        title=doc.title,
        url=doc.url,
        source=str(doc.metadata.get("site") or "") or None,
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def without_quotes(post: Post, earlier: Iterable[Post]) -> str:
    """The post's own words: quoted passages the source kept apart, Markdown/e-mail quote
    lines (``> ...``), "X wrote:" introductions and lines copied verbatim from earlier posts
    are removed."""
    text = post.text
    for quote in post.quotes:
        if quote.strip():
            text = text.replace(quote.strip(), "")
    seen = {dedup_key(line) for p in earlier for line in p.text.split("\n")}
    seen.discard(b"")
    authors = {(p.author or "").lower() for p in earlier} - {""}
    kept: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(">") or dedup_key(stripped) in seen:
            continue
        intro = _QUOTE_INTRO.match(stripped)
        if intro and (intro.group(1).lower() in authors or stripped.endswith(":")):
            continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
