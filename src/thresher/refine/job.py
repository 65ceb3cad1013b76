"""Refine as a job of the stage runner: each input file (or a range of one) a shard; a round
for every corpus-wide step (its scan of every shard, then its merge) and every calibrated
step (a sample of every shard, in the driver); the final pass writes each shard's documents
by language and bucket, its paragraph hashes and, with ``keep_dropped``, what it dropped;
the commit is :func:`~thresher.refine.finalise.finalise`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from thresher.execute.job import Job, Progress, Round, RoundContext, ShardSpec, ShardTask
from thresher.refine import notes, tasks
from thresher.refine.config import RefineConfig
from thresher.refine.corpus_step import Calibrated, CorpusStep, run_merge_task
from thresher.refine.finalise import finalise
from thresher.refine.result import RefineResult
from thresher.refine.shards import Shard, plan_shards
from thresher.refine.steps import build_steps
from thresher.refine.work import (
    WORK,
    WorkFolder,
    fingerprint,
    output_formats,
    remove_refine_output,
)
from thresher.stats import StepStats
from thresher.store.config import OutputConfig
from thresher.store.manifest import MANIFEST
from thresher.store.remote import is_remote

SCAN = "scan"
CALIBRATION = "calibration"


def _step_of(name: str) -> int:
    """The index of the step a round is for (``scan03`` → 3)."""
    return int(name[-2:])


class RefineJob(Job):
    """Refine document ``files`` (the expanded inputs, in canonical order)."""

    kind = "refine"
    partition = ("language", "bucket")
    work_name = WORK
    slots_name = "out"
    mirrored = True
    doing = "refining"

    def __init__(
        self,
        inputs: list[str],
        files: list[Path | str],
        config: RefineConfig,
        output: OutputConfig,
        earlier: list[str],
    ) -> None:
        super().__init__(inputs)
        self.document_files = [str(f) for f in files]
        self.refine_config = config
        self.output = output
        self.earlier = earlier
        self.formats = tuple(output_formats(output))
        self.part_bytes = output.part_bytes
        self.warned: set[str] = set()  # languages without a model, warned once for the run
        self._rounds: list[Round] = []
        for j, step in enumerate(build_steps(config)):
            name = step.stats.name
            if isinstance(step, CorpusStep):
                self._rounds.append(Round(f"{SCAN}{j:02d}", label=name))
            if isinstance(step, Calibrated):
                self._rounds.append(Round(f"{CALIBRATION}{j:02d}", scan=False, label=name))

    def fingerprint(self) -> str:
        return fingerprint(self.document_files, self.refine_config, self.output, self.earlier)

    def plan(self, workers: int) -> list[ShardSpec]:
        shards = plan_shards(self.document_files, workers, self.refine_config.fields)
        return [s.to_dict() for s in shards]

    def rounds(self) -> list[Round]:
        return self._rounds

    def scan(self, task: ShardTask) -> dict[str, Any]:
        return _in_work(task, lambda work: tasks.scan_shard(self._shard(task), work))

    def after(self, rnd: Round, ctx: RoundContext) -> dict[str, Any]:
        j = _step_of(rnd.name)
        work = WorkFolder(ctx.work.parent)
        if rnd.name.startswith(SCAN):
            step = build_steps(self.refine_config)[j]
            assert isinstance(step, CorpusStep)
            ctx.executor.map(run_merge_task, step.merge_tasks(work.step(j), len(ctx.shards)))
            return step.merge(work.step(j), len(ctx.shards))
        shards = [Shard(**s) for s in ctx.shards]
        state = tasks.calibrate(
            self.refine_config, work, shards, j, _calibrations(ctx.state),
            _calibrating(ctx.reporter, rnd.label, len(shards)),
        )  # fmt: skip
        notes.warn_missing_models(state.get("no_model", []), self.refine_config.lm_dir, self.warned)
        return state

    def run_shard(self, task: ShardTask, progress: Progress | None = None) -> dict[str, Any]:
        return _in_work(task, lambda work: tasks.final_shard(self._shard(task), work, progress))

    def _shard(self, task: ShardTask) -> tasks.ShardRun:
        return tasks.ShardRun(
            self.refine_config, self.output, task.index, Shard(**task.shard),
            _step_of(task.round) if task.round else -1, _calibrations(task.state),
        )  # fmt: skip

    def commit(
        self,
        folder: Any,
        infos: list[dict[str, Any]],
        stats: list[StepStats],
        state: dict[str, dict[str, Any]],
    ) -> RefineResult:
        out: Path = folder.out
        merges = {_step_of(k): v for k, v in state.items() if k.startswith(SCAN)}
        if folder.folder.prior.replace and ((out / MANIFEST).is_file() or not folder.resumed):
            remove_refine_output(out, keep_work=True)  # another run's corpus, now replaced
        result = finalise(
            out, WorkFolder(out), self.document_files, len(infos), self.refine_config, self.output,
            folder.folder.fingerprint, merges, build_steps(self.refine_config),
            _calibrations(state),
        )  # fmt: skip
        missing = result.buckets.get("not_bucketed", {}) if self.refine_config.lm_dir else {}
        no_model = [k for k, v in missing.items() if v.get("reason") == "no language model"]
        notes.warn_missing_models(no_model, self.refine_config.lm_dir, self.warned)
        result.out_dir = folder.publish()  # a bucket run: the working copy goes up
        return result

    def nothing(self, stats: list[StepStats]) -> str:
        return notes.nothing_kept(self.inputs, stats)


def _calibrations(state: dict[str, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The calibrations among the rounds' results, by step index."""
    return {_step_of(k): v for k, v in state.items() if k.startswith(CALIBRATION)}


def _in_work(task: ShardTask, body: Callable[[WorkFolder], dict[str, Any]]) -> Any:
    """Run ``body`` on the run's work folder: the driver's, or a scratch copy of the bucket's
    (what it wrote is uploaded after)."""
    if not is_remote(task.work):
        return body(WorkFolder(Path(task.work).parent))
    from thresher.store.mirror import RemoteWork

    return RemoteWork(task.work).run_in_scratch(
        task.index,
        lambda scratch: WorkFolder(scratch).root,
        lambda scratch: body(WorkFolder(scratch)),
    )


def _calibrating(reporter: Any, name: str, shards: int) -> Callable[[int], None]:
    """The progress callback of a calibration (it reads a sample of every shard)."""
    notes.phase(reporter, f"{name}: calibrating on a sample of {shards} shards")

    def on_shard(k: int) -> None:
        if reporter is not None:
            reporter.advance(0, phase=f"{name}: calibrating {k}/{shards}")

    return on_shard
