"""chunks and sft run on the stage runner: several workers give the same bytes as one, a run
writes to a bucket (a real S3-compatible server on 127.0.0.1) and verifies there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.test_object_storage import BUCKET, s3  # noqa: F401 - the S3 server fixture
from thresher.cli import main
from thresher.store import verify


def _inputs(tmp_path: Path, files: int = 3) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for f in range(files):
        rows = [
            {"id": f"d{f}-{i}", "url": f"https://site.example/{f}/{i}", "language": "en",
             "text": f"# Part {f} {i}\n\n" + "Words of a paragraph here. " * 30}
            for i in range(4)
        ]  # fmt: skip
        (folder / f"part-{f:05d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_chunks_with_two_workers_writes_the_bytes_one_writes(tmp_path: Path) -> None:
    docs = _inputs(tmp_path)
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["chunks", str(docs), "-o", str(one), "--max-tokens", "50"]) == 0
    assert main(["chunks", str(docs), "-o", str(two), "--max-tokens", "50", "-w", "2"]) == 0
    assert (one / "part-00000.jsonl").read_bytes() == (two / "part-00000.jsonl").read_bytes()
    assert verify(two).ok
    steps = json.loads((two / "stats.json").read_text())["steps"]
    read = next(s for s in steps if s["name"] == "read")
    assert read["counters"]["files"] == 3 and read["kept"] == 12


def test_chunks_into_a_bucket(
    tmp_path: Path,
    s3: dict[str, str],  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    docs = _inputs(tmp_path)
    url = f"s3://{BUCKET}/rows/chunks"
    assert main(["chunks", str(docs), "-o", url, "--max-tokens", "50"]) == 0
    assert verify(url).ok
    capsys.readouterr()
    assert main(["chunks", str(docs), "-o", url, "--max-tokens", "50"]) == 0
    assert "already complete" in capsys.readouterr().out
