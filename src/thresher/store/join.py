"""Joining staged parts: several small parts, in order, become one part.

Refine and extract stage each shard's parts separately; when the shards are committed, runs of
small parts (the last part of each shard) are joined up to the part size, so the number and the
content of the final parts do not depend on where the shards ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from thresher.atomic import replacing

#: rough text-to-file size ratio per format, to tell when small parts together fill one part
RAW_PER_BYTE = {"jsonl": 1, "csv": 1, "jsonl.gz": 4, "jsonl.zst": 4, "parquet": 4}

U = TypeVar("U")


def raw_estimate(fmt: str, file_bytes: int) -> int:
    """Uncompressed bytes a part of ``file_bytes`` in ``fmt`` roughly holds."""
    return file_bytes * RAW_PER_BYTE.get(fmt, 4)


def pack(units: Sequence[U], size: Callable[[U], int], limit: int) -> list[list[U]]:
    """Consecutive ``units`` grouped, in order, so that no group's total size passes ``limit``
    (a unit larger than ``limit`` stays alone)."""
    groups: list[list[U]] = []
    total = 0
    for unit in units:
        n = size(unit)
        if groups and total + n <= limit:
            groups[-1].append(unit)
            total += n
        else:
            groups.append([unit])
            total = n
    return groups


def join_parts(srcs: Sequence[Path], dst: Path, fmt: str) -> None:
    """Write the documents of several parts, in order, as one part (atomic, fsynced)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with replacing(dst, fsync=True) as f:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            from thresher.store.parquet import parquet_writer

            writer = None
            for src in srcs:
                table = pq.read_table(src)
                if writer is None:
                    writer = parquet_writer(f, table.schema)
                writer.write_table(table)
            assert writer is not None
            writer.close()
        else:
            # JSONL lines, gzip members and zstd frames all concatenate; CSV keeps one header
            for n, src in enumerate(srcs):
                data = src.read_bytes()
                if fmt == "csv" and n:
                    data = data[data.index(b"\n") + 1 :]
                f.write(data)
