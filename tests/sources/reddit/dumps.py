"""Reddit dump files for tests: zstd with a 2 GiB window (``--long=31``, as Pushshift and
Arctic Shift write them), one JSON object per line, with Reddit's field names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zstandard

T0 = 1704067200  # 2024-01-01T00:00:00Z


def write_zst(path: Path, objects: list[Any], *, extra_lines: Sequence[bytes] = ()) -> Path:
    """Write ``objects`` (and raw ``extra_lines``) as one long-window zstd frame."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31)
    lines = [json.dumps(o).encode() + b"\n" for o in objects] + list(extra_lines)
    stream = zstandard.ZstdCompressor(compression_params=params).compressobj()  # size unknown:
    out = []  # the frame keeps its 2 GiB window; a block every 100 lines, as in big dumps
    for i in range(0, len(lines), 100):
        out.append(stream.compress(b"".join(lines[i : i + 100])))
        out.append(stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))
    path.write_bytes(b"".join(out) + stream.flush())
    return path


def post(
    pid: str,
    title: str,
    text: str,
    *,
    sub: str = "AskScience",
    author: str = "alice",
    at: int = T0 + 3600,
    score: int = 10,
    link: str | None = None,
) -> dict[str, Any]:
    """A submission as the dumps hold it (a self post unless ``link`` is given)."""
    return {
        "id": pid,
        "name": f"t3_{pid}",
        "subreddit": sub,
        "title": title,
        "selftext": "" if link else text,
        "author": author,
        "score": score,
        "created_utc": at,
        "retrieved_on": at + 86400,
        "is_self": link is None,
        "url": link or f"https://www.reddit.com/r/{sub}/comments/{pid}/x/",
        "permalink": f"/r/{sub}/comments/{pid}/x/",
        "num_comments": 0,
        "over_18": False,
        "link_flair_text": None,
        "gilded": 0,
        "stickied": False,
    }


def reply(
    cid: str,
    pid: str,
    body: str,
    *,
    parent: str | None = None,
    author: str = "carol",
    score: int = 1,
    at: int = T0 + 7200,
    sub: str = "AskScience",
) -> dict[str, Any]:
    """A comment on submission ``pid`` (top level unless ``parent`` names a comment)."""
    return {
        "id": cid,
        "name": f"t1_{cid}",
        "link_id": f"t3_{pid}",
        "parent_id": f"t1_{parent}" if parent else f"t3_{pid}",
        "subreddit": sub,
        "author": author,
        "body": body,
        "score": score,
        "created_utc": at,
        "retrieved_on": at + 86400,
        "controversiality": 0,
        "distinguished": None,
    }


def sky_thread() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One question with a good answer, the asker's follow-up and its answer; a deleted
    comment and a removed one with the highest scores, AutoModerator, a reply under the
    deleted comment; plus a link post."""
    posts = [
        post("a1", "Why is the sky blue?", "I always wondered why the daytime sky is blue."),
        post("a2", "My cat", "", author="bob", link="https://i.imgur.com/cat.jpg"),
    ]
    comments = [
        reply("c1", "a1", "Rayleigh scattering: short wavelengths scatter much more.", score=50),
        reply(
            "c2", "a1", "Your post must follow the rules below.", author="AutoModerator", score=500
        ),
        reply(
            "c3",
            "a1",
            "Thanks! But why is it not violet then?",
            parent="c1",
            author="alice",
            score=5,
            at=T0 + 7300,
        ),
        reply("c4", "a1", "[deleted]", author="[deleted]", score=99),
        reply(
            "c5",
            "a1",
            "Our eyes are much less sensitive to violet light.",
            parent="c3",
            author="dave",
            score=7,
            at=T0 + 7400,
        ),
        reply("c6", "a1", "[removed]", author="mallory", score=80),
        reply("c7", "a1", "A reply kept under a deleted comment.", parent="c4", author="erin"),
    ]
    return posts, comments
