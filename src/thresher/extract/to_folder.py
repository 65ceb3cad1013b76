"""``extract_to_folder()``: extract inputs into a documents folder, the one way both
``thresher extract`` and ``thresher run`` do it.

The folder follows :mod:`thresher.store.folder`'s rules: the same run again does nothing,
another run's folder is refused unless ``overwrite``, and the new parts replace the old ones
only once every input has been read. Inputs that give no document at all are an error that
says why (``NothingToDoError``), and nothing is written.

The inputs are cut into shards (:mod:`thresher.extract.shards`) that run on the executor the
settings name (local processes or Ray); each finished shard leaves a marker in the work
folder, so a run killed half-way and started again only extracts the unfinished shards.
A shard whose item could not be fetched (a network failure left after the retries) leaves no
marker: the run stops before the commit with :class:`~thresher.errors.IncompleteRunError`
(exit 75) naming those items, and the rerun fetches them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from thresher.document import Document
from thresher.errors import IncompleteRunError, NothingToDoError
from thresher.execute.choose import make_executor
from thresher.execute.config import ExecutorConfig, legacy_keys, resolve_executor
from thresher.extract import shards as sharding
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import expand_inputs, is_remote
from thresher.extract.run import unfinished_items
from thresher.extract.shards import ExtractShard, ShardTask, plan_shards, run_shard
from thresher.output import lock_folder
from thresher.stats import StepStats
from thresher.store.folder import (
    DocumentsFolder,
    FolderResult,
    canonical_order,
    check_published,
    fingerprint_files,
)
from thresher.store.markers import ShardSlots
from thresher.store.remote import RemoteFolder, local_copy, local_path
from thresher.store.remote_shards import RemoteRun, RemoteSlots
from thresher.store.sniff import sniff, wrong_kind_hint
from thresher.store.writers import Part

KIND = "documents"


def extract_to_folder(
    inputs: Sequence[str],
    out: str | Path,
    config: ExtractConfig | None = None,
    *,
    formats: Sequence[str] = ("jsonl.gz",),
    overwrite: bool = False,
    stats: StepStats | None = None,
    on_write: Callable[[Document], None] | None = None,
    reporter: Any = None,
    executor: ExecutorConfig | None = None,
) -> FolderResult:
    """Extract ``inputs`` into ``out`` (a flat folder of parts with a manifest).

    ``stats`` receives the extract counts (shard by shard as they finish); ``executor`` says
    where shards run (default: local, ``config.workers`` processes). Progress: ``on_write`` is
    called after each document written when shards run in this process; ``reporter`` (a
    :class:`thresher.progress.Reporter`) gets ``advance(documents, shards=done/total,
    dropped=n)`` as shards finish (and per document when they run in this process)."""
    config = config or ExtractConfig()
    stats = stats if stats is not None else StepStats("extract")
    settings = resolve_executor(executor, legacy=legacy_keys(config))
    inputs = [str(i) for i in inputs]
    # a missing input fails before anything is written; input order makes no other run
    items = expand_inputs(canonical_order(inputs), config)
    if not items:  # an empty folder, or one without an input file: nothing is written either
        raise NothingToDoError(_why_nothing(inputs, items, stats))
    settings_key = config.model_dump_json(exclude={"workers"}) + "|" + ",".join(formats)
    fingerprint = fingerprint_files(
        [p for p, k in items if k in ("html", "archive")],
        settings_key,
        named=[f"{k}:{p}" for p, k in items if k not in ("html", "archive")],
    )
    if is_remote(str(out)):  # shards staged in the bucket itself (store/remote_shards.py)
        remote = RemoteFolder(str(out))
        with lock_folder(local_copy(remote.url)):  # a second run on this machine stops
            published = _published(remote, fingerprint, overwrite)
            if published is not None:
                return published
            return _extract_to_bucket(
                items, inputs, RemoteRun(remote, fingerprint), config, formats, settings, stats,
                on_write, reporter,
            )  # fmt: skip
    return _extract_locally(
        items,
        inputs,
        local_path(out),
        config,
        formats,
        overwrite,
        fingerprint,
        settings,
        stats,
        on_write,
        reporter,
    )


def _published(remote: RemoteFolder, fingerprint: str, overwrite: bool) -> FolderResult | None:
    """The result when the object-store folder already holds this run."""
    remote.recover(keep=fingerprint)  # this run's own staged shards are kept for a resume
    manifest = check_published(
        remote.manifest(), url=remote.url, kind=KIND, fingerprint=fingerprint, overwrite=overwrite
    )
    if manifest is None:
        return None
    return FolderResult(
        remote.url,
        documents=int(manifest.get("counts", {}).get("documents", 0)),
        parts=[Part(**p) for p in manifest.get("parts", [])],
        skipped=True,
    )


def _extract_locally(
    items: list[tuple[str, str]],
    inputs: list[str],
    out: Path,
    config: ExtractConfig,
    formats: Sequence[str],
    overwrite: bool,
    fingerprint: str,
    settings: ExecutorConfig,
    stats: StepStats,
    on_write: Callable[[Document], None] | None,
    reporter: Any,
) -> FolderResult:
    folder = DocumentsFolder(
        out, kind=KIND, fingerprint=fingerprint, formats=formats, overwrite=overwrite,
        inputs=inputs,
    )  # fmt: skip
    with lock_folder(out):
        done = folder.open(resume=True)
        if done is not None:
            return done
        if folder.resumed and "shards" in folder.plan:
            shards = [ExtractShard.from_dict(d) for d in folder.plan["shards"]]
        else:
            shards = plan_shards(items, settings.workers, config)
            folder.save_plan({"shards": [s.to_dict() for s in shards]})
        infos = _run_shards(
            folder.shards, shards, config, formats, settings, stats, on_write, reporter
        )
        _require_finished(infos, folder.work)
        if sum(info["documents"] for info in infos) == 0:
            folder.abort()
            raise NothingToDoError(_why_nothing(inputs, items, stats))
        return folder.commit_shards(
            [[Part(**p) for p in info["parts"]] for info in infos],
            config=config,
            inputs=inputs,
            stats=[stats],
        )


def _extract_to_bucket(
    items: list[tuple[str, str]],
    inputs: list[str],
    run: RemoteRun,
    config: ExtractConfig,
    formats: Sequence[str],
    settings: ExecutorConfig,
    stats: StepStats,
    on_write: Callable[[Document], None] | None,
    reporter: Any,
) -> FolderResult:
    """Extract into an object-store folder: every task uploads its shard and marker under the
    run's staging prefix; the driver resumes from the marker objects and commits by the
    manifest. Nothing is read from a task's disk, so tasks need no disk shared with this one."""
    plan = run.plan()
    if plan is not None and "shards" in plan:
        shards = [ExtractShard.from_dict(d) for d in plan["shards"]]
    else:
        shards = plan_shards(items, settings.workers, config)
        run.save_plan({"shards": [s.to_dict() for s in shards]})
    infos = _run_shards(run.shards, shards, config, formats, settings, stats, on_write, reporter)
    _require_finished(infos, run.folder.url)
    if sum(info["documents"] for info in infos) == 0:
        run.abort()
        raise NothingToDoError(_why_nothing(inputs, items, stats))
    manifest = run.commit_shards(
        [[Part(**p) for p in info["parts"]] for info in infos],
        kind=KIND,
        formats=formats,
        config=config,
        inputs=inputs,
        stats=[stats],
    )
    parts = [Part(**p) for p in manifest["parts"]]
    return FolderResult(run.folder.url, documents=int(manifest["counts"]["documents"]), parts=parts)


def _run_shards(
    slots: ShardSlots | RemoteSlots,
    shards: list[ExtractShard],
    config: ExtractConfig,
    formats: Sequence[str],
    settings: ExecutorConfig,
    stats: StepStats,
    on_write: Callable[[Document], None] | None,
    reporter: Any,
) -> list[dict[str, Any]]:
    """Run the shards without a marker in ``slots`` (a local work folder or an object-store
    prefix) on the executor; every shard's marker, in order."""
    infos: dict[int, dict[str, Any]] = {}
    todo: list[int] = []
    for i in range(len(shards)):
        done = slots.done(i)
        if done is not None:
            infos[i] = done
            stats.merge(StepStats.from_dict(done["stats"]))
        else:
            todo.append(i)
    tasks = [
        ShardTask(shards[i], config, str(slots.stage(i)), str(slots.marker(i)), tuple(formats))
        for i in todo
    ]
    with make_executor(settings) as executor:
        inline = executor.inline(len(tasks))

        def written(doc: Document) -> None:
            if on_write is not None:
                on_write(doc)
            if reporter is not None:
                reporter.advance(1)

        def shard_done(k: int, info: dict[str, Any]) -> None:
            infos[todo[k]] = info
            if info.get("unfinished"):  # done again by the rerun: its counts come then
                return
            stats.merge(StepStats.from_dict(info["stats"]))
            if reporter is not None:
                reporter.advance(
                    0 if inline else info["documents"],
                    shards=f"{len(infos)}/{len(shards)}",
                    dropped=sum(stats.dropped.values()),
                )

        sharding.progress_hook = written if inline else None
        try:
            executor.map(run_shard, tasks, on_done=shard_done)
        finally:
            sharding.progress_hook = None
    return [infos[i] for i in range(len(shards))]


def _require_finished(infos: list[dict[str, Any]], work: object) -> None:
    """Stop before the commit when items were left unfinished (network failures after the
    retries): the finished shards stay in the work folder and a rerun does only the rest."""
    left = unfinished_items(infos)
    if left is not None:
        raise IncompleteRunError(
            f"{left}; the finished ones are kept in {work}: rerun the same command to fetch them"
        )


def _why_nothing(inputs: list[str], items: Sequence[tuple[str, str]], stats: StepStats) -> str:
    """One line: which inputs gave nothing and why, with the command to run instead."""
    if not items:
        return f"{', '.join(inputs)}: no WARC, WET, ARC or HTML file found"
    files = [p for p, kind in items if kind in ("html", "archive")]
    for f in files:
        if not is_remote(f):
            hint = wrong_kind_hint(f, "archive")
            if hint is None and sniff(f) == "empty":
                hint = f"{f}: is empty"
            if hint is not None:
                return f"no document extracted: {hint}"
    records = sum(v for k, v in stats.counters.items() if k.startswith("records:"))
    parts = [f"{len(items)} input item(s)", f"{records} record(s)"]
    if stats.counters.get("errors"):
        parts.append(f"{stats.counters['errors']} damaged file(s)")
    dropped = ", ".join(f"{k} {v}" for k, v in stats.dropped.most_common(4))
    if dropped:
        parts.append(f"dropped: {dropped}")
    return f"{', '.join(inputs)}: no document extracted ({'; '.join(parts)})"
