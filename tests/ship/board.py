"""A small phpBB-style board written as HTML pages (and a WARC of them) for the SFT tests.

Every topic is a list of pages of posts ``(author, text, extra)``; ``extra`` may hold a
``score``, ``accepted`` flag or a ``quote`` (a blockquote of an earlier post). The forum list
page names each topic and its reply count, as phpBB's ``dd.posts`` does.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.extract.warcs import warc_record, write_warc
from thresher.extract.recipes import BUILTIN

BASE = "https://board.example.org"
PER_PAGE = 10


@dataclass
class Topic:
    title: str
    pages: list[list[tuple[str | None, str, dict[str, Any]]]]
    replies: int | None = None  # as the list page says; default: the posts given - 1
    skip_pages: set[int] = field(default_factory=set)  # pages left out of the WARC


def post_html(pid: int, author: str | None, text: str, extra: dict[str, Any]) -> str:
    who = f'<a href="./memberlist.php?u={author}" class="username">{author}</a>' if author else ""
    quote = ""
    if "quote" in extra:
        quoted_author, quoted = extra["quote"]
        quote = (
            f"<blockquote><div><cite>{quoted_author} wrote:</cite>{html.escape(quoted)}"
            "</div></blockquote>"
        )
    score = f'<span class="score">{extra["score"]} points</span>' if "score" in extra else ""
    accepted = '<span class="accepted">Solution</span>' if extra.get("accepted") else ""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n"))
    return (
        f'<div id="p{pid}" class="post"><div class="inner">'
        f'<dl class="postprofile"><dt>{who}</dt></dl><div class="postbody">'
        f'<h3><a href="#p{pid}">post {pid}</a></h3>'
        f'<p class="author">by <strong>{who}</strong> '
        f'<time datetime="2024-03-01T10:00:00+00:00">Mar 1</time></p>{score}{accepted}'
        f'<div class="content">{quote}{body}</div></div></div></div>'
    )


def board_pages(topics: dict[int, Topic]) -> dict[str, str]:
    """Path and query → HTML of the forum list page and every topic page (but the skipped
    ones); a topic page links to the next one as phpBB does."""
    rows = "".join(
        '<li class="row"><dl class="row-item"><dt><div class="list-inner">'
        f'<a href="./viewtopic.php?t={t}" class="topictitle">{html.escape(topic.title)}</a>'
        '</div></dt><dd class="posts">'
        f"{topic.replies if topic.replies is not None else sum(map(len, topic.pages)) - 1}"
        " <dfn>Replies</dfn></dd></dl></li>"
        for t, topic in topics.items()
    )
    pages = {
        "/viewforum.php?f=2": (
            f'<html><body><ul class="topiclist topics">{rows}</ul></body></html>'
        )
    }
    pid = 1
    for t, topic in topics.items():
        for n, posts in enumerate(topic.pages):
            body = ""
            for author, text, extra in posts:
                body += post_html(pid, author, text, extra)
                pid += 1
            if n + 1 < len(topic.pages):
                body += (
                    '<div class="pagination"><ul><li class="next"><a rel="next" '
                    f'href="./viewtopic.php?t={t}&amp;start={(n + 1) * PER_PAGE}">Next</a>'
                    "</li></ul></div>"
                )
            if n in topic.skip_pages:
                continue
            path = f"/viewtopic.php?t={t}" + (f"&start={n * PER_PAGE}" if n else "")
            pages[path] = (
                f"<html><head><title>{topic.title}</title></head><body>{body}</body></html>"
            )
    return pages


def board_records(topics: dict[int, Topic]) -> list[bytes]:
    """WARC records of :func:`board_pages` as served from :data:`BASE`."""
    return [warc_record(BASE + path, page.encode()) for path, page in board_pages(topics).items()]


def write_board(path: Path, topics: dict[int, Topic]) -> Path:
    write_warc(path, board_records(topics), "gzip")
    return path


def scored_recipe(path: Path) -> Path:
    """The built-in phpBB recipe plus ``score`` and ``accepted`` post fields (a board with a
    voting extension): a custom recipe as a user would write one."""
    data = yaml.safe_load((BUILTIN / "phpbb.yaml").read_text())
    data["name"] = "phpbb-votes"
    topic = next(p for p in data["pages"] if p["name"] == "topic")
    topic["records"]["fields"]["score"] = {"css": "span.score"}
    topic["records"]["fields"]["accepted"] = {"css": "span.accepted"}
    path.write_text(yaml.safe_dump(data))
    return path
