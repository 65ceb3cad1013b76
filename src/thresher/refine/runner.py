"""``refine()``: run the refine steps over document files into a corpus folder, resumably.

Each input file is a *shard*, the unit of parallel work and of resume (with more workers than
files, files are cut into document ranges, one shard each). The run goes through
rounds, each recorded in a hidden work folder (``DIR/.refine-work``) so that a killed run picks
up where it stopped:

1. for every :class:`~thresher.refine.corpus_step.CorpusStep` (paragraph dedup first): a scan
   of every shard, then one merge;
2. for every :class:`~thresher.refine.corpus_step.Calibrated` step: a sample of documents run
   through the steps before it, whose calibration is saved once for all workers;
3. the final pass: each shard through all steps, written to its own staging folder;
4. finalise: staged parts move to ``DIR/<language>/<bucket>/part-NNNNN.<ext>`` numbered in
   shard order (small last parts of consecutive shards joined up to the part size), then
   ``manifest.json`` and ``stats.json`` are written and the work folder goes.

A finished shard is never redone; a second run on a finished folder with the same inputs and
settings does nothing; with other inputs or settings it stops with an error.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from thresher.atomic import write_json
from thresher.document import Document
from thresher.errors import InputError, NothingToDoError
from thresher.execute.choose import make_executor
from thresher.execute.config import ExecutorConfig, legacy_keys, resolve_executor
from thresher.output import lock_folder
from thresher.pipeline.base import Step
from thresher.refine.config import RefineConfig
from thresher.refine.corpus_step import Calibrated, CorpusStep
from thresher.refine.steps import build_steps
from thresher.stats import StepStats, merge_stats
from thresher.store import CorpusWriter, DocumentReader, Part, read_manifest, write_manifest
from thresher.store.config import OutputConfig
from thresher.store.folder import check_published, prior_run, remove_output
from thresher.store.join import join_parts, pack, raw_estimate
from thresher.store.manifest import read_stats
from thresher.store.readers import iter_document_files
from thresher.store.remote import (
    RemoteFolder,
    is_remote,
    local_copy,
    local_path,
    remote_identity,
)
from thresher.store.sniff import wrong_kind_hint
from thresher.store.writers import sha256_file

WORK = ".refine-work"
DEFAULT_BUCKET = "all"
_PROGRESS_EVERY = 2000
_MIN_SHARD_DOCS = 1000

#: set by refine() when shards run in this process, to report progress inside a shard
_progress_hook: Callable[[int], None] | None = None


@dataclass
class RefineResult:
    """What a refine run produced."""

    out_dir: Path | str  # a URL for a corpus in an object store
    documents: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    folders: dict[str, int] = field(default_factory=dict)
    stats: list[StepStats] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    skipped: bool = False  # True when the folder was already complete


@dataclass(frozen=True)
class Shard:
    """A unit of work: the documents ``start`` to ``stop`` (``None``: the end) of one file."""

    path: str
    start: int = 0
    stop: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "start": self.start, "stop": self.stop}

    def read(self, limit: int | None = None) -> tuple[DocumentReader, Iterator[Document]]:
        """A reader (for its stats) and the shard's documents, at most ``limit`` of them.

        Documents before ``start`` are parsed and skipped; a shard that does not reach the end
        of its file reports no read drops (the file's last shard reports them all)."""
        reader = DocumentReader([self.path])
        stop = self.stop
        if limit is not None:
            stop = self.start + limit if stop is None else min(stop, self.start + limit)
        docs = reader.read_file(self.path if is_remote(self.path) else Path(self.path))
        if self.start or stop is not None:
            docs = islice(docs, self.start, stop)
        return reader, docs

    def read_stats(self, reader: DocumentReader, documents: int) -> StepStats:
        """The ``read`` stats of this shard alone."""
        st = StepStats("read")
        if self.start == 0:
            st.counters["files"] = 1
        if self.stop is None:
            st.dropped.update(reader.stats.dropped)
            st.counters.update(
                {k: v for k, v in reader.stats.counters.items() if k.startswith("error")}
            )
        st.kept = documents
        st.seen = documents + sum(st.dropped.values())
        return st


@dataclass(frozen=True)
class _Task:
    config: RefineConfig
    output: OutputConfig
    work: str
    shard: int
    source: Shard
    round: int  # index of the CorpusStep to scan; -1 for the final pass
    calibration: dict[int, dict[str, Any]]


def _formats(output: OutputConfig) -> list[str]:
    formats = list(dict.fromkeys(output.formats))
    if output.csv and "csv" not in formats:
        formats.append("csv")
    return formats


def _fingerprint(files: list[Path | str], config: RefineConfig, output: OutputConfig) -> str:
    """Identifies a run: same inputs (path, size, content) and same settings (workers aside).

    Content, not modification time: inputs rewritten with the same bytes (a rerun of a
    deterministic extract) are the same run. An object-store input counts by its URL, size
    and the store's tag of its content (ETag), without reading it."""
    h = hashlib.sha256()
    h.update(config.model_dump_json(exclude={"workers", "executor"}).encode())
    h.update(json.dumps([_formats(output), output.part_bytes]).encode())
    for p in files:
        if is_remote(p):
            h.update(f"{remote_identity(str(p))}\n".encode())
        else:
            path = Path(p)
            h.update(f"{path.resolve()}\0{path.stat().st_size}\0{sha256_file(path)}\n".encode())
    return h.hexdigest()[:32]


def _prepared_steps(
    config: RefineConfig, work: Path, shard: int, calibration: dict[int, dict[str, Any]], upto: int
) -> list[Step]:
    steps = build_steps(config)
    for j, step in enumerate(steps[:upto]):
        if isinstance(step, CorpusStep):
            step.bind_shard(work / f"step{j:02d}", shard)
        if isinstance(step, Calibrated) and j in calibration:
            step.load_calibration(calibration[j])
    return steps


def _chain(steps: list[Step], docs: Iterable[Document]) -> Iterator[Document]:
    stream: Iterable[Document] = docs
    for step in steps:
        stream = step.run(stream)
    return iter(stream)


def _scan_task(task: _Task) -> dict[str, Any]:
    work = Path(task.work)
    steps = _prepared_steps(task.config, work, task.shard, task.calibration, task.round)
    _, docs = task.source.read()
    stream = _chain(steps[: task.round], docs)
    target = steps[task.round]
    assert isinstance(target, CorpusStep)
    target.scan_shard(stream, work / f"step{task.round:02d}", task.shard)
    for step in steps:
        step.close()
    info = {"shard": task.source.to_dict()}
    write_json(work / f"scan{task.round:02d}-{task.shard:05d}.done.json", info)
    return info


def _final_task(task: _Task) -> dict[str, Any]:
    work = Path(task.work)
    stage = work / "out" / f"{task.shard:05d}"
    if stage.exists():  # a killed attempt: start this shard again
        shutil.rmtree(stage)
    steps = _prepared_steps(task.config, work, task.shard, task.calibration, 1 << 30)
    reader, docs = task.source.read()
    counted = _Counted(docs)
    write_stats = StepStats("write")
    writer = CorpusWriter(stage, formats=_formats(task.output), part_bytes=task.output.part_bytes)
    hook = _progress_hook
    n = 0
    try:
        for doc in _chain(steps, counted):
            if doc.bucket is None:
                doc.bucket = DEFAULT_BUCKET
            writer.write(doc)
            n += 1
            if hook is not None and n % _PROGRESS_EVERY == 0:
                hook(_PROGRESS_EVERY)
    except BaseException:
        writer.abort()
        raise
    parts = writer.close()
    for step in steps:
        step.close()
    write_stats.seen = write_stats.kept = n
    if hook is not None:
        hook(n % _PROGRESS_EVERY)
    read_step = task.source.read_stats(reader, counted.n)
    info = {
        "documents": n,
        "parts": [p.to_dict() for p in parts],
        "stats": [s.to_dict() for s in [read_step, *(s.stats for s in steps), write_stats]],
    }
    write_json(work / "out" / f"{task.shard:05d}.done.json", info)
    return info


class _Counted:
    """Passes documents through, counting them."""

    def __init__(self, docs: Iterable[Document]) -> None:
        self.docs = docs
        self.n = 0

    def __iter__(self) -> Iterator[Document]:
        for doc in self.docs:
            self.n += 1
            yield doc


def _plan_shards(files: list[Path | str], workers: int) -> list[Shard]:
    """One shard per file; with more workers than files, each file is cut into document
    ranges (of at least ``_MIN_SHARD_DOCS``) so that every worker has work."""
    if workers <= len(files):
        return [Shard(str(f)) for f in files]
    per_file = math.ceil(workers / len(files))
    shards: list[Shard] = []
    for f in files:
        reader = DocumentReader([f])
        total = sum(1 for _ in reader.read_file(f))
        k = max(1, min(per_file, total // _MIN_SHARD_DOCS))
        bounds = [total * i // k for i in range(k + 1)]
        for i in range(k):
            shards.append(Shard(str(f), bounds[i], None if i == k - 1 else bounds[i + 1]))
    return shards


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _result_from_manifest(out: Path) -> RefineResult:
    return _result_from(read_manifest(out), read_stats(out), out)


def _result_from(manifest: dict[str, Any], stats: list[StepStats], out: Path | str) -> RefineResult:
    folders = dict(manifest.get("counts", {}).get("by_folder", {}))
    languages: dict[str, int] = {}
    for folder, n in folders.items():
        lang = folder.split("/", 1)[0]
        languages[lang] = languages.get(lang, 0) + n
    return RefineResult(
        out_dir=out,
        documents=int(manifest.get("counts", {}).get("documents", 0)),
        languages=languages,
        folders=folders,
        stats=stats,
        parts=[Part(**p) for p in manifest.get("parts", [])],
    )


def _check_folder(out: Path, fingerprint: str, overwrite: bool) -> RefineResult | None:
    """A finished folder of the same run: its result. Another run's folder: an error, or with
    ``overwrite`` its output removed (the rules of :mod:`thresher.store.folder`)."""
    prior = prior_run(out, kind="refine", fingerprint=fingerprint, overwrite=overwrite, work=WORK)
    if prior.done is not None:
        result = _result_from_manifest(out)
        result.skipped = True
        return result
    if prior.replace and not prior.resume:
        remove_output(out, WORK)
    elif not prior.resume and (out / WORK).exists():
        shutil.rmtree(out / WORK)  # stale work of another unfinished run, nothing final yet
    return None


def refine(
    inputs: Iterable[str | Path] | str | Path,
    out_dir: str | Path,
    config: RefineConfig | None = None,
    output: OutputConfig | None = None,
    *,
    reporter: Any = None,
    workers: int | None = None,
    overwrite: bool = False,
    executor: ExecutorConfig | None = None,
) -> RefineResult:
    """Refine document files (JSONL plain/gz/zst, Parquet; files or folders) into
    ``out_dir/<language>/<bucket>/part-NNNNN.<ext>`` with a manifest and step stats.

    ``reporter`` is an optional :class:`thresher.progress.Reporter` (``advance(n)`` is called
    with documents written, and ``shards=done/total``). ``executor`` says where shards run
    (default: the older ``config.executor``/``config.workers`` keys); ``workers`` overrides
    its workers.

    Run again on a finished folder with the same inputs and settings, it returns at once
    (``skipped``); with other inputs or settings it raises :class:`InputError`, unless
    ``overwrite`` is true: then the earlier run's parts, manifest and stats are removed first.
    """
    global _progress_hook
    config = config or RefineConfig()
    output = output or OutputConfig()
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    inputs = [str(i) for i in inputs]
    if not inputs:
        raise InputError("no input given")
    files = list(iter_document_files(inputs))
    if not files:
        raise InputError(f"{', '.join(inputs)}: no document files (.jsonl[.gz|.zst], .parquet)")
    for f in files:  # a WARC named where documents belong: say so before writing anything
        hint = None if is_remote(f) else wrong_kind_hint(f, "documents")
        if hint is not None:
            raise NothingToDoError(hint)
    fingerprint = _fingerprint(files, config, output)
    settings = resolve_executor(executor, legacy=legacy_keys(config), workers=workers)
    if is_remote(str(out_dir)):  # built in a local copy, then published (store/remote.py)
        remote = RemoteFolder(str(out_dir))
        remote.recover()
        published = check_published(
            remote.manifest(),
            url=remote.url,
            kind="refine",
            fingerprint=fingerprint,
            overwrite=overwrite,
        )
        if published is not None:
            result = _result_from(published, remote.stats(), remote.url)
            result.skipped = True
            return result
        local = local_copy(remote.url)
        result = _refine_into(
            local, inputs, files, fingerprint, config, output, reporter, settings, overwrite=True
        )
        remote.publish(local)
        result.out_dir = remote.url
        return result
    return _refine_into(
        local_path(out_dir),
        inputs,
        files,
        fingerprint,
        config,
        output,
        reporter,
        settings,
        overwrite=overwrite,
    )


def _refine_into(
    out: Path,
    inputs: list[str],
    files: list[Path | str],
    fingerprint: str,
    config: RefineConfig,
    output: OutputConfig,
    reporter: Any,
    settings: ExecutorConfig,
    *,
    overwrite: bool,
) -> RefineResult:
    with lock_folder(out):
        done = _check_folder(out, fingerprint, overwrite)
        if done is not None:
            return done
        result = _run(out, files, fingerprint, config, output, reporter, settings)
        if not any(s.kept for s in result.stats if s.name == "read"):
            remove_output(out, WORK)  # an empty corpus is no output: leave nothing behind
            raise NothingToDoError(
                f"{', '.join(inputs)}: no document could be read ({_read_drops(result.stats)})"
            )
    return result


def _read_drops(stats: list[StepStats]) -> str:
    read = next((s for s in stats if s.name == "read"), None)
    if read is None or not read.dropped:
        return "no records"
    return ", ".join(f"{k} {v}" for k, v in read.dropped.most_common(3))


def _run(
    out: Path,
    files: list[Path | str],
    fingerprint: str,
    config: RefineConfig,
    output: OutputConfig,
    reporter: Any,
    settings: ExecutorConfig,
) -> RefineResult:
    global _progress_hook
    work = out / WORK
    work.mkdir(parents=True, exist_ok=True)
    n_workers = settings.workers
    executor = make_executor(settings)
    plan = work / "plan.json"
    if plan.is_file():  # resuming: keep the shards of the first attempt, whatever the workers
        shards = [Shard(**s) for s in _read_json(plan)["shards"]]
    else:
        shards = _plan_shards(files, n_workers)
        write_json(plan, {"fingerprint": fingerprint, "shards": [s.to_dict() for s in shards]})
    template = build_steps(config)
    calibration: dict[int, dict[str, Any]] = {}
    merge_counters: dict[int, dict[str, Any]] = {}

    def task(shard: int, rnd: int) -> _Task:
        return _Task(config, output, str(work), shard, shards[shard], rnd, dict(calibration))

    with executor:
        for j, step in enumerate(template):
            if isinstance(step, CorpusStep):
                todo = [
                    task(i, j)
                    for i in range(len(shards))
                    if not (work / f"scan{j:02d}-{i:05d}.done.json").is_file()
                ]
                executor.map(_scan_task, todo)
                merged = work / f"merge{j:02d}.done.json"
                if not merged.is_file():
                    write_json(merged, step.merge(work / f"step{j:02d}", len(shards)))
                merge_counters[j] = _read_json(merged)
            if isinstance(step, Calibrated):
                saved = work / f"calibration{j:02d}.json"
                if not saved.is_file():
                    write_json(saved, _calibrate(config, work, shards, j, calibration))
                calibration[j] = _read_json(saved)

        todo = [
            task(i, -1)
            for i in range(len(shards))
            if not (work / "out" / f"{i:05d}.done.json").is_file()
        ]

        inline = executor.inline(len(todo))
        finished = len(shards) - len(todo)

        def advance(_: int, info: dict[str, Any]) -> None:
            nonlocal finished
            finished += 1
            if reporter is not None:
                n = 0 if inline else info["documents"]
                reporter.advance(n, shards=f"{finished}/{len(shards)}")

        if reporter is not None and inline:
            _progress_hook = reporter.advance
        try:
            executor.map(_final_task, todo, on_done=advance)
        finally:
            _progress_hook = None
    return _finalise(
        out, work, files, len(shards), config, output, fingerprint, merge_counters, template
    )


def _calibrate(
    config: RefineConfig,
    work: Path,
    shards: list[Shard],
    j: int,
    calibration: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """Run the first documents of every shard through the steps before step ``j`` and let
    step ``j`` calibrate itself on them."""
    per_shard = max(1, math.ceil(config.sample_docs / len(shards)))
    sample: list[Document] = []
    for i, shard in enumerate(shards):
        steps = _prepared_steps(config, work, i, calibration, j)
        _, docs = shard.read(limit=per_shard)
        sample.extend(_chain(steps[:j], docs))
    target = build_steps(config)[j]
    assert isinstance(target, Calibrated)
    return target.calibrate(sample)


def _ext(path: str) -> str:
    return path.rsplit("/", 1)[-1].split(".", 1)[1]


def _finalise(
    out: Path,
    work: Path,
    files: list[Path | str],
    n_shards: int,
    config: RefineConfig,
    output: OutputConfig,
    fingerprint: str,
    merge_counters: dict[int, dict[str, Any]],
    template: list[Step],
) -> RefineResult:
    """Move staged parts into place, numbered in shard order, joining runs of small parts (the
    last part of each shard in a folder) up to the part size; then write the manifest.

    Idempotent: a finalise killed half-way is done again from the staged parts, and a final
    part already in place (written atomically) is kept."""
    groups: list[list[StepStats]] = []
    # staged units per folder, in shard order: {format: staged part}
    units: dict[str, list[tuple[int, dict[str, dict[str, Any]]]]] = {}
    for i in range(n_shards):
        info = _read_json(work / "out" / f"{i:05d}.done.json")
        groups.append([StepStats.from_dict(s) for s in info["stats"]])
        staged: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}
        for p in info["parts"]:
            folder, name = p["path"].rsplit("/", 1) if "/" in p["path"] else ("", p["path"])
            index = int(name.split("-", 1)[1].split(".", 1)[0])
            staged.setdefault((folder, index), {})[_ext(p["path"])] = p
        for folder, index in sorted(staged):
            units.setdefault(folder, []).append((i, staged[(folder, index)]))
    primary = _formats(output)[0]
    limit = output.part_bytes
    parts: list[Part] = []
    for folder in sorted(units):
        packed = pack(units[folder], lambda u: raw_estimate(primary, u[1][primary]["bytes"]), limit)
        for new_index, group in enumerate(packed):
            for fmt in group[0][1]:
                name = f"part-{new_index:05d}.{fmt}"
                rel = f"{folder}/{name}" if folder else name
                dst = out / rel
                srcs = [work / "out" / f"{i:05d}" / u[fmt]["path"] for i, u in group]
                if len(group) == 1:
                    p = group[0][1][fmt]
                    if srcs[0].is_file():
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(srcs[0], dst)
                    elif not dst.is_file():
                        raise InputError(
                            f"{srcs[0]}: staged part is missing; remove {out} and run again"
                        )
                    parts.append(
                        Part(rel, sha256=p["sha256"], documents=p["documents"], bytes=p["bytes"])
                    )
                    continue
                if not dst.is_file():
                    missing = [s for s in srcs if not s.is_file()]
                    if missing:
                        raise InputError(
                            f"{missing[0]}: staged part is missing; remove {out} and run again"
                        )
                    join_parts(srcs, dst, fmt)
                docs = sum(u[fmt]["documents"] for _, u in group)
                parts.append(
                    Part(rel, sha256=sha256_file(dst), documents=docs, bytes=dst.stat().st_size)
                )
    stats = merge_stats(groups)
    by_name = {s.name: s for s in stats}
    for j, counters in merge_counters.items():
        st = by_name.get(template[j].stats.name)
        if st is not None:
            for key, value in counters.items():
                st.counters[key] += int(value)
    write_manifest(
        out,
        kind="refine",
        config=config.model_dump(mode="json", exclude={"workers", "executor"}),
        inputs=[str(f) for f in files],
        parts=parts,
        stats=stats,
        extra={"fingerprint": fingerprint},
    )
    shutil.rmtree(work, ignore_errors=True)
    result = _result_from_manifest(out)
    result.stats = stats
    return result
