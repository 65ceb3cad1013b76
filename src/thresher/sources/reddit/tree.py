"""One thread document from a submission and its comments (dumps and API alike).

The text is the title, the post's text, then every comment's text, depth first, replies in
order of score (then time). What is gone is not shown: a ``[deleted]`` or ``[removed]``
comment adds no line, but its replies keep their place; AutoModerator's notices (the same
rule reminders in thousands of threads) are left out of the text. Comments whose parent is
not in the inputs follow the rooted tree. ``metadata.tree`` keeps every node with its
author, score, time and status, which :mod:`thresher.ship.threads` reads as a conversation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from thresher.document import stable_id
from thresher.sources.page import Page
from thresher.sources.reddit.records import Submission, iso

SITE = "https://www.reddit.com"
#: metadata.record_type of a document that holds its own comment tree
RECORD_TYPE = "thread_tree"


def document_id(submission_id: str) -> str:
    """The same id for a thread whether it came from a dump or from the API."""
    return stable_id("reddit", f"t3_{submission_id}")


def _order(c: dict[str, Any]) -> tuple[int, int, str]:
    return (-(c.get("score") or 0), c.get("created") or 0, c["id"])


def ordered_nodes(sub: Submission, comments: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tree as a list: the submission first, then comments depth first (parents before
    replies, replies by score), then subtrees whose parent is missing."""
    root = f"t3_{sub.id}"
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    ids: set[str] = set()
    for c in comments:
        node = {
            "id": f"t1_{c['id']}",
            "parent": f"t1_{c['parent']}" if c.get("parent") else root,
            "author": c.get("author"),
            "score": c.get("score"),
            "created": c.get("created"),
            "text": c.get("text") or "",
            "status": c.get("status") or "ok",
        }
        children[node["parent"]].append(node)
        ids.add(node["id"])
    for group in children.values():
        group.sort(key=_order)
    head = {
        "id": root,
        "parent": None,
        "author": sub.author,
        "score": sub.score,
        "created": sub.created,
        "text": "\n\n".join(t for t in (sub.title, sub.text) if t),
        "status": sub.status,
    }
    missing = sorted(p for p in children if p != root and p not in ids)  # parents not given
    out: list[dict[str, Any]] = []
    for group in [[head], *(children[p] for p in missing)]:
        stack = list(reversed(group))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(children.get(node["id"], [])))
    for node in out:
        node["date"] = iso(node.pop("created"))
    return out


def thread_text(nodes: list[dict[str, Any]]) -> str:
    """Lines of the submission and of every comment that is shown (status ``ok``)."""
    lines: list[str] = []
    for node in nodes:
        if node["status"] != "ok":
            continue
        lines.extend(line.strip() for line in node["text"].splitlines() if line.strip())
    return "\n".join(lines)


def thread_page(sub: Submission, comments: Iterable[dict[str, Any]], source: str) -> Page:
    """The thread as a text page whose fields and metadata become the document's."""
    nodes = ordered_nodes(sub, comments)
    meta: dict[str, Any] = {
        "record_type": RECORD_TYPE,
        "site": "reddit",
        "subreddit": sub.subreddit,
        "reddit_id": f"t3_{sub.id}",
        "score": sub.score,
        "num_comments": sub.num_comments,
        "comments": len(nodes) - 1,
        "over_18": sub.over_18,
        "tree": nodes,
    }
    if sub.link:
        meta["link"] = sub.link
    return Page(
        source=source,
        url=SITE + sub.permalink if sub.permalink.startswith("/") else sub.permalink,
        fetched_at=iso(sub.retrieved),
        payload=thread_text(nodes).encode("utf-8"),
        kind="text",
        metadata=meta,
        fields={
            "id": document_id(sub.id),
            "title": sub.title or None,
            "author": sub.author,
            "date": iso(sub.created),
        },
    )
