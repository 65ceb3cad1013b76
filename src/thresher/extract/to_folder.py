"""``extract_to_folder()``: extract inputs into a documents folder, the one way both
``thresher extract`` and ``thresher run`` do it: the extract job
(:class:`~thresher.extract.job.ExtractJob`) on the stage runner
(:func:`~thresher.execute.stage.run_stage`).

So the folder follows the runner's rules: the same run again does nothing, another run's
folder is refused unless ``overwrite``, a killed run resumes with only its unfinished shards,
the new parts replace the old ones only once every input has been read, and inputs that give
no document at all are an error that says why (nothing is written). A shard whose item could
not be fetched (a network failure left after the retries) stops the run before the commit with
:class:`~thresher.errors.IncompleteRunError` (exit 75) naming those items; the rerun fetches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thresher.errors import NothingToDoError
from thresher.execute.config import ExecutorConfig, legacy_keys, resolve_executor
from thresher.execute.stage import run_stage
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import expand_inputs
from thresher.extract.job import ExtractJob, why_nothing
from thresher.stats import StepStats
from thresher.store.folder import FolderResult, canonical_order


def extract_to_folder(
    inputs: Sequence[str],
    out: str | Path,
    config: ExtractConfig | None = None,
    *,
    formats: Sequence[str] = ("jsonl.gz",),
    overwrite: bool = False,
    stats: StepStats | None = None,
    reporter: Any = None,
    executor: ExecutorConfig | None = None,
) -> FolderResult:
    """Extract ``inputs`` into ``out`` (a flat folder of parts with a manifest; a local
    folder or an object-store URL).

    ``stats`` receives the extract counts (shard by shard as they finish); ``executor`` says
    where shards run (default: local, ``config.workers`` processes); ``reporter`` (a
    :class:`thresher.progress.Reporter`) gets ``advance(documents, shards=done/total,
    dropped=n)`` as shards finish (and as documents are written when they run here)."""
    config = config or ExtractConfig()
    stats = stats if stats is not None else StepStats("extract")
    settings = resolve_executor(executor, legacy=legacy_keys(config))
    inputs = [str(i) for i in inputs]
    # a missing input fails before anything is written; input order makes no other run
    items = expand_inputs(canonical_order(inputs), config)
    if not items:  # an empty folder, or one without an input file: nothing is written either
        raise NothingToDoError(why_nothing(inputs, items, stats))
    job = ExtractJob(inputs, items, config, formats)
    return run_stage(
        job, out, executor=settings, overwrite=overwrite, reporter=reporter, stats=[stats]
    )
