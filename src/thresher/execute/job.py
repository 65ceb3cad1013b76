"""A stage as a job: what :func:`~thresher.execute.stage.run_stage` needs to run it.

A job says who it is (its kind and the settings that, with its inputs, identify a run), how its
input is cut into shards, and, for one shard, which items to write: a reader and its steps.
Everything else (the output lock, "already done", resume, staging, markers, executors, buckets,
the commit) is the runner's, the same for every stage.

A job is shipped to the workers with each shard, so it holds plain data (settings, paths) and
builds its steps inside :meth:`Job.items`.

A job whose steps must see the whole corpus first (refine's paragraph dedup, its perplexity
cut-offs) adds :class:`Round` s before the final pass: each round's scan of every shard
(:meth:`Job.scan`, in the workers, a marker per shard), then :meth:`Job.after` once in the
driver (a merge, a calibration), whose result every later task gets in ``ShardTask.state``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from thresher.errors import Unfinished
from thresher.execute.run_folder import ManifestInfo
from thresher.stats import StepStats
from thresher.store.identity import run_fingerprint
from thresher.store.markers import fresh_stage, write_marker
from thresher.store.remote import is_remote
from thresher.store.writers import DEFAULT_PART_BYTES, CorpusWriter, Part

#: a shard as the plan saves it (plain JSON)
ShardSpec = dict[str, Any]
#: called in the worker with the number of items written since the last call (inline runs)
Progress = Callable[[int], None]
_PROGRESS_EVERY = 256


class ShardWriter(Protocol):
    """Writes one shard's items into its staging folder as parts."""

    documents: int

    def write(self, item: Any) -> None: ...

    def close(self) -> list[Part]: ...

    def abort(self) -> None: ...


@dataclass(frozen=True)
class Round:
    """A pass before the final one: with ``scan``, :meth:`Job.scan` runs on every shard
    (each leaves ``NAME/NNNNN.done.json`` in the work folder); then :meth:`Job.after` runs
    once in the driver and its result is saved as ``NAME.done.json``."""

    name: str
    scan: bool = True
    #: what the progress line says while the round's scans run (e.g. "dedup")
    label: str = ""


@dataclass
class RoundContext:
    """What :meth:`Job.after` gets in the driver."""

    work: Path  # the run's local work folder (mirrored from the bucket's, for a bucket run)
    shards: list[ShardSpec]
    state: dict[str, dict[str, Any]]  # what the earlier rounds' after() returned, by name
    executor: Any  # where the round's parallel part may run
    reporter: Any = None


class Job:
    """One stage's work. Subclasses set :attr:`kind` and override :meth:`plan` and
    :meth:`items` (and, when they need to, the other hooks)."""

    #: the hidden work folder inside a local output (plan, stages, markers)
    work_name: ClassVar[str] = ""
    #: the folder of the final pass's stages and markers inside the work folder
    slots_name: ClassVar[str] = "shards"
    #: True when tasks read and write the work folder beyond their own stage (rounds): a
    #: bucket run then mirrors its work folder between the bucket and the driver
    mirrored: ClassVar[bool] = False
    #: what the progress line says the final pass does ("refining 3 of 8 shards")
    doing: ClassVar[str] = "writing"

    #: the ``kind`` of the manifest the stage writes
    kind: ClassVar[str] = "documents"
    #: part formats, the primary first
    formats: tuple[str, ...] = ("jsonl.gz",)
    #: document fields whose values make the output's folders (``()``: a flat folder)
    partition: tuple[str, ...] = ()
    part_bytes: int = DEFAULT_PART_BYTES

    def __init__(self, inputs: Iterable[str | Path]) -> None:
        #: the inputs as given (the manifest lists them)
        self.inputs = [str(i) for i in inputs]

    # -- identity ------------------------------------------------------------------------
    def settings(self) -> str:
        """What, beside the inputs, makes the run (a JSON string; workers left out)."""
        return ""

    def files(self) -> list[str]:
        """The input files that identify the run by content."""
        return []

    def named(self) -> list[str]:
        """Inputs that identify the run by name (a source's items)."""
        return []

    def fingerprint(self) -> str:
        """The run's identity (:func:`~thresher.store.identity.run_fingerprint`)."""
        return run_fingerprint(self.settings(), self.files(), self.named())

    # -- plan and shards -----------------------------------------------------------------
    def plan(self, workers: int) -> list[ShardSpec]:
        """The shards, in output order (saved, so a resume keeps them whatever the workers)."""
        raise NotImplementedError

    def stats(self) -> list[StepStats]:
        """Fresh counters for one shard, in the order the manifest lists them."""
        return [StepStats(self.kind)]

    def items(self, shard: ShardSpec, stats: list[StepStats]) -> Iterable[Any]:
        """The items one shard writes (its reader through its steps); runs in a worker.
        Raise :class:`~thresher.errors.Unfinished` to leave the shard for the rerun."""
        raise NotImplementedError

    def writer(self, stage: Path) -> ShardWriter:
        """The writer of one shard's parts into ``stage``."""
        return CorpusWriter(
            stage, formats=self.formats, part_bytes=self.part_bytes, partition=self.partition
        )

    def shard_scope(self, work: Path | None) -> AbstractContextManager[Any]:
        """Entered around a shard (``work``: the local shards folder, None in a scratch
        folder of an object-store run), e.g. to keep a source's cache there."""
        return nullcontext()

    def run_shard(self, task: ShardTask, progress: Progress | None = None) -> dict[str, Any]:
        """The final pass of one shard (in a worker): its items written into its stage,
        then its marker. A job with more to stage than one writer's parts overrides it."""
        return _write_task(task, progress)

    # -- rounds (jobs that must see the whole corpus first) -------------------------------
    def rounds(self) -> list[Round]:
        """The passes before the final one, in order (none by default)."""
        return []

    def scan(self, task: ShardTask) -> dict[str, Any]:
        """A round's scan of one shard (``task.round`` names it); writes into the work
        folder (``task.work``), returns what its marker holds. Runs in a worker."""
        raise NotImplementedError

    def after(self, rnd: Round, ctx: RoundContext) -> dict[str, Any]:
        """A round's step in the driver once every shard is scanned (JSON-able, saved)."""
        return {}

    # -- the commit ----------------------------------------------------------------------
    def commit(
        self,
        folder: Any,
        infos: list[dict[str, Any]],
        stats: list[StepStats],
        state: dict[str, dict[str, Any]],
    ) -> Any:
        """Every shard's staged output into place with the manifest (``folder``: the
        :class:`~thresher.execute.run_folder.RunFolder`); the result."""
        staged = [[Part(**p) for p in info["parts"]] for info in infos]
        info = ManifestInfo(self.config(), self.inputs, stats, self.extra())
        result = folder.commit(staged, info)
        result.stats = stats
        return result

    def config(self) -> Any:
        """The settings the manifest records."""
        return None

    def extra(self) -> dict[str, Any]:
        """More manifest fields (beside the fingerprint)."""
        return {}

    def nothing(self, stats: list[StepStats]) -> str:
        """The one line said when the run wrote nothing (exit 1, no output)."""
        return f"{', '.join(self.inputs)}: nothing to write"


@dataclass(frozen=True)
class ShardTask:
    """One shard of a job: written into ``stage``, finished by ``marker`` (both local paths,
    or both object-store URLs: the task then writes in a scratch folder and uploads).
    ``round`` names the round of a scan ("" for the final pass), ``state`` holds what the
    earlier rounds computed, ``work`` the run's work folder (a path, or a URL when mirrored)."""

    job: Job
    index: int
    shard: ShardSpec
    stage: str
    marker: str
    round: str = ""
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    work: str = ""


def run_task(task: ShardTask, progress: Progress | None = None) -> dict[str, Any]:
    """Run one task in a worker: a round's scan, or the final pass of a shard (its marker,
    written last, says it is complete). ``progress`` only when the task runs inline."""
    if task.round:
        return task.job.scan(task)
    return task.job.run_shard(task, progress)


def _write_task(task: ShardTask, progress: Progress | None) -> dict[str, Any]:
    """The default final pass: the shard's items through the job's writer."""
    if not is_remote(task.marker):
        with task.job.shard_scope(Path(task.stage).parent):
            return _write_shard(task, fresh_stage(Path(task.stage)), Path(task.marker), progress)
    from thresher.store.remote_shards import remove_scratch, scratch_folder

    scratch = scratch_folder()  # this task's own disk: nothing the driver reads
    try:
        with task.job.shard_scope(None):
            return _write_shard(task, scratch, None, progress)
    finally:
        remove_scratch(scratch)


def _counted(items: Iterable[Any], progress: Progress) -> Iterator[Any]:
    n = 0
    for item in items:
        yield item
        n += 1
        if n == _PROGRESS_EVERY:
            progress(n)
            n = 0
    progress(n)


def _write_shard(
    task: ShardTask, stage: Path, marker: Path | None, progress: Progress | None
) -> dict[str, Any]:
    """The shard's items into ``stage``; then its marker (``None``: upload the parts and the
    marker to the task's object-store stage). An :class:`Unfinished` shard (a network failure
    left after the retries) gets no marker and an ``unfinished`` key."""
    job = task.job
    stats = job.stats()
    writer = job.writer(stage)
    items = job.items(task.shard, stats)
    if progress is not None:
        items = _counted(items, progress)
    try:
        for item in items:
            writer.write(item)
    except Unfinished as e:  # no marker: the rerun does this shard again
        writer.abort()
        return {"documents": 0, "parts": [], "stats": _dump(stats), "unfinished": str(e)}
    except BaseException:
        writer.abort()
        raise
    parts = writer.close()
    info = {
        "documents": writer.documents,
        "parts": [p.to_dict() for p in parts],
        "stats": _dump(stats),
    }
    if marker is not None:
        write_marker(marker, info)
    else:
        from thresher.store.remote_shards import upload_shard

        upload_shard(stage, parts, task.stage, task.marker, info)
    return info


def _dump(stats: list[StepStats]) -> list[dict[str, Any]]:
    return [s.to_dict() for s in stats]
