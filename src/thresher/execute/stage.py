"""The stage runner: one way every stage that writes a folder runs, on every executor.

``run_stage(job, out)`` does, for any :class:`~thresher.execute.job.Job`:

1. the run's identity (:meth:`Job.fingerprint`, one rule for every stage) and the output's
   lock (a second run into the same folder stops);
2. the folder's state (:mod:`thresher.execute.run_folder`): a finished run of the same
   identity is left as it is ("already complete"), another run's output is refused unless
   ``overwrite``, a killed attempt of this run is resumed with the shards it planned;
3. the shards without a marker run on the executor (this process, a local pool or Ray),
   each staged with its marker; progress is reported as they finish;
4. shards left unfinished (network failures after the retries) stop the run before the
   commit (exit 75: rerun to fetch them); a run that wrote nothing leaves nothing (exit 1,
   :meth:`Job.nothing` says why);
5. the commit: staged parts into place in shard order, then ``manifest.json`` and
   ``stats.json`` — in a local folder or an object store alike.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thresher.errors import IncompleteRunError, NothingToDoError
from thresher.execute.choose import make_executor
from thresher.execute.config import ExecutorConfig
from thresher.execute.job import Job, ShardTask, run_task
from thresher.execute.run_folder import RunFolder, Slots, run_folder
from thresher.stats import StepStats, merge_stats
from thresher.store.folder import FolderResult
from thresher.store.writers import Part


def run_stage(
    job: Job,
    out: str | Path,
    *,
    executor: ExecutorConfig | None = None,
    overwrite: bool = False,
    reporter: Any = None,
    stats: list[StepStats] | None = None,
) -> FolderResult:
    """Run ``job`` into ``out`` (a folder or an object-store URL); see the module docstring.

    ``reporter`` (a :class:`thresher.progress.Reporter`) gets ``advance(items,
    shards=done/total, dropped=n)`` as shards finish, and per item when they run in this
    process; ``stats``, when given, receives the counters shard by shard (merged by name)."""
    settings = executor or ExecutorConfig()
    folder = run_folder(
        out, kind=job.kind, fingerprint=job.fingerprint(), formats=job.formats,
        overwrite=overwrite, inputs=job.inputs, part_bytes=job.part_bytes,
    )  # fmt: skip
    with folder.lock():
        done = folder.open()
        if done is not None:
            return done
        shards = folder.shards(lambda: job.plan(settings.workers))
        infos = _run_shards(job, folder.slots, shards, settings, reporter, stats)
        return _commit(job, folder, infos)


def _commit(job: Job, folder: RunFolder, infos: list[dict[str, Any]]) -> FolderResult:
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
    result = folder.commit(
        [[Part(**p) for p in info["parts"]] for info in infos],
        config=job.config(),
        inputs=job.inputs,
        stats=merged,
        extra=job.extra(),
    )
    result.stats = merged
    return result


def _run_shards(
    job: Job,
    slots: Slots,
    shards: Sequence[dict[str, Any]],
    settings: ExecutorConfig,
    reporter: Any,
    sink: list[StepStats] | None,
) -> list[dict[str, Any]]:
    """Run the shards without a marker in ``slots`` on the executor; every shard's marker,
    in order."""
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
    tasks = [ShardTask(job, i, shards[i], str(slots.stage(i)), str(slots.marker(i))) for i in todo]
    with make_executor(settings) as executor:
        inline = executor.inline(len(tasks))

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
        executor.map(fn, tasks, on_done=shard_done)
    return [infos[i] for i in range(len(shards))]


def unfinished_items(infos: Sequence[dict[str, Any]]) -> str | None:
    """One line naming the shards left unfinished (how many, which and why), or None."""
    left = [str(info["unfinished"]) for info in infos if info.get("unfinished")]
    if not left:
        return None
    shown = "; ".join(left[:3]) + (f"; and {len(left) - 3} more" if len(left) > 3 else "")
    return f"{len(left)} of {len(infos)} item(s) left unfinished: {shown}"
