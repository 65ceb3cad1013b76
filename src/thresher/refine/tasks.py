"""What refine does with one shard, wherever the stage runner runs it (this process, a local
pool or a Ray worker; :class:`~thresher.refine.job.RefineJob` calls these): the scan of one
shard for a corpus step, its final pass, and the calibration sample (in the driver). Each
leaves its marker in the work folder (:mod:`thresher.refine.work`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from thresher.document import Document
from thresher.pipeline.base import Step, run_steps
from thresher.refine.config import RefineConfig
from thresher.refine.corpus_step import Calibrated, CorpusStep
from thresher.refine.lm import Perplexity
from thresher.refine.paragraph_hashes import ShardHashes
from thresher.refine.shards import Shard
from thresher.refine.steps import build_steps
from thresher.refine.work import WorkFolder, output_formats
from thresher.stats import StepStats
from thresher.store import CorpusWriter
from thresher.store.config import OutputConfig
from thresher.store.markers import fresh_stage, write_marker

DEFAULT_BUCKET = "all"
_PROGRESS_EVERY = 2000


@dataclass(frozen=True)
class ShardRun:
    """One shard's work in one round: plain data."""

    config: RefineConfig
    output: OutputConfig
    shard: int
    source: Shard
    round: int  # index of the CorpusStep to scan; -1 for the final pass
    calibration: dict[int, dict[str, Any]]


def prepared_steps(
    config: RefineConfig,
    work: WorkFolder,
    shard: int,
    calibration: dict[int, dict[str, Any]],
    upto: int,
) -> list[Step]:
    """The run's steps, those before ``upto`` bound to shard ``shard`` and calibrated."""
    steps = build_steps(config)
    for step in steps:  # the driver warns once per language, not every shard
        if isinstance(step, Perplexity):
            step.quiet = True
    for j, step in enumerate(steps[:upto]):
        if isinstance(step, CorpusStep):
            step.bind_shard(work.step(j), shard)
        if isinstance(step, Calibrated) and j in calibration:
            step.load_calibration(calibration[j])
    return steps


def scan_shard(task: ShardRun, work: WorkFolder) -> dict[str, Any]:
    """Scan one shard for CorpusStep ``task.round`` (through the steps before it)."""
    steps = prepared_steps(task.config, work, task.shard, task.calibration, task.round)
    _, docs = task.source.read(fields=task.config.fields)
    stream = run_steps(steps[: task.round], docs)
    target = steps[task.round]
    assert isinstance(target, CorpusStep)
    target.scan_shard(stream, work.step(task.round), task.shard)
    for step in steps:
        step.close()
    info = {"shard": task.source.to_dict()}
    write_marker(work.scan_marker(task.round, task.shard), info)
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


def _keep_dropped(task: ShardRun, work: WorkFolder, steps: list[Step]) -> CorpusWriter:
    """A flat writer of the documents the steps drop (``metadata.dropped``: step, reason),
    staged in the work folder like the corpus parts; PII redacted when the pii step runs."""
    stage = fresh_stage(work.dropped.stage(task.shard))
    writer = CorpusWriter(
        stage,
        formats=output_formats(task.output),
        part_bytes=task.output.part_bytes,
        partition=(),
    )

    from thresher.refine.pii import PIIRedactor

    # dropped documents are stored too: whichever step dropped them, they leave redacted
    redactor = next((s for s in steps if isinstance(s, PIIRedactor)), None)

    def sink(doc: Document, step: str, reason: str) -> None:
        if redactor is not None:
            redactor.redact_dropped(doc)
        doc.metadata["dropped"] = {"step": step, "reason": reason}
        writer.write(doc)

    for step in steps:
        step.drop_sink = sink
    return writer


def final_shard(
    task: ShardRun, work: WorkFolder, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Run one shard through every step into its staging folder; the marker (parts,
    documents, stats; the dropped documents' parts with keep_dropped) is written last.
    ``progress(n)`` is told of documents written (when the shard runs in this process)."""
    stage = fresh_stage(work.final.stage(task.shard))  # a killed attempt: start again
    steps = prepared_steps(task.config, work, task.shard, task.calibration, 1 << 30)
    reader, docs = task.source.read(fields=task.config.fields)
    counted = _Counted(docs)
    write_stats = StepStats("write")
    writer = CorpusWriter(
        stage, formats=output_formats(task.output), part_bytes=task.output.part_bytes
    )
    dropped = _keep_dropped(task, work, steps) if task.output.keep_dropped else None
    hashes = ShardHashes()
    hook = progress
    n = 0
    try:
        for doc in run_steps(steps, counted):
            if doc.bucket is None:
                doc.bucket = DEFAULT_BUCKET
            writer.write(doc)
            hashes.add(doc.text)
            n += 1
            if hook is not None and n % _PROGRESS_EVERY == 0:
                hook(_PROGRESS_EVERY)
    except BaseException:
        writer.abort()
        if dropped is not None:
            dropped.abort()
        raise
    parts = writer.close()
    dropped_parts = dropped.close() if dropped is not None else []
    hashes.save(work.hashes(task.shard))
    for step in steps:
        step.close()
    write_stats.seen = write_stats.kept = n
    if hook is not None:
        hook(n % _PROGRESS_EVERY)
    read_step = task.source.read_stats(reader, counted.n)
    info = {
        "documents": n,
        "parts": [p.to_dict() for p in parts],
        "dropped": [p.to_dict() for p in dropped_parts],
        "stats": [s.to_dict() for s in [read_step, *(s.stats for s in steps), write_stats]],
    }
    write_marker(work.final.marker(task.shard), info)
    return info


def calibrate(
    config: RefineConfig,
    work: WorkFolder,
    shards: list[Shard],
    j: int,
    calibration: dict[int, dict[str, Any]],
    on_shard: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run the first documents of every shard through the steps before step ``j`` and let
    step ``j`` calibrate itself on them (in the driver: the sample is small); the state says
    ``whole_corpus`` when no shard had more documents than were read, and ``no_model``: the
    languages met without a model. ``on_shard(k)`` is called after the k-th shard."""
    per_shard = max(1, math.ceil(config.sample_docs / len(shards)))
    sample: list[Document] = []
    whole = True  # every shard read to its end: the sample is the whole corpus
    no_model: set[str] = set()
    for i, shard in enumerate(shards):
        steps = prepared_steps(config, work, i, calibration, j)
        _, docs = shard.read(limit=per_shard, fields=config.fields)
        counted = _Counted(docs)
        sample.extend(run_steps(steps[:j], counted))
        whole = whole and counted.n < per_shard
        for step in steps[:j]:
            if isinstance(step, Perplexity):
                no_model.update(
                    k.split(":", 1)[1] for k in step.stats.counters if k.startswith("no_model:")
                )
        if on_shard is not None:
            on_shard(i + 1)
    target = build_steps(config)[j]
    assert isinstance(target, Calibrated)
    return {**target.calibrate(sample), "whole_corpus": whole, "no_model": sorted(no_model)}
