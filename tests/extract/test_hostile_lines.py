"""JSONL readers against over-long lines: linear time, bounded memory, a counted skip."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest

from thresher.store import formats
from thresher.store.formats import iter_lines, split_lines
from thresher.store.readers import DocumentReader, count_documents

MB = 1 << 20


def test_split_lines_joins_pieces_and_marks_long_lines() -> None:
    chunks = [b"ab", b"c\nde", b"f\n", b"x" * 10, b"y\nlast"]
    assert list(split_lines(chunks, 6)) == [b"abc", b"def", None, b"last"]
    assert list(split_lines([b"a\n\nb\n"], 6)) == [b"a", b"", b"b"]
    assert list(split_lines([b"1234567\n12", b"3"], 6)) == [None, b"123"]
    assert list(split_lines([b"12345", b"67"], 6)) == [None]


def test_a_long_line_is_read_in_linear_time_within_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b'{"text": "' + b"a" * (30 * MB) + b'"}\n{"text": "after"}\n')
    got = [len(line) for line in iter_lines(path)]  # 64 KB chunks: 480 pieces, joined once
    assert got == [30 * MB + 12, 17]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_line_over_the_limit_is_a_counted_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setattr(formats, "MAX_LINE_BYTES", MB)
    data = b'{"text": "first"}\n{"text": "' + b"a" * (30 * MB) + b'"}\n{"text": "last"}\n'
    path = tmp_path / f"docs{suffix}"
    path.write_bytes(gzip.compress(data, 1) if suffix.endswith(".gz") else data)
    reader = DocumentReader([path])
    tracemalloc.start()
    try:
        docs = list(reader)
        peak = tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()
    assert [d.text for d in docs] == ["first", "last"]
    assert reader.stats.dropped == {"line_too_long": 1}
    assert docs[1].source == f"{path}:3"
    assert peak < 16, f"{peak:.0f} MB held for a 30 MB line under a 1 MiB limit"
    assert count_documents(path) == 3
