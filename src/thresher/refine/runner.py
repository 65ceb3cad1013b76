"""``refine()``: run the refine steps over document files into a corpus folder, resumably.

Each input file is a *shard* (:mod:`thresher.refine.shards`), the unit of parallel work and
of resume. The run goes through rounds, each recorded in a hidden work folder
(:mod:`thresher.refine.work`: ``DIR/.refine-work``) so that a killed run picks up where it
stopped, whichever executor runs the tasks (:mod:`thresher.refine.tasks`):

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
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from thresher.errors import InputError, NothingToDoError
from thresher.execute.base import Executor
from thresher.execute.choose import make_executor
from thresher.execute.config import ExecutorConfig, legacy_keys, resolve_executor
from thresher.execute.local import LocalExecutor
from thresher.output import lock_folder
from thresher.refine import notes, tasks
from thresher.refine.config import RefineConfig
from thresher.refine.corpus_step import Calibrated, CorpusStep, run_merge_task
from thresher.refine.finalise import finalise
from thresher.refine.paragraph_hashes import EarlierCorpus, earlier_corpus
from thresher.refine.remote_work import RemoteWork
from thresher.refine.result import RefineResult, result_from, result_of_folder
from thresher.refine.shards import plan_shards
from thresher.refine.steps import build_steps
from thresher.refine.tasks import ShardTask
from thresher.refine.work import WorkFolder, fingerprint, prior, remove_refine_output
from thresher.store.config import OutputConfig
from thresher.store.folder import canonical_order, check_published
from thresher.store.hf import is_dataset_spec
from thresher.store.readers import iter_document_files
from thresher.store.remote import RemoteFolder, is_remote, local_copy, local_path, staging_name
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
    many = f"{len(files)} input file{'s' if len(files) != 1 else ''}"
    with notes.slow_phase(reporter, f"{many}: hashing them to identify the run"):
        run_id = fingerprint(files, config, output, [e.sha256 for e in earlier])
    settings = resolve_executor(executor, legacy=legacy_keys(config), workers=workers)
    if is_remote(str(out_dir)):  # work folder in the bucket, corpus published (remote_work.py)
        remote = RemoteFolder(str(out_dir))
        remote.recover(keep=run_id)  # this run's own staged work is kept for a resume
        published = check_published(
            remote.manifest(),
            url=remote.url,
            kind="refine",
            fingerprint=run_id,
            overwrite=overwrite,
        )
        if published is not None:
            result = result_from(published, remote.stats(), remote.url)
            result.skipped = True
            return result
        local = local_copy(remote.url)
        shared = RemoteWork(f"{remote.url}/{staging_name(run_id)}/work")
        result = _refine_into(
            local, inputs, files, run_id, config, output, reporter, settings, overwrite=True,
            shared=shared,
        )  # fmt: skip
        remote.publish(local)
        result.out_dir = remote.url
        return result
    return _refine_into(
        local_path(out_dir),
        inputs,
        files,
        run_id,
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
    shared: RemoteWork | None = None,
) -> RefineResult:
    with lock_folder(out):
        if prior(out, fingerprint, overwrite, inputs).done is not None:
            result = result_of_folder(out)
            result.skipped = True
            return result
        result = _run(out, files, fingerprint, config, output, reporter, settings, shared)
        if not result.documents:  # nothing read, or all dropped: exit 1 with why
            remove_refine_output(out)  # an empty corpus is no output: leave nothing behind
            raise NothingToDoError(notes.nothing_kept(inputs, result.stats))
    return result


def _run(
    out: Path,
    files: list[Path | str],
    run_id: str,
    config: RefineConfig,
    output: OutputConfig,
    reporter: Any,
    settings: ExecutorConfig,
    shared: RemoteWork | None = None,
) -> RefineResult:
    """The rounds of a run. With ``shared`` (an object-store work folder), tasks run in
    scratch folders against it, and this work folder mirrors it around each driver phase."""
    work = WorkFolder(out)
    work.create()

    def pull() -> None:
        if shared is not None:
            shared.pull(work.root)

    def push() -> None:
        if shared is not None:
            shared.push(work.root)

    pull()
    resumed = (work.root / "plan.json").is_file()
    with notes.slow_phase(reporter, "planning shards"):
        shards = work.shards(run_id, lambda: plan_shards(files, settings.workers, config.fields))
    push()
    n = len(shards)
    if resumed:
        notes.phase(reporter, f"resuming: {n - len(work.final.unfinished(n))} of {n} shards done")
    warned: set[str] = set()  # languages without a model, warned once for the run
    template = build_steps(config)
    calibration: dict[int, dict[str, Any]] = {}
    merge_counters: dict[int, dict[str, Any]] = {}
    remote = shared.url if shared is not None else None

    def task(shard: int, rnd: int) -> ShardTask:
        return ShardTask(
            config, output, str(out), shard, shards[shard], rnd, dict(calibration), remote
        )

    with make_executor(settings) as executor, _merger(executor, shared) as merger:
        for j, step in enumerate(template):
            if isinstance(step, CorpusStep):
                todo = work.unscanned(j, len(shards))
                _scan(executor, [task(i, j) for i in todo], step.stats.name, reporter)
                pull()
                merge_counters[j] = work.once(
                    f"merge{j:02d}.done.json",
                    lambda j=j, step=step: _merge(merger, step, work.step(j), len(shards)),
                )
                push()
            if isinstance(step, Calibrated):
                calibration[j] = work.once(
                    f"calibration{j:02d}.json",
                    lambda j=j, name=step.stats.name: tasks.calibrate(
                        config, work, shards, j, calibration, _calibrating(reporter, name, n)
                    ),
                )
                notes.warn_missing_models(calibration[j].get("no_model", []), config.lm_dir, warned)
                push()
        todo = [task(i, -1) for i in work.final.unfinished(len(shards))]
        notes.phase(reporter, f"refining {len(todo)} of {n} shards")
        _final_pass(executor, todo, len(shards), reporter)
        pull()
    result = finalise(out, work, files, n, config, output, run_id, merge_counters, template)
    missing = result.buckets.get("not_bucketed", {}) if config.lm_dir else {}
    no_model = [k for k, v in missing.items() if v.get("reason") == "no language model"]
    notes.warn_missing_models(no_model, config.lm_dir, warned)
    return result


def _scan(executor: Executor, todo: list[ShardTask], name: str, reporter: Any) -> None:
    """A CorpusStep's scan of every shard not yet scanned, saying how many are done."""
    total = len(todo)
    if total:
        notes.phase(reporter, f"{name}: scanning {total} shard{'s' if total != 1 else ''}")
    done = 0

    def advance(_: int, info: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        if reporter is not None:
            reporter.advance(0, phase=f"{name}: scanned {done}/{total}")

    executor.map(tasks.scan_task, todo, on_done=advance)


def _calibrating(reporter: Any, name: str, shards: int) -> Any:
    """The progress callback of a calibration (it reads a sample of every shard)."""
    notes.phase(reporter, f"{name}: calibrating on a sample of {shards} shards")

    def on_shard(k: int) -> None:
        if reporter is not None:
            reporter.advance(0, phase=f"{name}: calibrating {k}/{shards}")

    return on_shard


def _merger(executor: Executor, shared: RemoteWork | None) -> AbstractContextManager[Executor]:
    """Where merge tasks run: the run's executor, or, when its tasks share no disk with this
    one (the merge reads this work folder), a local pool of as many workers."""
    if shared is None or executor.kind == "local":
        return nullcontext(executor)
    return LocalExecutor(executor.workers)


def _merge(executor: Executor, step: CorpusStep, work: Path, shards: int) -> dict[str, Any]:
    """A CorpusStep's merge: its parallel part on the executor, then the rest here."""
    executor.map(run_merge_task, step.merge_tasks(work, shards))
    return step.merge(work, shards)


def _final_pass(executor: Executor, todo: list[ShardTask], total: int, reporter: Any) -> None:
    """Every unfinished shard through all steps, reporting shards done / total."""
    inline = executor.inline(len(todo))
    finished = total - len(todo)

    def advance(_: int, info: dict[str, Any]) -> None:
        nonlocal finished
        finished += 1
        if reporter is not None:
            n = 0 if inline else info["documents"]
            reporter.advance(n, shards=f"{finished}/{total}")

    if reporter is not None and inline:
        tasks.progress_hook = reporter.advance
    try:
        executor.map(tasks.final_task, todo, on_done=advance)
    finally:
        tasks.progress_hook = None
