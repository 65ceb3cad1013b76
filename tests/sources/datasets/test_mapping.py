"""Records of any layout as documents: FieldMap, and JSONL / CSV / Parquet files read with it."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thresher.document import Document
from thresher.errors import InputError
from thresher.store import DocumentReader
from thresher.store.mapping import FieldMap, field_map
from thresher.store.readers import iter_document_files

from .helpers import partner_records

MAP = FieldMap(text="body", id="uid", url="meta.url", title="headline")


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_fields_and_the_rest_in_metadata() -> None:
    record = partner_records()[0]
    doc = MAP.to_document(record)
    assert doc.text == record["body"]
    assert (doc.id, doc.url, doc.title) == ("en-0", "https://en.example/0", "en 0")
    # what the mapping did not take stays, nested objects without the taken key
    assert doc.metadata == {"meta": {"votes": 0}, "lang_hint": "en"}
    assert record["meta"] == {"url": "https://en.example/0", "votes": 0}  # input untouched


def test_dotted_paths_lists_and_emptied_objects() -> None:
    fm = FieldMap(text="turns.1.text", url="a.b.c")
    doc = fm.to_document({"turns": [{"text": "q"}, {"text": "answer"}], "a": {"b": {"c": "u"}}})
    assert (doc.text, doc.url) == ("answer", "u")
    # the taken value is not kept twice; a list keeps its length (positions mean something)
    assert doc.metadata == {"turns": [{"text": "q"}, {}]}
    # a key that itself holds a dot wins over the path
    assert FieldMap(text="x.y").to_document({"x.y": "flat", "x": {"y": "deep"}}).text == "flat"


def test_missing_id_is_stable_from_the_content() -> None:
    fm = FieldMap(text="body", url="link")
    a = fm.to_document({"body": "same text", "link": "https://a.example/"})
    b = fm.to_document({"body": "same text", "link": "https://a.example/", "other": 1})
    c = fm.to_document({"body": "other text", "link": "https://a.example/"})
    assert a.id == b.id != c.id
    assert fm.to_document({"body": "same text"}).id == fm.to_document({"body": "same text"}).id


def test_values_become_strings_and_dates_iso() -> None:
    fm = FieldMap(text="t", id="n", date="when")
    doc = fm.to_document({"t": "x", "n": 7, "when": dt.datetime(2024, 5, 1, 12, 30)})
    assert (doc.id, doc.date) == ("7", "2024-05-01T12:30:00")


@pytest.mark.parametrize("record", [{"uid": 1}, {"body": None}, {"body": ""}, {"body": 3}])
def test_no_text_is_a_value_error(record: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="body"):
        MAP.to_document(record)


def test_options_over_the_yaml_mapping() -> None:
    assert field_map() is None
    base = FieldMap(text="body", id="uid")
    assert field_map(base=base) is base
    merged = field_map(url="link", base=base)
    assert merged is not None and (merged.text, merged.id, merged.url) == ("body", "uid", "link")
    assert field_map(id="k") == FieldMap(id="k")  # text stays "text"


def _read(path: Path, fields: FieldMap | None = MAP) -> tuple[list[Document], DocumentReader]:
    reader = DocumentReader([path], fields=fields)
    return list(reader), reader


def test_jsonl_gz_with_a_mapping_counts_records_without_text(tmp_path: Path) -> None:
    path = tmp_path / "partner.jsonl.gz"
    lines = [json.dumps(r) for r in partner_records()] + ['{"uid": "x"}', "not json", "[1]"]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    docs, reader = _read(path)
    assert [d.id for d in docs] == [r["uid"] for r in partner_records()]
    assert docs[0].source == f"{path}:1"
    assert dict(reader.stats.dropped) == {"no_text": 1, "invalid_json": 1, "not_an_object": 1}
    assert (reader.stats.seen, reader.stats.kept) == (12, 9)


def test_csv_with_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "partner.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["uid", "body", "meta.url", "note"])
        w.writerow(["a1", "First line\nsecond line, with a comma", "https://x.example/1", ""])
        w.writerow(["a2", "", "https://x.example/2", "empty text"])
        w.writerow(["a3", "x" * 300_000, "https://x.example/3", "long"])  # over csv's 128 KiB
    docs, reader = _read(path, FieldMap(text="body", id="uid", url="meta.url"))
    assert [d.id for d in docs] == ["a1", "a3"]
    assert docs[0].text == "First line\nsecond line, with a comma"
    assert docs[0].url == "https://x.example/1" and docs[0].metadata == {"note": None}
    assert len(docs[1].text) == 300_000 and docs[1].source == f"{path}#3"
    assert dict(reader.stats.dropped) == {"no_text": 1}


def test_thresher_csv_export_reads_back_without_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "docs.csv"
    path.write_text(
        "id,url,text,language_score,metadata\n"
        'd1,https://e.example/,Hello there,0.93,"{""k"": 1}"\n',
        encoding="utf-8",
    )
    (doc,), _ = _read(path, None)
    assert (doc.id, doc.language_score, doc.metadata) == ("d1", 0.93, {"k": 1})


def test_parquet_of_another_schema_with_nested_columns(tmp_path: Path) -> None:
    path = tmp_path / "partner.parquet"
    table = pa.table(
        {
            "content": ["one document", "two documents", None],
            "info": [{"link": "https://p.example/1"}, {"link": None}, {"link": "u"}],
            "published": pa.array([dt.date(2024, 1, 2)] * 3, pa.date32()),
            "stars": [5, 4, 3],
        }
    )
    pq.write_table(table, path)
    fields = FieldMap(text="content", url="info.link", date="published")
    docs, reader = _read(path, fields)
    assert [(d.text, d.url, d.date) for d in docs] == [
        ("one document", "https://p.example/1", "2024-01-02"),
        ("two documents", None, "2024-01-02"),
    ]
    assert docs[0].metadata == {"stars": 5} and docs[0].source == f"{path}#1"
    assert dict(reader.stats.dropped) == {"no_text": 1}


def test_a_file_that_is_not_what_its_suffix_says(tmp_path: Path) -> None:
    parquet = tmp_path / "real.parquet"
    pq.write_table(pa.table({"text": ["a"]}), parquet)
    named_jsonl = tmp_path / "data.jsonl"
    named_jsonl.write_bytes(parquet.read_bytes())
    named_csv = tmp_path / "data.csv"
    named_csv.write_bytes(parquet.read_bytes())
    fake = tmp_path / "fake.parquet"
    fake.write_text('{"text": "json, not parquet"}\n')
    for path, needle in [
        (named_jsonl, "is a Parquet file, not JSON lines"),
        (named_csv, "is a Parquet file, not CSV"),
        (fake, "not a Parquet file"),
    ]:
        with pytest.raises(InputError, match=needle) as err:
            list(iter_document_files([path]))
        assert str(path) in str(err.value) and "\n" not in str(err.value)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "part.parquet").write_bytes(b"garbage, not parquet")
    with pytest.raises(InputError, match="not a Parquet file"):
        list(iter_document_files([folder]))  # also inside a folder
    assert list(iter_document_files([parquet])) == [parquet]
