"""``thresher export``: every format read back with its standard reader (json, csv,
pyarrow, xml.etree, fastavro), nested fields kept, files streamed, and the usual guarantees:
atomic, nothing written for no document, broken lines counted, a WARC refused in one line."""

from __future__ import annotations

import csv
import json
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import fastavro
import pyarrow.parquet as pq
import pytest

from tests.core.test_outputs import make_warc, one_error_line, thresher
from tests.refine.helpers import write_jsonl
from thresher.store import read_documents
from thresher.store.export import export

LINKS = [{"url": "https://a.example/x", "text": "X", "internal": False},
         {"url": "https://a.example/y", "text": None, "internal": True}]  # fmt: skip
IMAGES = [{"src": "https://a.example/i.png", "alt": "a chart"}]


def _records() -> list[dict[str, Any]]:
    return [
        {"id": "plain", "url": "https://a.example/1", "text": "First line.\nSecond, \"quoted\".",
         "title": "A & B <c>", "language": "en", "perplexity": 123.5,
         "metadata": {"links": LINKS, "images": IMAGES, "http_status": 200,
                      "nested": {"deep": [1, 2.5, True, None, "s"]}, "2 bad key": "v"}},
        # odd shapes: links with an unknown key, a number where a string belongs, a control
        # character XML cannot hold, no metadata at all
        {"id": "odd", "text": "bell \x07 here", "title": 42,
         "metadata": {"links": [{"href": "/z", "rel": "next"}], "images": "none"}},
        {"id": "bare", "text": "nothing else"},
    ]  # fmt: skip


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "in" / "docs.jsonl", _records())


def _by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows}


def test_json_array_and_jsonl_keep_everything(docs: Path, tmp_path: Path) -> None:
    original = {d.id: d.to_dict() for d in read_documents(docs)}
    assert export([docs], tmp_path / "o.json") == 3
    with open(tmp_path / "o.json", encoding="utf-8") as f:
        array = json.load(f)
    assert isinstance(array, list) and _by_id(array) == original
    assert export([docs], tmp_path / "o.jsonl") == 3
    lines = (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()
    assert _by_id([json.loads(line) for line in lines]) == original
    assert original["plain"]["metadata"]["links"] == LINKS


def test_csv_has_json_strings_for_nested_fields(docs: Path, tmp_path: Path) -> None:
    export([docs], tmp_path / "o.csv")
    with open(tmp_path / "o.csv", encoding="utf-8", newline="") as f:
        rows = _by_id(list(csv.DictReader(f)))
    assert json.loads(rows["plain"]["metadata"])["links"] == LINKS
    assert rows["plain"]["text"] == 'First line.\nSecond, "quoted".'
    assert rows["plain"]["perplexity"] == "123.5" and rows["bare"]["perplexity"] == ""
    assert json.loads(rows["bare"]["metadata"]) == {}


def test_parquet_has_typed_links_and_images(docs: Path, tmp_path: Path) -> None:
    export([docs], tmp_path / "o.parquet")
    table = pq.read_table(tmp_path / "o.parquet")
    assert str(table.schema.field("links").type) == (
        "list<element: struct<url: string, text: string, internal: bool>>"
    )
    rows = _by_id(table.to_pylist())
    assert rows["plain"]["links"] == LINKS and rows["plain"]["images"] == IMAGES
    rest = json.loads(rows["plain"]["metadata"])
    assert rest == {"http_status": 200, "nested": {"deep": [1, 2.5, True, None, "s"]},
                    "2 bad key": "v"}  # fmt: skip
    # items of another shape stay in the JSON string: nothing is lost
    assert rows["odd"]["links"] is None
    assert json.loads(rows["odd"]["metadata"])["links"] == [{"href": "/z", "rel": "next"}]
    assert rows["odd"]["title"] == "42" and rows["plain"]["perplexity"] == 123.5


def test_avro_has_its_schema_and_records(docs: Path, tmp_path: Path) -> None:
    export([docs], tmp_path / "o.avro")
    with open(tmp_path / "o.avro", "rb") as f:
        reader = fastavro.reader(f)
        schema = reader.writer_schema
        rows = _by_id(list(reader))
    assert schema["name"] == "org.thresher.Document"
    assert [f["name"] for f in schema["fields"]][:3] == ["id", "url", "source"]
    assert rows["plain"]["links"] == LINKS and rows["plain"]["images"] == IMAGES
    assert json.loads(rows["plain"]["metadata"])["nested"] == {"deep": [1, 2.5, True, None, "s"]}
    assert rows["odd"]["text"] == "bell \x07 here" and rows["bare"]["links"] is None


def _xml_value(el: ET.Element) -> Any:
    kind = el.get("type")
    if el.get("nil") == "true":
        return None
    if kind == "object":
        return {c.get("name", c.tag): _xml_value(c) for c in el}
    if kind == "array":
        return [_xml_value(c) for c in el]
    if kind == "integer":
        return int(el.text or "")
    if kind == "number":
        return float(el.text or "")
    if kind == "boolean":
        return el.text == "true"
    return el.text or ""


def test_xml_keeps_the_structure(docs: Path, tmp_path: Path) -> None:
    original = {d.id: d.to_dict() for d in read_documents(docs)}
    export([docs], tmp_path / "o.xml")
    root = ET.parse(tmp_path / "o.xml").getroot()
    assert root.tag == "documents" and len(root) == 3
    rows = _by_id([{c.tag: _xml_value(c) for c in d} for d in root])
    assert rows["plain"] == original["plain"]  # nested metadata, odd keys, numbers and nulls
    assert rows["odd"]["text"] == "bell \ufffd here"  # XML 1.0 cannot hold U+0007
    assert rows["odd"]["title"] == 42 and rows["bare"]["metadata"] == {}


def test_format_option_wins_over_the_extension(docs: Path, tmp_path: Path) -> None:
    proc = thresher("export", docs, "-o", tmp_path / "o.dat", "--format", "parquet")
    assert proc.returncode == 0, proc.stderr
    assert pq.read_table(tmp_path / "o.dat").num_rows == 3


def test_bad_formats_are_one_line(docs: Path, tmp_path: Path) -> None:
    one_error_line(thresher("export", docs, "-o", tmp_path / "o.txt"), "o.txt", "--format")
    one_error_line(thresher("export", docs, "-o", tmp_path / "o.x", "-f", "yaml"), "yaml")
    assert not list(tmp_path.glob("o.*"))


def test_no_document_and_warc_write_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{broken\n[1]\n", encoding="utf-8")
    for ext in ("json", "xml", "avro", "parquet"):
        out = tmp_path / f"o.{ext}"
        one_error_line(thresher("export", bad, "-o", out), "no document could be read")
        assert not out.exists()
    warc = make_warc(tmp_path / "a.warc.gz")
    one_error_line(thresher("export", warc, "-o", tmp_path / "o.json"), "WARC", "thresher extract")
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary file


def test_broken_lines_are_counted(docs: Path, tmp_path: Path) -> None:
    with open(docs, "a", encoding="utf-8") as f:
        f.write("{broken\n")
    proc = thresher("export", docs, "-o", tmp_path / "o.xml")
    assert proc.returncode == 0, proc.stderr
    assert "wrote 3 documents" in proc.stdout and "invalid_json 1" in proc.stdout


@pytest.mark.parametrize("ext", ["json", "xml", "avro", "jsonl", "parquet"])
def test_export_streams(tmp_path: Path, ext: str) -> None:
    """40 MB of text exported with well under that much memory held at once."""
    text = "word " * 400  # 2 KB
    src = tmp_path / "big.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for i in range(20_000):
            f.write(json.dumps({"id": str(i), "text": text, "metadata": {"links": LINKS}}) + "\n")
    tracemalloc.start()
    try:
        assert export([src], tmp_path / f"o.{ext}") == 20_000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 25_000_000, f"{ext}: peak {peak / 1e6:.1f} MB"
