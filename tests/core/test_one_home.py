"""Shared utilities that used to be written several times now have one home each: compression
sniffing (archive/compression.py), archive sniffing (archive/__init__.py), Parquet writing
(store/parquet.py), SHA-1 to 64 bits (hashing.py), validation errors of a config file
(config_file.py). These tests pin what each home does and that no second copy creeps back
into src/."""

from __future__ import annotations

import gzip
from pathlib import Path

import lz4.frame
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from thresher.archive import archive_kind
from thresher.archive.compression import ARCHIVE_CODECS, detect_compression
from thresher.config import load_config
from thresher.errors import ConfigError
from thresher.execute.config import resolve_executor
from thresher.extract.recipes.loader import parse_recipe
from thresher.store.formats import open_binary_reader
from thresher.store.parquet import COMPRESSION, RowGroupWriter
from thresher.store.sniff import sniff

SRC = Path(__file__).resolve().parents[2] / "src" / "thresher"
WARC = b"WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\n"
COMPRESS = {
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
    "lz4": lz4.frame.compress,
    "none": lambda b: b,
}


def _sources(*literals: str) -> list[str]:
    """The src/ files (relative) whose text holds any of ``literals``."""
    return sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if any(lit in p.read_text(encoding="utf-8") for lit in literals)
    )


@pytest.mark.parametrize("codec", list(COMPRESS))
def test_detect_compression_by_first_bytes(codec: str) -> None:
    data = COMPRESS[codec](WARC)
    assert detect_compression(data) == codec
    archive = codec if codec in ARCHIVE_CODECS else "none"
    assert detect_compression(data, ARCHIVE_CODECS) == archive  # zstd is no archive codec


def test_detect_compression_of_short_or_empty_heads() -> None:
    assert detect_compression(b"") == "none"
    assert detect_compression(b"\x1f") == "none"  # one byte of the gzip magic is not gzip
    assert detect_compression(b"\x28\xb5\x2f") == "none"


@pytest.mark.parametrize("codec", list(COMPRESS))
def test_sniff_and_reader_see_through_every_codec(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "a.warc"
    path.write_bytes(COMPRESS[codec](WARC))
    assert sniff(path) == "warc"
    if codec != "lz4":  # document files are plain, gzip or zstd
        with open_binary_reader(path) as f:
            assert f.read() == WARC


def test_magic_bytes_are_written_in_one_place() -> None:
    magic = ['b"\\x1f\\x8b"', 'b"\\x28\\xb5\\x2f\\xfd"', 'b"\\x04\\x22\\x4d\\x18"']
    assert _sources(*magic) == ["archive/compression.py"]
    # what a WARC or ARC file starts with: archive_kind (the WARC reader checks each record)
    assert _sources('startswith(b"filedesc://")', '.startswith((b"WARC/"') == [
        "archive/__init__.py"
    ]


@pytest.mark.parametrize("codec", list(COMPRESS))
def test_archive_kind_through_every_sniffer(tmp_path: Path, codec: str) -> None:
    arc = tmp_path / "a.arc"
    arc.write_bytes(COMPRESS[codec](b"filedesc://a.arc 0.0.0.0 20260101000000 text/plain 9\n"))
    assert sniff(arc) == "arc"
    assert archive_kind(b"WARC/1.0\r\n") == "warc" and archive_kind(b"<html>") == "other"


SCHEMA = pa.schema([("n", pa.int64())])


def _groups(path: Path) -> list[int]:
    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


def test_row_groups_end_at_max_rows_or_max_bytes(tmp_path: Path) -> None:
    by_rows = RowGroupWriter[dict[str, int]](tmp_path / "r.parquet", SCHEMA, max_rows=4)
    for n in range(10):
        by_rows.write({"n": n})
    by_rows.close()
    assert _groups(tmp_path / "r.parquet") == [4, 4, 2]
    assert pq.read_table(tmp_path / "r.parquet").column("n").to_pylist() == list(range(10))
    meta = pq.ParquetFile(tmp_path / "r.parquet").metadata.row_group(0).column(0)
    assert meta.compression.lower() == COMPRESSION

    with open(tmp_path / "b.parquet", "wb") as f:  # an open file as the sink stays open
        by_bytes = RowGroupWriter[dict[str, int]](f, SCHEMA, max_rows=100, max_bytes=10)
        for n, size in enumerate([4, 4, 4, 9, 1, 1]):
            by_bytes.write({"n": n}, size)
        by_bytes.close()
        assert not f.closed
    assert _groups(tmp_path / "b.parquet") == [3, 2, 1]  # 4+4+4, 9+1, 1


def test_a_writer_without_rows_writes_the_schema_once_and_abort_writes_nothing(
    tmp_path: Path,
) -> None:
    empty = RowGroupWriter[dict[str, int]](tmp_path / "e.parquet", SCHEMA)
    empty.close()
    empty.close()  # a second close does nothing
    assert pq.read_table(tmp_path / "e.parquet").schema.names == ["n"]
    assert _groups(tmp_path / "e.parquet") == []

    dropped = RowGroupWriter[dict[str, int]](tmp_path / "d.parquet", SCHEMA, max_rows=2)
    dropped.write({"n": 1})
    dropped.abort()  # nothing was flushed: the file was never opened
    dropped.close()
    assert not (tmp_path / "d.parquet").exists()


def test_parquet_files_are_opened_in_one_place() -> None:
    assert _sources("pq.ParquetWriter(", "ParquetWriter(") == ["store/parquet.py"]


def test_64_bit_hashes_are_defined_in_one_place() -> None:
    assert _sources('[:8], "little")', "digest()[:8]") == ["hashing.py"]


def test_config_errors_read_alike_wherever_they_come_from(tmp_path: Path) -> None:
    """A pipeline file, the executor settings and a recipe: 'WHERE: KEY: WHAT (and N more)'."""
    bad = tmp_path / "p.yaml"
    bad.write_text("crawl: {speed: 1, sedes: 2}\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"p\.yaml: crawl\.\w+: unknown key \(and 1 more problem\)$"
    ):
        load_config(bad)
    with pytest.raises(ConfigError, match=r"^executor: kind: .* \(and 1 more problem\)$"):
        resolve_executor(kind="spark", workers=0)
    with pytest.raises(ConfigError, match=r"^r\.yaml: pages\.0\.recordz: unknown key \(and 1 more"):
        parse_recipe({"name": "x", "pages": [{"name": "p", "recordz": {}, "zz": 1}]}, "r.yaml")
    # settings_base.checked names the same errors by their command-line option instead
    assert _sources(".errors()[0]") == ["config_file.py", "settings_base.py"]
