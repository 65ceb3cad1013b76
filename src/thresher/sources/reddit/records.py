"""Submissions and comments as Reddit's JSON gives them (dumps and API alike), reduced to the
fields a thread needs, with the rules about what may be shown and what may answer.

A comment's ``status`` says what it is: ``ok``; ``deleted`` / ``removed`` (its text is gone:
Reddit shows ``[deleted]`` / ``[removed]``); ``bot`` (AutoModerator's notices). Only ``ok``
comments with a named author may be an answer or a turn of a conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: bodies Reddit puts in place of a text that is gone
GONE = {"[deleted]": "deleted", "[removed]": "removed"}
#: accounts whose comments are moderation notices, not replies
BOTS = frozenset({"automoderator"})


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def bare_id(value: Any) -> str:
    """``abc`` from ``t3_abc`` / ``t1_abc`` / ``abc``."""
    text = value if isinstance(value, str) else ""
    return text[3:] if text[2:3] == "_" and text[:1] == "t" else text


def author_of(value: Any) -> str | None:
    """The author's name; None for a deleted account (``[deleted]``) or none given."""
    name = _str(value).strip()
    return None if not name or name in GONE else name


def iso(seconds: int | None) -> str | None:
    """ISO 8601 UTC of a Unix time."""
    if seconds is None:
        return None
    try:  # isoformat: several times faster than strftime, and this runs for every comment
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None).isoformat("T") + "Z"
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(slots=True)
class Submission:
    """A post: a self post has ``text``; a link post has ``link`` (an outside URL)."""

    id: str
    subreddit: str
    title: str
    text: str
    author: str | None
    score: int | None
    created: int | None
    retrieved: int | None
    permalink: str
    is_self: bool
    link: str | None
    status: str  # ok, deleted, removed
    num_comments: int | None
    over_18: bool


def submission(raw: dict[str, Any]) -> Submission | None:
    """The submission a JSON object describes; None when it has no id."""
    sid = bare_id(raw.get("id") or raw.get("name"))
    if not sid:
        return None
    text = _str(raw.get("selftext"))
    status = GONE.get(text.strip(), "ok")
    if raw.get("removed_by_category") in ("moderator", "reddit", "automod_filtered"):
        status = "removed"
    is_self = bool(raw.get("is_self", not raw.get("url") or "/comments/" in _str(raw.get("url"))))
    subreddit = _str(raw.get("subreddit"))
    permalink = _str(raw.get("permalink")) or f"/r/{subreddit}/comments/{sid}/"
    return Submission(
        id=sid,
        subreddit=subreddit,
        title=_str(raw.get("title")).strip(),
        text="" if status != "ok" else text.strip(),
        author=author_of(raw.get("author")),
        score=_int(raw.get("score")),
        created=_int(raw.get("created_utc")),
        retrieved=_int(raw.get("retrieved_on") or raw.get("retrieved_utc")),
        permalink=permalink,
        is_self=is_self,
        link=None if is_self else _str(raw.get("url")) or None,
        status=status,
        num_comments=_int(raw.get("num_comments")),
        over_18=bool(raw.get("over_18")),
    )


def comment(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The fields of a comment a thread keeps (a small dict, stored on disk while grouping):
    ``id, link, parent`` (None for a top-level comment), ``author, score, created, text,
    status``. None when the object has no id or no submission."""
    cid = bare_id(raw.get("id") or raw.get("name"))
    link = bare_id(raw.get("link_id"))
    if not cid or not link:
        return None
    parent_raw = _str(raw.get("parent_id"))
    parent = None if not parent_raw or parent_raw.startswith("t3_") else bare_id(parent_raw)
    body = _str(raw.get("body")).strip()
    author = author_of(raw.get("author"))
    status = GONE.get(body, "ok")
    if status == "ok" and author is not None and author.lower() in BOTS:
        status = "bot"
    return {
        "id": cid,
        "link": link,
        "parent": parent,
        "author": author,
        "score": _int(raw.get("score")),
        "created": _int(raw.get("created_utc")),
        "text": body if status != "deleted" and status != "removed" else "",
        "status": status,
    }
