"""The stage runner: one way every stage that writes a folder runs, on every executor.

``run_stage(job, out)`` does, for any :class:`~thresher.execute.job.Job`:

1. the run's identity (:meth:`Job.fingerprint`, one rule for every stage) and the output's
   lock (a second run into the same folder stops);
2. the folder's state (:mod:`thresher.execute.run_folder`): a finished run of the same
   identity is left as it is ("already complete"), another run's output is refused unless
   ``overwrite``, a killed attempt of this run is resumed with the shards it planned;
3. the shards without a marker run on the executor (this process, a local pool or Ray),
   each staged with its marker; progress is reported as they finish;
   A job with rounds (refine) first runs each round: every shard's scan, then the round's
   step in the driver (a merge, a calibration), each saved so a resumed run skips it;
4. shards left unfinished (network failures after the retries) stop the run before the
   commit (exit 75: rerun to fetch them); a run that wrote nothing leaves nothing (exit 1,
   :meth:`Job.nothing` says why);
5. the commit: staged parts into place in shard order, then ``manifest.json`` and
   ``stats.json`` — in a local folder or an object store alike.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from thresher.errors import IncompleteRunError, NothingToDoError
from thresher.execute.base import Executor
from thresher.execute.choose import make_executor
from thresher.execute.config import ExecutorConfig
from thresher.execute.job import Job, RoundContext, ShardTask, run_task
from thresher.execute.local import LocalExecutor
from thresher.execute.run_folder import RunFolder, run_folder
from thresher.progress import phase, slow_phase
from thresher.stats import StepStats, merge_stats


def run_stage(
    job: Job,
    out: str | Path,
    *,
    executor: ExecutorConfig | None = None,
    overwrite: bool = False,
    reporter: Any = None,
    stats: list[StepStats] | None = None,
) -> Any:
    """Run ``job`` into ``out`` (a folder or an object-store URL); see the module docstring.
    Returns what :meth:`Job.commit` returns (a :class:`FolderResult` by default), or the
    finished folder's result with ``skipped`` when it already holds this run.

    ``reporter`` (a :class:`thresher.progress.Reporter`) gets ``advance(items,
    shards=done/total, dropped=n)`` as shards finish, and per item when they run in this
    process, and a line for each phase; ``stats``, when given, receives the counters shard by
    shard (merged by name)."""
    settings = executor or ExecutorConfig()
    with slow_phase(reporter, "identifying the run (hashing its inputs)"):
        fingerprint = job.fingerprint()
    folder = run_folder(
        out, kind=job.kind, fingerprint=fingerprint, formats=job.formats,
        overwrite=overwrite, inputs=job.inputs, part_bytes=job.part_bytes,
        work=job.work_name, slots=job.slots_name, mirrored=job.mirrored,
    )  # fmt: skip
    with folder.lock():
        done = folder.open()
        if done is not None:
            return done
        with slow_phase(reporter, "planning shards"):
            shards = folder.shards(lambda: job.plan(settings.workers))
        folder.push()
        n = len(shards)
        if folder.resumed:
            left = sum(1 for i in range(n) if folder.slots.done(i) is None)
            phase(reporter, f"resuming: {n - left} of {n} shards done")
        with make_executor(settings) as pool:
            state = _rounds(job, folder, shards, pool, reporter)
            infos = _run_shards(job, folder, shards, state, pool, reporter, stats)
        folder.pull()
        return _commit(job, folder, infos, state)


def _rounds(
    job: Job, folder: RunFolder, shards: list[dict[str, Any]], pool: Executor, reporter: Any
) -> dict[str, dict[str, Any]]:
    """Every round of the job: the scans not yet done, then its step in the driver (once);
    what each step returned, by round name."""
    state: dict[str, dict[str, Any]] = {}
    for rnd in job.rounds():
        if rnd.scan:
            slots = folder.round_slots(rnd.name)
            todo = [i for i in range(len(shards)) if slots.done(i) is None]
            tasks = [
                ShardTask(job, i, shards[i], str(slots.stage(i)), str(slots.marker(i)),
                          rnd.name, dict(state), folder.task_work)
                for i in todo
            ]  # fmt: skip
            _scan(pool, tasks, rnd.label or rnd.name, reporter)
            folder.pull()
        assert folder.work is not None, "a job with rounds runs in a folder with a work folder"
        with _local_pool(pool, folder.shares_disk) as where:
            ctx = RoundContext(folder.work, list(shards), dict(state), where, reporter)
            state[rnd.name] = folder.once(rnd.name, lambda r=rnd, c=ctx: job.after(r, c))
        folder.push()
    return state


def _local_pool(pool: Executor, shares_disk: bool) -> AbstractContextManager[Executor]:
    """Where a round's driver step runs its parallel part (it reads the driver's work
    folder): the run's executor, or local processes when the run's tasks share no disk with
    the driver (Ray with a mirrored bucket run)."""
    if shares_disk or pool.kind == "local":
        return nullcontext(pool)
    return LocalExecutor(pool.workers)


def _scan(pool: Executor, tasks: list[ShardTask], label: str, reporter: Any) -> None:
    """A round's scan of the shards not yet scanned, saying how many are done."""
    total = len(tasks)
    if total:
        phase(reporter, f"{label}: scanning {total} shard{'s' if total != 1 else ''}")
    done = 0

    def advance(_: int, info: Any) -> None:
        nonlocal done
        done += 1
        if reporter is not None:
            reporter.advance(0, phase=f"{label}: scanned {done}/{total}")

    pool.map(run_task, tasks, on_done=advance)


def _commit(
    job: Job, folder: RunFolder, infos: list[dict[str, Any]], state: dict[str, dict[str, Any]]
) -> Any:
    """Stop on unfinished shards or an empty run; else commit every shard's parts."""
    left = unfinished_items(infos)
    if left is not None:
        raise IncompleteRunError(
            f"{left}; the finished ones are kept in {folder.where}: "
            "rerun the same command to fetch them"
        )
    merged = merge_stats([[StepStats.from_dict(s) for s in info["stats"]] for info in infos])
    if sum(info["documents"] for info in infos) == 0:
        folder.abort()
        raise NothingToDoError(job.nothing(merged))
    return job.commit(folder, infos, merged, state)


def _run_shards(
    job: Job,
    folder: RunFolder,
    shards: Sequence[dict[str, Any]],
    state: dict[str, dict[str, Any]],
    pool: Executor,
    reporter: Any,
    sink: list[StepStats] | None,
) -> list[dict[str, Any]]:
    """The final pass: the shards without a marker run on the executor; every shard's
    marker, in order."""
    slots = folder.slots
    infos: dict[int, dict[str, Any]] = {}
    todo: list[int] = []
    dropped = 0

    def count(info: dict[str, Any]) -> None:
        nonlocal dropped
        got = [StepStats.from_dict(s) for s in info["stats"]]
        dropped += sum(sum(s.dropped.values()) for s in got)
        if sink is not None:
            by_name = {s.name: s for s in sink}
            for s in got:
                if s.name in by_name:
                    by_name[s.name].merge(s)
                else:
                    sink.append(s)
                    by_name[s.name] = s

    for i in range(len(shards)):
        done = slots.done(i)
        if done is not None:
            infos[i] = done
            count(done)
        else:
            todo.append(i)
    tasks = [
        ShardTask(job, i, shards[i], str(slots.stage(i)), str(slots.marker(i)), "",
                  dict(state), folder.task_work)
        for i in todo
    ]  # fmt: skip
    if job.rounds() or folder.resumed:
        phase(reporter, f"{job.doing} {len(todo)} of {len(shards)} shards")
    inline = pool.inline(len(tasks))

    def shard_done(k: int, info: dict[str, Any]) -> None:
        infos[todo[k]] = info
        if info.get("unfinished"):  # done again by the rerun: its counts come then
            return
        count(info)
        if reporter is not None:
            reporter.advance(
                0 if inline else info["documents"],
                shards=f"{len(infos)}/{len(shards)}",
                dropped=dropped,
            )

    fn: Any = run_task
    if inline and reporter is not None:
        fn = functools.partial(run_task, progress=reporter.advance)
    pool.map(fn, tasks, on_done=shard_done)
    return [infos[i] for i in range(len(shards))]


def unfinished_items(infos: Sequence[dict[str, Any]]) -> str | None:
    """One line naming the shards left unfinished (how many, which and why), or None."""
    left = [str(info["unfinished"]) for info in infos if info.get("unfinished")]
    if not left:
        return None
    shown = "; ".join(left[:3]) + (f"; and {len(left) - 3} more" if len(left) > 3 else "")
    return f"{len(left)} of {len(infos)} item(s) left unfinished: {shown}"
