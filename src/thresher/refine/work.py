"""The refine work folder (``DIR/.refine-work``): where the stage runner keeps a refine run's
plan and markers (:mod:`thresher.execute.stage`) and refine's steps their summaries, so that a
killed run resumes, whichever executor ran its shards.

Layout::

    plan.json                      fingerprint and shards (the runner's)
    stepJJ/                        the scan summaries of CorpusStep JJ
    scanJJ/NNNNN.done.json         shard NNNNN scanned for step JJ (round scanJJ)
    scanJJ.done.json               step JJ merged (its counters)
    calibrationJJ.done.json        step JJ's calibration (round calibrationJJ)
    out/NNNNN/, out/NNNNN.done.json  shard NNNNN's staged parts and its final-pass marker
    out/NNNNN/paragraph-hashes.u64   the paragraph hashes of what shard NNNNN wrote
    dropped/NNNNN/                 with keep_dropped: the documents shard NNNNN dropped
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thresher.errors import OutputError
from thresher.refine.config import RefineConfig
from thresher.refine.hash_files import HASHES
from thresher.store.config import OutputConfig
from thresher.store.folder import remove_output
from thresher.store.identity import run_fingerprint
from thresher.store.manifest import MANIFEST
from thresher.store.markers import ShardSlots

WORK = ".refine-work"
#: the folder of dropped documents (``--keep-dropped``) inside a corpus folder
DROPPED = "dropped"


def output_formats(output: OutputConfig) -> list[str]:
    """The formats parts are written in, the primary first (CSV last when asked for)."""
    formats = list(dict.fromkeys(output.formats))
    if output.csv and "csv" not in formats:
        formats.append("csv")
    return formats


def fingerprint(
    files: list[Path | str],
    config: RefineConfig,
    output: OutputConfig,
    earlier: Sequence[str] = (),
) -> str:
    """Identifies a run: same inputs (path, size, content) and same settings (workers aside).

    ``earlier``: the SHA-256 of the hash files of the corpora deduplicated against (another
    version of an earlier corpus at the same path is another run). Settings added later
    (``dedup.against``, ``output.keep_dropped``) count only when used, so a folder made before
    they existed is still the same run.

    The inputs count by the one rule of :mod:`thresher.store.identity` (a local file by its
    content, an object-store file by its content tag)."""
    exclude: dict[str, Any] = {"workers": True, "executor": True}
    if not config.dedup.against:
        exclude["dedup"] = {"against"}
    if config.fields is None:
        exclude["fields"] = True
    settings = config.model_dump_json(exclude=exclude)
    settings += json.dumps([output_formats(output), output.part_bytes])
    if output.keep_dropped:
        settings += "keep_dropped\n"
    settings += "".join(f"against {digest}\n" for digest in earlier)
    return run_fingerprint(settings, files)


def remove_refine_output(out: Path, *, keep_work: bool = False) -> None:
    """Delete an earlier refine output: its parts, manifest and stats, work folder (unless
    ``keep_work``: this run's), paragraph hashes and dropped documents (the ``dropped/``
    folder only when it is one of ours)."""
    dropped = out / DROPPED
    if dropped.is_symlink():  # never follow a link out of the folder to delete there
        raise OutputError(f"{dropped}: is a symbolic link; remove it by hand, then run again")
    if (dropped / MANIFEST).is_file():
        try:
            ours = json.loads((dropped / MANIFEST).read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError):
            ours = None
        if ours == "dropped":
            shutil.rmtree(dropped)
    remove_output(out, None if keep_work else WORK)
    (out / HASHES).unlink(missing_ok=True)


class WorkFolder:
    """Paths of one run's work folder (``out/.refine-work``; in a task of a bucket run, a
    scratch copy of it)."""

    def __init__(self, out: Path) -> None:
        self.root = out / WORK
        self.final = ShardSlots(self.root / "out")
        self.dropped = ShardSlots(self.root / DROPPED)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def hashes(self, shard: int) -> Path:
        """The paragraph hashes of what shard ``shard`` wrote (beside its staged parts)."""
        return self.final.stage(shard) / HASHES

    def step(self, j: int) -> Path:
        """The folder of CorpusStep ``j``'s scan summaries."""
        return self.root / f"step{j:02d}"

    def scan_marker(self, j: int, shard: int) -> Path:
        """The marker of shard ``shard``'s scan for step ``j`` (the runner's round
        ``scanJJ``), its folder made."""
        folder = self.root / f"scan{j:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{shard:05d}.done.json"
