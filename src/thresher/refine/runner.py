"""``refine()``: run the refine steps over document files into a corpus folder, resumably.

The refine job (:class:`~thresher.refine.job.RefineJob`) on the stage runner
(:mod:`thresher.execute.stage`). Each input file is a *shard* (:mod:`thresher.refine.shards`),
the unit of parallel work and of resume. The run goes through rounds, each recorded in a
hidden work folder (:mod:`thresher.refine.work`: ``DIR/.refine-work``) so that a killed run
picks up where it stopped, whichever executor runs the tasks (:mod:`thresher.refine.tasks`):

1. for every :class:`~thresher.refine.corpus_step.CorpusStep` (paragraph dedup first): a scan
   of every shard, then the merge (its parallel part, e.g. MinHash's bands, on the executor);
2. for every :class:`~thresher.refine.corpus_step.Calibrated` step: a sample of documents run
   through the steps before it, whose calibration is saved once for all workers;
3. the final pass: each shard through all steps, written to its own staging folder;
4. finalise (:mod:`thresher.refine.finalise`): staged parts move to
   ``DIR/<language>/<bucket>/part-NNNNN.<ext>`` numbered in shard order, then
   ``manifest.json`` and ``stats.json`` are written and the work folder goes.

A finished shard is never redone; a second run on a finished folder with the same inputs and
settings does nothing; with other inputs or settings it stops with an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from thresher.errors import InputError, NothingToDoError
from thresher.execute.config import ExecutorConfig, legacy_keys, resolve_executor
from thresher.execute.stage import run_stage
from thresher.refine.config import RefineConfig
from thresher.refine.job import RefineJob
from thresher.refine.paragraph_hashes import EarlierCorpus, earlier_corpus
from thresher.refine.result import RefineResult, result_from, result_of_folder
from thresher.store.config import OutputConfig
from thresher.store.folder import canonical_order
from thresher.store.hf import is_dataset_spec
from thresher.store.readers import iter_document_files
from thresher.store.remote import RemoteFolder, is_remote, local_path
from thresher.store.sniff import wrong_kind_hint

__all__ = ["RefineResult", "refine"]


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
    config = config or RefineConfig()
    output = output or OutputConfig()
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    inputs = [str(i) for i in inputs]
    if not inputs:
        raise InputError("no input given")
    files = canonical_order(iter_document_files(inputs))  # input order makes no other run
    if not files:
        raise InputError(f"{', '.join(inputs)}: no document files (.jsonl[.gz|.zst], .parquet)")
    for f in files:  # a WARC named where documents belong: say so before writing anything
        hint = None if is_remote(f) or is_dataset_spec(f) else wrong_kind_hint(f, "documents")
        if hint is not None:
            raise NothingToDoError(hint)
    if output.keep_dropped and is_remote(str(out_dir)):
        raise InputError(f"{out_dir}: --keep-dropped needs a local output folder")
    earlier: list[EarlierCorpus] = []
    if config.dedup.against:  # checked before anything is written; paths made absolute
        if is_remote(str(out_dir)):
            raise InputError(f"{out_dir}: --dedup-against needs a local output folder")
        if not config.dedup.enabled:
            raise InputError("--dedup-against needs paragraph dedup (dedup.enabled: true)")
        earlier = [earlier_corpus(p, local_path(out_dir)) for p in config.dedup.against]
        dedup = config.dedup.model_copy(update={"against": [e.path for e in earlier]})
        config = config.model_copy(update={"dedup": dedup})
    settings = resolve_executor(executor, legacy=legacy_keys(config), workers=workers)
    job = RefineJob(inputs, files, config, output, [e.sha256 for e in earlier])
    result = run_stage(job, out_dir, executor=settings, overwrite=overwrite, reporter=reporter)
    if isinstance(result, RefineResult):
        return result
    # the folder already held this run: what its manifest says
    if is_remote(str(out_dir)):
        remote = RemoteFolder(str(out_dir))
        done = result_from(remote.manifest() or {}, remote.stats(), remote.url)
    else:
        done = result_of_folder(local_path(out_dir))
    done.skipped = True
    return done
