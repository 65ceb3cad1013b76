"""The refine work folder (``DIR/.refine-work``): the plan, the fingerprint and the markers
that let a killed run resume, whichever executor ran its shards.

Layout (unchanged across versions, so a resume finds what an earlier attempt left)::

    plan.json                      fingerprint and shards
    stepJJ/                        the scan summaries of CorpusStep JJ
    scanJJ-NNNNN.done.json         shard NNNNN scanned for step JJ
    mergeJJ.done.json              step JJ merged (its counters)
    calibrationJJ.json             step JJ's calibration
    out/NNNNN/, out/NNNNN.done.json  shard NNNNN's staged parts and its final-pass marker
    out/NNNNN/paragraph-hashes.u64   the paragraph hashes of what shard NNNNN wrote
    dropped/NNNNN/                 with keep_dropped: the documents shard NNNNN dropped
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from thresher.atomic import write_json
from thresher.errors import OutputError
from thresher.refine.config import RefineConfig
from thresher.refine.hash_files import HASHES
from thresher.refine.shards import Shard
from thresher.store.config import OutputConfig
from thresher.store.folder import Prior, prior_run, remove_output
from thresher.store.identity import run_fingerprint
from thresher.store.manifest import MANIFEST
from thresher.store.markers import ShardSlots, read_marker, write_marker

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


def prior(out: Path, fingerprint: str, overwrite: bool, inputs: Sequence[str] = ()) -> Prior:
    """What an earlier run left in ``out``, its work folder made ready for this run: another
    run's output removed (with ``overwrite``), stale work of another unfinished run dropped.
    ``done`` is set when ``out`` already holds this very run. A folder of the user's, or one
    nested with an input, is refused (:func:`~thresher.store.folder.prior_run`)."""
    found = prior_run(
        out, kind="refine", fingerprint=fingerprint, overwrite=overwrite, work=WORK, inputs=inputs
    )
    if found.done is None:
        if found.replace and not found.resume:
            remove_refine_output(out)
        elif not found.resume and (out / WORK).exists():
            shutil.rmtree(out / WORK)  # stale work of another unfinished run, nothing final yet
    return found


def remove_refine_output(out: Path) -> None:
    """Delete an earlier refine output: its parts, manifest and stats, work folder, paragraph
    hashes and dropped documents (the ``dropped/`` folder only when it is one of ours)."""
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
    remove_output(out, WORK)
    (out / HASHES).unlink(missing_ok=True)


class WorkFolder:
    """Paths and markers of one run's work folder; every method is safe to call again after
    a crash (a marker is written last, a missing marker means "do it again")."""

    def __init__(self, out: Path) -> None:
        self.root = out / WORK
        self.final = ShardSlots(self.root / "out")
        self.dropped = ShardSlots(self.root / DROPPED)

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def shards(self, fingerprint: str, plan: Callable[[], list[Shard]]) -> list[Shard]:
        """The run's shards: those of the first attempt when resuming (whatever the workers),
        else ``plan()``'s, saved for a later resume."""
        path = self.root / "plan.json"
        saved = read_marker(path)
        if saved is not None:
            return [Shard(**s) for s in saved["shards"]]
        shards = plan()
        write_json(path, {"fingerprint": fingerprint, "shards": [s.to_dict() for s in shards]})
        return shards

    def hashes(self, shard: int) -> Path:
        """The paragraph hashes of what shard ``shard`` wrote (beside its staged parts)."""
        return self.final.stage(shard) / HASHES

    def step(self, j: int) -> Path:
        """The folder of CorpusStep ``j``'s scan summaries."""
        return self.root / f"step{j:02d}"

    def scan_marker(self, j: int, shard: int) -> Path:
        return self.root / f"scan{j:02d}-{shard:05d}.done.json"

    def unscanned(self, j: int, shards: int) -> list[int]:
        """Shards not yet scanned for step ``j``."""
        return [i for i in range(shards) if not self.scan_marker(j, i).is_file()]

    def once(self, name: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The JSON saved as ``name``, computed and saved first if it is not there yet (a
        merge's counters, a calibration)."""
        path = self.root / name
        done = read_marker(path)
        if done is None:
            done = compute()
            write_marker(path, done)
        return done
