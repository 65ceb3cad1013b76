"""Streaming writers of the export formats: JSON (one array), JSONL, CSV, Parquet, XML, Avro.

Each writer gets an open binary file and one document at a time, and holds at most one
Parquet row group or Avro block in memory. Nested values keep their structure where the
format has one: JSON and JSONL natively, XML as elements, Parquet and Avro with ``links``
and ``images`` as lists of typed records. The rest of ``metadata`` is a JSON string in
Parquet and Avro: its keys and their types differ from document to document, and a streamed
file fixes its schema before the first document is written. A ``links`` or ``images`` list
whose items do not have the usual shape stays inside that JSON string, so nothing is lost.
"""

from __future__ import annotations

import csv
import io
import re
from typing import IO, Any, Protocol
from xml.sax.saxutils import escape, quoteattr

import orjson
import pyarrow as pa

from thresher.document import FIELDS, Document
from thresher.store.parquet import RowGroupWriter
from thresher.store.schema import dumps_metadata

EXPORT_FORMATS = ("json", "jsonl", "csv", "parquet", "xml", "avro")

_SCALARS = tuple(f for f in FIELDS if f != "metadata")
_FLOATS = {"language_score", "perplexity"}
#: the typed nested fields of Parquet and Avro: field name -> item keys and their types
_NESTED = {
    "links": {"url": "string", "text": "string", "internal": "boolean"},
    "images": {"src": "string", "alt": "string"},
}
_ROW_GROUP_ROWS = 5_000


class ExportWriter(Protocol):
    documents: int

    def write(self, doc: Document) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str)


def split_nested(meta: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]] | None], str]:
    """``links`` and ``images`` as typed lists (when every item has the usual shape) and the
    rest of the metadata as a JSON string."""
    typed: dict[str, list[dict[str, Any]] | None] = {}
    rest = dict(meta)
    for name, keys in _NESTED.items():
        items = meta.get(name)
        if isinstance(items, list) and all(
            isinstance(i, dict) and set(i) <= set(keys) and all(_fits(i[k], keys[k]) for k in i)
            for i in items
        ):
            typed[name] = [{k: i.get(k) for k in keys} for i in items]
            del rest[name]
        else:
            typed[name] = None
    return typed, dumps_metadata(rest)


def _fits(value: Any, kind: str) -> bool:
    if value is None:
        return True
    return isinstance(value, bool) if kind == "boolean" else isinstance(value, str)


class _Plain:
    """Writers whose unfinished output needs no clean-up (the temporary file goes)."""

    def abort(self) -> None:
        pass


class JsonLinesWriter(_Plain):
    """One JSON object per line, nested fields as JSON."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.documents = 0

    def write(self, doc: Document) -> None:
        self.out.write(_json(doc.to_dict()) + b"\n")
        self.documents += 1

    def close(self) -> None:
        pass


class JsonArrayWriter(_Plain):
    """One JSON array of objects, written element by element (never held whole)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.documents = 0

    def write(self, doc: Document) -> None:
        self.out.write(b"[\n" if self.documents == 0 else b",\n")
        self.out.write(_json(doc.to_dict()))
        self.documents += 1

    def close(self) -> None:
        self.out.write(b"\n]\n" if self.documents else b"[]\n")


class CsvWriter(_Plain):
    """A header row of the record's fields; nested values as JSON strings."""

    def __init__(self, out: IO[bytes]) -> None:
        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        self.csv = csv.writer(self.text)
        self.csv.writerow(FIELDS)
        self.documents = 0

    def write(self, doc: Document) -> None:
        row = []
        for name in FIELDS:
            value = getattr(doc, name)
            if value is None:
                row.append("")
            elif isinstance(value, dict | list):
                row.append(_json(value).decode())
            else:
                row.append(str(value))
        self.csv.writerow(row)
        self.documents += 1

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


def _arrow_nested(keys: dict[str, str]) -> pa.DataType:
    types = {"string": pa.string(), "boolean": pa.bool_()}
    return pa.list_(pa.struct([pa.field(k, types[t]) for k, t in keys.items()]))


PARQUET_SCHEMA = pa.schema(
    [pa.field(f, pa.float64() if f in _FLOATS else pa.string()) for f in _SCALARS]
    + [pa.field(name, _arrow_nested(keys)) for name, keys in _NESTED.items()]
    + [pa.field("metadata", pa.string(), metadata={"encoding": "json"})],
    metadata={"thresher.record": "document", "thresher.export": "links/images typed"},
)


def _row(doc: Document) -> dict[str, Any]:
    typed, rest = split_nested(doc.metadata)
    row = {f: _scalar(f, getattr(doc, f)) for f in _SCALARS}
    row.update(typed)
    row["metadata"] = rest
    return row


def _scalar(name: str, value: Any) -> Any:
    """A field's value in its column type (a record read from loose JSONL may hold a number
    where a string belongs); a value that is no number in a float column is null."""
    if value is None:
        return None
    if name in _FLOATS:
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )
    return value if isinstance(value, str) else _json(value).decode()


class ParquetExportWriter:
    """Row groups of at most :data:`_ROW_GROUP_ROWS` documents (:mod:`thresher.store.parquet`)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.writer: RowGroupWriter[dict[str, Any]] = RowGroupWriter(
            out, PARQUET_SCHEMA, max_rows=_ROW_GROUP_ROWS
        )
        self.documents = 0

    def write(self, doc: Document) -> None:
        self.writer.write(_row(doc))
        self.documents += 1

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        self.writer.abort()


def _avro_nested(name: str, keys: dict[str, str]) -> dict[str, Any]:
    item = {
        "type": "record",
        "name": name.capitalize().rstrip("s"),
        "fields": [{"name": k, "type": ["null", t], "default": None} for k, t in keys.items()],
    }
    return {"name": name, "type": ["null", {"type": "array", "items": item}], "default": None}


AVRO_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Document",
    "namespace": "org.thresher",
    "doc": "A thresher document; metadata (without links and images) is a JSON string.",
    "fields": [
        {"name": f, "type": ["null", "double" if f in _FLOATS else "string"], "default": None}
        for f in _SCALARS
    ]
    + [_avro_nested(name, keys) for name, keys in _NESTED.items()]
    + [{"name": "metadata", "type": "string", "default": "{}"}],
}


class AvroWriter(_Plain):
    """An Avro object container file (schema in its header), deflate blocks."""

    def __init__(self, out: IO[bytes]) -> None:
        from fastavro import parse_schema
        from fastavro.write import Writer

        self.writer = Writer(out, parse_schema(AVRO_SCHEMA), codec="deflate")
        self.documents = 0

    def write(self, doc: Document) -> None:
        self.writer.write(_row(doc))
        self.documents += 1

    def close(self) -> None:
        self.writer.flush()


# XML 1.0 allows tab, newline, carriage return and U+0020 upwards, minus surrogates and two
# non-characters: anything else (a stray control character in a page) becomes U+FFFD
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _xml_text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def xml_element(tag: str, value: Any) -> str:
    """``value`` as an element: objects hold one element per key (``<field name="...">`` for
    a key that is not an XML name), lists hold ``<item>`` elements, null is ``nil="true"``;
    numbers and booleans carry a ``type`` attribute so a reader can restore them."""
    if _XML_NAME.match(tag) and not tag.lower().startswith("xml"):
        open_tag, close_tag = f"<{tag}", f"</{tag}>"
    else:
        name = quoteattr(_NOT_XML.sub("\ufffd", tag))
        open_tag, close_tag = f"<field name={name}", "</field>"
    if value is None:
        return f'{open_tag} nil="true"/>'
    if isinstance(value, dict):
        inner = "".join(xml_element(str(k), v) for k, v in value.items())
        return f'{open_tag} type="object">{inner}{close_tag}'
    if isinstance(value, list | tuple):
        inner = "".join(xml_element("item", v) for v in value)
        return f'{open_tag} type="array">{inner}{close_tag}'
    if isinstance(value, bool):
        return f'{open_tag} type="boolean">{"true" if value else "false"}{close_tag}'
    if isinstance(value, int | float):
        kind = "integer" if isinstance(value, int) else "number"
        return f'{open_tag} type="{kind}">{value!r}{close_tag}'
    return f"{open_tag}>{_xml_text(str(value))}{close_tag}"


class XmlWriter(_Plain):
    """``<documents><document>...</document>...</documents>``, one element per field."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<documents>\n')
        self.documents = 0

    def write(self, doc: Document) -> None:
        fields = "".join(xml_element(name, getattr(doc, name)) for name in FIELDS)
        self.out.write(f"<document>{fields}</document>\n".encode())
        self.documents += 1

    def close(self) -> None:
        self.out.write(b"</documents>\n")


WRITERS: dict[str, type[ExportWriter]] = {
    "json": JsonArrayWriter,
    "jsonl": JsonLinesWriter,
    "csv": CsvWriter,
    "parquet": ParquetExportWriter,
    "xml": XmlWriter,
    "avro": AvroWriter,
}

#: file name endings and the format they choose
EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".xml": "xml",
    ".avro": "avro",
}
