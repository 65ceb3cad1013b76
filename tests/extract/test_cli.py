"""``thresher extract`` end to end: files in, parts + manifest + stats out."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from thresher.cli import main
from thresher.store import read_documents

from .warcs import page, warc_record, write_warc


def _warc(tmp_path: Path) -> Path:
    recs = [
        warc_record("http://example.com/1", page("One", "First page text.")),
        warc_record("http://example.com/2", b"gone", status="404 Not Found"),
        warc_record("http://example.com/3", page("Three", "Third page text.")),
    ]
    path = tmp_path / "in.warc.gz"
    write_warc(path, recs, "gzip")
    return path


def test_cli_writes_documents_and_stats(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["extract", str(_warc(tmp_path)), "-o", str(out), "--markdown"]) == 0
    docs = list(read_documents([out]))
    assert sorted(d.title or "" for d in docs) == ["One", "Three"]
    # the title is a field of its own; the body starts after the <h1> that repeats it
    starts = sorted((d.markdown or "")[:15] for d in docs)
    assert starts == ["First page text", "Third page text"]
    stats = json.loads((out / "stats.json").read_text())["steps"][0]
    assert stats["name"] == "extract" and stats["kept"] == 2
    assert stats["dropped"] == {"non_200_status": 1}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == 2


def test_cli_parquet(tmp_path: Path) -> None:
    out = tmp_path / "pq"
    assert main(["extract", str(_warc(tmp_path)), "-o", str(out), "--format", "parquet"]) == 0
    (part,) = list(out.glob("*.parquet"))
    assert pq.read_table(part).num_rows == 2


def test_cli_missing_input_is_one_line_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["extract", str(tmp_path / "nope.warc"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.warc" in err[0]
