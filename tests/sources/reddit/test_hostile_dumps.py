"""Hostile Reddit dumps: a line too long to parse, a zstd bomb, in submission and comment
files alike; each is a counted skip and the dump goes on."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
import zstandard

from thresher.sources.reddit import lines
from thresher.sources.reddit.settings import RedditSettings
from thresher.sources.reddit.source import dump_threads
from thresher.stats import StepStats

from .dumps import post, reply, write_zst

MB = 1 << 20


@pytest.fixture
def small_lines(monkeypatch: pytest.MonkeyPatch) -> int:
    """A 1 MiB line limit, so a 30 MB line is over it."""
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", MB)
    return MB


def _long_line(n: int) -> bytes:
    return b'{"id": "huge", "subreddit": "AskScience", "selftext": "' + b"a" * n + b'"}\n'


def test_over_long_lines_are_skipped_in_both_dumps(tmp_path: Path, small_lines: int) -> None:
    rs = write_zst(
        tmp_path / "RS_2024-01.zst",
        [post("p1", "First question here", "Body one.")],
        extra_lines=[_long_line(30 * MB), json.dumps(post("p2", "Second one", "Two.")).encode()],
    )
    rc = write_zst(
        tmp_path / "RC_2024-01.zst",
        [reply("c1", "p1", "An answer to the first.")],
        extra_lines=[_long_line(5 * MB), json.dumps(reply("c2", "p2", "Answer two.")).encode()],
    )
    stats = StepStats("extract")
    pages = list(dump_threads([str(rs)], [str(rc)], RedditSettings(), stats))
    assert sorted(p.source.rsplit("#", 1)[1] for p in pages) == ["t3_p1", "t3_p2"]
    assert all(b"answer" in p.payload.lower() for p in pages)
    assert stats.counters["reddit_skip:line_too_long"] == 2
    assert "errors" not in stats.counters


def test_zstd_bomb_line_costs_time_not_memory(tmp_path: Path, small_lines: int) -> None:
    frame = zstandard.ZstdCompressor(level=3).compress(b"a" * (16 * MB))
    start = zstandard.ZstdCompressor().compress(b'{"id": "bomb", "selftext": "')
    good = json.dumps(post("p1", "A good question", "Body.")).encode()
    tail = zstandard.ZstdCompressor().compress(b'"}\n' + good + b"\n")
    rs = tmp_path / "RS_2024-02.zst"
    rs.write_bytes(start + frame * 8 + tail)  # a 128 MiB line in a few KB
    assert rs.stat().st_size < 100_000
    stats = StepStats("extract")
    tracemalloc.start()
    try:
        pages = list(dump_threads([str(rs)], [], RedditSettings(), stats))
        peak = tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()
    assert [p.source.rsplit("#", 1)[1] for p in pages] == ["t3_p1"]
    assert stats.counters["reddit_skip:line_too_long"] == 1
    assert peak < 24, f"{peak:.0f} MB held for a 128 MiB line under a 1 MiB limit"
