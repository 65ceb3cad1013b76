"""``extract_to_folder()``: extract inputs into a documents folder, the one way both
``thresher extract`` and ``thresher run`` do it.

The folder follows :mod:`thresher.store.folder`'s rules: the same run again does nothing,
another run's folder is refused unless ``overwrite``, and the new parts replace the old ones
only once every input has been read. Inputs that give no document at all are an error that
says why (``NothingToDoError``), and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from thresher.document import Document
from thresher.errors import NothingToDoError
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import expand_inputs, is_remote
from thresher.extract.run import extract
from thresher.output import lock_folder
from thresher.stats import StepStats
from thresher.store.folder import DocumentsFolder, FolderResult, fingerprint_files
from thresher.store.sniff import sniff, wrong_kind_hint

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
) -> FolderResult:
    """Extract ``inputs`` into ``out`` (a flat folder of parts with a manifest).

    ``stats`` receives the extract counts (pass your own to read them while it runs);
    ``on_write`` is called after each document written (progress)."""
    config = config or ExtractConfig()
    stats = stats if stats is not None else StepStats("extract")
    inputs = [str(i) for i in inputs]
    items = expand_inputs(inputs)  # a missing input fails before anything is written
    settings = config.model_dump_json(exclude={"workers"}) + "|" + ",".join(formats)
    folder = DocumentsFolder(
        out,
        kind=KIND,
        fingerprint=fingerprint_files([p for p, _ in items], settings),
        formats=formats,
        overwrite=overwrite,
    )
    with lock_folder(out):
        done = folder.open()
        if done is not None:
            return done
        folder.write_all(extract(inputs, config, stats=stats), on_write)
        if folder.documents == 0:
            folder.abort()
            raise NothingToDoError(_why_nothing(inputs, [p for p, _ in items], stats))
        return folder.commit(config=config, inputs=inputs, stats=[stats])


def _why_nothing(inputs: list[str], files: list[str], stats: StepStats) -> str:
    """One line: which inputs gave nothing and why, with the command to run instead."""
    if not files:
        return f"{', '.join(inputs)}: no WARC, WET, ARC or HTML file found"
    for f in files:
        if not is_remote(f):
            hint = wrong_kind_hint(f, "archive")
            if hint is None and sniff(f) == "empty":
                hint = f"{f}: is empty"
            if hint is not None:
                return f"no document extracted: {hint}"
    records = sum(v for k, v in stats.counters.items() if k.startswith("records:"))
    parts = [f"{len(files)} file(s)", f"{records} record(s)"]
    if stats.counters.get("errors"):
        parts.append(f"{stats.counters['errors']} damaged file(s)")
    dropped = ", ".join(f"{k} {v}" for k, v in stats.dropped.most_common(4))
    if dropped:
        parts.append(f"dropped: {dropped}")
    return f"{', '.join(inputs)}: no document extracted ({'; '.join(parts)})"
