"""The last round of a refine run: staged parts into place (the dropped documents' too, with
their own manifest), the paragraph hashes merged, then the corpus manifest (the commit)."""

from __future__ import annotations

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
from thresher.store.join import place_finals, plan_finals
from thresher.store.markers import ShardSlots
from thresher.store.writers import sha256_file


def _markers(work: WorkFolder, n_shards: int) -> list[dict[str, Any]]:
    """Every shard's final-pass marker, in order."""
    infos = []
    for i in range(n_shards):
        info = work.final.done(i)
        if info is None:
            raise InputError(f"{work.final.marker(i)}: shard marker is missing; run again")
        infos.append(info)
    return infos


def _place(out: Path, slots: ShardSlots, infos: list[dict[str, Any]], key: str,
           output: OutputConfig) -> list[Part]:  # fmt: skip
    """The parts every shard staged (its marker's ``key``: ``parts`` or ``dropped``) into
    place in ``out``, numbered in shard order per folder, small ones joined."""
    staged = [[Part(**p) for p in info.get(key, [])] for info in infos]
    finals = plan_finals(staged, output_formats(output), output.part_bytes)
    return place_finals(out, slots.stage, finals)


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
    infos = _markers(work, n_shards)
    parts = _place(out, work.final, infos, "parts", output)
    stats = merge_stats([[StepStats.from_dict(s) for s in info["stats"]] for info in infos])
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
        write_manifest(
            out / DROPPED,
            kind="dropped",
            inputs=[str(f) for f in files],
            parts=_place(out / DROPPED, work.dropped, infos, "dropped", output),
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
