"""CSV files as document input, and the check that a file is what its suffix says.

A CSV file's header names its fields; empty cells are missing values. thresher's own CSV
export reads back as documents (``metadata`` is a JSON string there, scores are numbers).
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from thresher.errors import InputError
from thresher.store.formats import format_of, open_binary_reader

_NUMBERS = ("language_score", "perplexity")
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.zst")
_PARQUET_MAGIC = b"PAR1"

# a document is one cell: the csv module's default limit (128 KiB) is far too small
csv.field_size_limit(2**31 - 1)


def is_csv(path: str | Path) -> bool:
    return str(path).lower().endswith(_CSV_SUFFIXES)


def csv_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """The rows of a CSV file (plain, gzip or zstd by magic bytes) as dicts."""
    with (
        open_binary_reader(path) as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
    ):
        for row in csv.DictReader(text):
            record: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items() if k}
            for name in _NUMBERS:
                value = record.get(name)
                if isinstance(value, str):
                    with contextlib.suppress(ValueError):
                        record[name] = float(value)
            yield record


def check_suffix(path: Path) -> None:
    """Refuse, in one line, a local file whose bytes contradict its suffix (a Parquet file
    named .jsonl or .csv, a .parquet file that is not Parquet); damage inside a file of the
    right kind is a counted skip of the reader instead."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    if not head:
        return
    parquet_name = format_of(path) == "parquet"
    if parquet_name and head != _PARQUET_MAGIC:
        raise InputError(f"{path}: not a Parquet file (no PAR1 header); rename it to its format")
    if not parquet_name and head == _PARQUET_MAGIC and (format_of(path) or is_csv(path)):
        raise InputError(f"{path}: is a Parquet file, not {_kind(path)}; rename it to .parquet")


def _kind(path: Path) -> str:
    return "CSV" if is_csv(path) else "JSON lines"
