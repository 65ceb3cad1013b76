"""Joining staged parts: several small parts, in order, become one part.

Refine and extract stage each shard's parts separately; when the shards are committed, runs of
small parts (the last part of each shard) are joined up to the part size, so the number and the
content of the final parts do not depend on where the shards ran.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from thresher.atomic import replacing
from thresher.errors import OutputError
from thresher.store.writers import Part, sha256_file

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


@dataclass(frozen=True)
class Final:
    """One final part: its path (under its partition folders), its format and the staged
    parts it is made of, in order (``(shard, part)``; one: moved as it is, several: joined)."""

    path: str
    fmt: str
    sources: tuple[tuple[int, Part], ...]


def plan_finals(
    shards: Sequence[Sequence[Part]], formats: Sequence[str], part_bytes: int
) -> list[Final]:
    """The final parts of a run from every shard's staged parts (``shards[i]``, paths
    relative to shard ``i``'s stage): folder by folder (sorted), numbered in shard order,
    runs of small consecutive parts joined up to ``part_bytes``, every format of a unit
    together. The same plan for a local folder and an object store."""
    units: dict[str, list[tuple[int, dict[str, Part]]]] = {}
    for i, parts in enumerate(shards):
        by_stem: dict[str, dict[str, Part]] = {}
        for p in parts:
            folder, _, name = p.path.rpartition("/")  # a folder's name may hold dots
            stem, fmt = name.split(".", 1)
            by_stem.setdefault(f"{folder}/{stem}", {})[fmt] = p
        for key in sorted(by_stem):
            units.setdefault(key.rsplit("/", 1)[0], []).append((i, by_stem[key]))
    primary = formats[0]
    finals = []
    for folder in sorted(units):
        groups = pack(
            units[folder], lambda u: raw_estimate(primary, u[1][primary].bytes), part_bytes
        )
        for n, group in enumerate(groups):
            name = f"{folder}/part-{n:05d}" if folder else f"part-{n:05d}"
            finals.extend(
                Final(f"{name}.{fmt}", fmt, tuple((i, u[fmt]) for i, u in group))
                for fmt in formats
                if fmt in group[0][1]
            )
    return finals


def place_finals(out: Path, stages: Callable[[int], Path], finals: Sequence[Final]) -> list[Part]:
    """Put every final part in place in ``out`` from the shards' stages (``stages(i)``): one
    staged part is moved, several are joined. A part already in place from a commit killed
    half-way (written atomically, its sources gone) is kept, so a commit can be run again."""
    placed = []
    for final in finals:
        dst = out / final.path
        srcs = [stages(i) / p.path for i, p in final.sources]
        missing = [s for s in srcs if not s.is_file()]
        if missing and not dst.is_file():
            raise OutputError(f"{missing[0]}: staged part is missing; remove {out} and run again")
        if len(srcs) == 1:
            if not missing:
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(srcs[0], dst)
            p = final.sources[0][1]
            placed.append(Part(final.path, p.sha256, p.documents, p.bytes))
            continue
        if not dst.is_file():
            join_parts(srcs, dst, final.fmt)
        docs = sum(p.documents for _, p in final.sources)
        placed.append(Part(final.path, sha256_file(dst), docs, dst.stat().st_size))
    return placed


def already_placed(out: Path, stages: Callable[[int], Path], finals: Sequence[Final]) -> list[Path]:
    """The final parts a killed commit moved into place already (kept when the folder's
    earlier output is removed)."""
    return [
        out / f.path
        for f in finals
        if len(f.sources) == 1 and not (stages(f.sources[0][0]) / f.sources[0][1].path).is_file()
    ]
