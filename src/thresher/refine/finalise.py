"""The last round of a refine run: staged parts into place (the dropped documents' too, with
their own manifest), the paragraph hashes merged, then the corpus manifest (the commit)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from thresher.errors import InputError
from thresher.pipeline.base import Step
from thresher.refine.config import RefineConfig
from thresher.refine.paragraph_hashes import HASHES, merge_hashes
from thresher.refine.result import RefineResult, result_of_folder
from thresher.refine.work import DROPPED, WorkFolder, output_formats
from thresher.stats import StepStats, merge_stats
from thresher.store import Part, write_manifest
from thresher.store.config import OutputConfig
from thresher.store.join import join_parts, pack, raw_estimate
from thresher.store.markers import ShardSlots
from thresher.store.writers import sha256_file

#: one staged unit of a folder: (shard, {format: staged part as in the shard's marker})
_Unit = tuple[int, dict[str, dict[str, Any]]]


def _ext(path: str) -> str:
    return path.rsplit("/", 1)[-1].split(".", 1)[1]


def _staged_units(
    work: WorkFolder, n_shards: int, key: str = "parts"
) -> tuple[list[list[StepStats]], dict[str, list[_Unit]]]:
    """Every shard's stats, and the staged units (of the marker's ``key``: ``parts`` or
    ``dropped``) per folder in shard order."""
    groups: list[list[StepStats]] = []
    units: dict[str, list[_Unit]] = {}
    for i in range(n_shards):
        info = work.final.done(i)
        if info is None:
            raise InputError(f"{work.final.marker(i)}: shard marker is missing; run again")
        groups.append([StepStats.from_dict(s) for s in info["stats"]])
        staged: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}
        for p in info.get(key, []):
            folder, name = p["path"].rsplit("/", 1) if "/" in p["path"] else ("", p["path"])
            index = int(name.split("-", 1)[1].split(".", 1)[0])
            staged.setdefault((folder, index), {})[_ext(p["path"])] = p
        for folder, index in sorted(staged):
            units.setdefault(folder, []).append((i, staged[(folder, index)]))
    return groups, units


def _place(out: Path, slots: ShardSlots, rel: str, group: list[_Unit], fmt: str) -> Part:
    """Final part ``rel`` from one staged part (moved) or several (joined); a part already
    in place from a killed finalise (written atomically) is kept."""
    dst = out / rel
    srcs = [slots.stage(i) / u[fmt]["path"] for i, u in group]
    missing = [s for s in srcs if not s.is_file()]
    if missing and not dst.is_file():
        raise InputError(f"{missing[0]}: staged part is missing; remove {out} and run again")
    if len(group) == 1:
        p = group[0][1][fmt]
        if not missing:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(srcs[0], dst)
        return Part(rel, sha256=p["sha256"], documents=p["documents"], bytes=p["bytes"])
    if not dst.is_file():
        join_parts(srcs, dst, fmt)
    docs = sum(u[fmt]["documents"] for _, u in group)
    return Part(rel, sha256=sha256_file(dst), documents=docs, bytes=dst.stat().st_size)


def _place_all(
    out: Path, slots: ShardSlots, units: dict[str, list[_Unit]], output: OutputConfig
) -> list[Part]:
    """Every folder's staged units into place in ``out``, runs of small ones joined."""
    primary = output_formats(output)[0]
    parts: list[Part] = []
    for folder in sorted(units):
        packed = pack(
            units[folder],
            lambda u: raw_estimate(primary, u[1][primary]["bytes"]),
            output.part_bytes,
        )
        for new_index, group in enumerate(packed):
            for fmt in group[0][1]:
                name = f"part-{new_index:05d}.{fmt}"
                parts.append(_place(out, slots, f"{folder}/{name}" if folder else name, group, fmt))
    return parts


def _buckets_applied(
    template: list[Step], calibrations: dict[int, dict[str, Any]], stats: dict[str, StepStats]
) -> dict[str, Any] | None:
    """The perplexity cutoffs the run applied (the manifest's ``buckets``: its calibration),
    with the languages scored but not bucketed and why; None without a buckets step."""
    from thresher.refine.buckets import Buckets

    for j, step in enumerate(template):
        if isinstance(step, Buckets):
            st = stats.get(step.stats.name)
            state = calibrations.get(j)
            out = step.applied(state, st.counters if st is not None else {})
            lm = stats.get("perplexity")
            for key, n in sorted((lm.counters if lm is not None else {}).items()):
                lang = key.split(":", 1)[1] if key.startswith("no_model:") else None
                if lang is not None and n:
                    out["not_bucketed"][lang] = {"documents": int(n), "reason": "no language model"}
            return out
    return None


def _hash_entry(path: Path) -> dict[str, Any]:
    size = path.stat().st_size
    return {"path": path.name, "bytes": size, "sha256": sha256_file(path), "count": size // 8}


def finalise(
    out: Path,
    work: WorkFolder,
    files: list[Path | str],
    n_shards: int,
    config: RefineConfig,
    output: OutputConfig,
    fingerprint: str,
    merge_counters: dict[int, dict[str, Any]],
    template: list[Step],
    calibrations: dict[int, dict[str, Any]],
) -> RefineResult:
    """Move staged parts into place, numbered in shard order, joining runs of small parts (the
    last part of each shard in a folder) up to the part size; then write the manifest.

    Idempotent: a finalise killed half-way is done again from the staged parts, and a final
    part already in place (written atomically) is kept."""
    groups, units = _staged_units(work, n_shards)
    parts = _place_all(out, work.final, units, output)
    stats = merge_stats(groups)
    by_name = {s.name: s for s in stats}
    for j, counters in merge_counters.items():
        st = by_name.get(template[j].stats.name)
        if st is not None:
            for key, value in counters.items():
                st.counters[key] += int(value)
    extra: dict[str, Any] = {"fingerprint": fingerprint}
    buckets = _buckets_applied(template, calibrations, by_name)
    if buckets is not None:
        extra["buckets"] = buckets
    if output.keep_dropped:
        _, dropped_units = _staged_units(work, n_shards, "dropped")
        write_manifest(
            out / DROPPED,
            kind="dropped",
            inputs=[str(f) for f in files],
            parts=_place_all(out / DROPPED, work.dropped, dropped_units, output),
            stats=stats,
            extra={"fingerprint": fingerprint},
        )
        extra["dropped"] = DROPPED
    hash_files = [work.hashes(i) for i in range(n_shards)]
    missing = [h for h in hash_files if not h.is_file()]
    if missing and not (out / HASHES).is_file():
        raise InputError(f"{missing[0]}: staged paragraph hashes are missing; run again")
    if not missing:
        extra["hashes"] = merge_hashes(hash_files, out / HASHES, config.dedup.memory_mb)
    else:  # merged by a finalise killed before the manifest (the staged files are gone)
        extra["hashes"] = _hash_entry(out / HASHES)
    write_manifest(
        out,
        kind="refine",
        config=config.model_dump(mode="json", exclude={"workers", "executor"}),
        inputs=[str(f) for f in files],
        parts=parts,
        stats=stats,
        extra=extra,
    )
    work.remove()
    result = result_of_folder(out)
    result.stats = stats
    return result
