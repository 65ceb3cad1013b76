"""Output folders of documents: what an earlier run left, and one writer that commits whole.

Every command that writes documents into a folder (``extract``, ``refine``, the stages of
``run``) follows the same rules, so a rerun never loses or doubles anything:

- a finished folder of the *same* run (same inputs and settings: the fingerprint in its
  manifest) is kept as it is, and the run does nothing;
- a finished folder of *another* run is refused, unless ``overwrite`` is given;
- an unfinished run of the same fingerprint is resumed (or redone), one of another is refused;
- the manifest lists exactly the parts in the folder, so ``thresher verify`` passes and
  readers see each document once.

:class:`DocumentsFolder` writes parts into a hidden work folder first and moves them into
place only when the whole input has been read; a crash, a full disk or Ctrl-C leaves the
earlier output (if any) as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from thresher.atomic import write_json
from thresher.errors import OutputError
from thresher.stats import StepStats
from thresher.store.hf import is_dataset_spec
from thresher.store.join import already_placed, place_finals, plan_finals
from thresher.store.manifest import MANIFEST, STATS, read_manifest, write_manifest
from thresher.store.markers import ShardSlots
from thresher.store.paths import part_path
from thresher.store.place import check_nesting, check_not_foreign
from thresher.store.writers import DEFAULT_PART_BYTES, Part

T = TypeVar("T", bound=str | Path)

#: manifests written by earlier versions under another name for the same kind of output
_KIND_ALIASES = {"extract": "documents"}


def _kind(manifest: dict[str, Any]) -> str | None:
    kind = manifest.get("kind")
    return _KIND_ALIASES.get(kind, kind) if isinstance(kind, str) else None


def input_key(spec: str | Path) -> str:
    """What names an input whatever way it was written: a local path resolved, a URL or a
    dataset name as it is."""
    text = str(spec)
    if is_dataset_spec(text) or ("://" in text and not text.startswith("file://")):
        return text
    local = Path(text.removeprefix("file://"))
    return str(local.resolve()) if local.exists() else text


def canonical_order(specs: Iterable[T]) -> list[T]:
    """Inputs in one order whatever order they were given in, each once (sorted by
    :func:`input_key`): the same inputs in another order are the same run, with the same
    fingerprint and the same output."""
    first: dict[str, T] = {}
    for spec in specs:
        first.setdefault(input_key(spec), spec)
    return [first[k] for k in sorted(first)]


def _final_part_files(out: Path) -> list[Path]:
    """Part files in ``out`` outside hidden folders and outside folders with their own
    manifest (the folders of other stages under a ``run`` root)."""
    found: list[Path] = []
    for entry in sorted(out.iterdir()):
        if entry.name.startswith(".") or (entry.is_symlink() and entry.is_dir()):
            continue  # hidden work, or a link to a folder that may be outside: never followed
        if entry.is_file() and entry.name.startswith("part-"):
            found.append(entry)
        elif entry.is_dir() and not (entry / MANIFEST).is_file():
            found.extend(_final_part_files(entry))
    return found


def remove_output(out: Path, work: str | None = None, keep: Iterable[Path] = ()) -> None:
    """Delete what an earlier run wrote into ``out`` (its listed parts, any part files left
    unlisted, manifest, stats and work folder); nothing else in the folder is touched, nor the
    files in ``keep`` (parts a killed commit of this run already moved into place)."""
    listed: set[Path] = set()
    if (out / MANIFEST).is_file():  # every listed path checked before anything is deleted
        manifest = read_manifest(out)
        listed = {part_path(out, e["path"], out / MANIFEST) for e in manifest.get("parts", [])}
    files = (listed | set(_final_part_files(out))) - set(keep)
    for f in files:
        f.unlink(missing_ok=True)
    for folder in sorted({f.parent for f in files}, key=lambda p: len(p.parts), reverse=True):
        while out in folder.parents and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    (out / STATS).unlink(missing_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    if work:
        shutil.rmtree(out / work, ignore_errors=True)


def check_manifests(*folders: Path) -> None:
    """Read the manifest of each folder that has one, so that a damaged manifest (one listing
    a path outside its folder) stops a run that would replace these folders before it starts."""
    for folder in folders:
        if (folder / MANIFEST).is_file():
            read_manifest(folder)


@dataclass
class Prior:
    """What an output folder holds before a run: ``done`` is the manifest of a finished run
    of the same fingerprint; ``replace`` says the folder holds output to remove first
    (another run's, with ``overwrite``, or unfinished parts of the same run)."""

    done: dict[str, Any] | None = None
    replace: bool = False
    resume: bool = False


def prior_run(
    out: Path,
    *,
    kind: str,
    fingerprint: str,
    overwrite: bool,
    work: str,
    inputs: Iterable[str | Path] = (),
) -> Prior:
    """Decide what to do with ``out`` before a run of ``kind`` reading ``inputs``; raise
    :class:`OutputError` for a folder the run must not touch (another run's output, a folder
    of the user's, one nested with an input: :mod:`thresher.store.place`). Nothing is
    deleted here."""
    check_nesting(out, inputs)
    if not out.exists():
        return Prior()
    if not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; give a folder for the output")
    if (out / MANIFEST).is_file():
        manifest = read_manifest(out)
        if _kind(manifest) != kind:
            raise OutputError(
                f"{out}: holds a {manifest.get('kind')!r} output, not {kind}; choose another folder"
            )
        if manifest.get("fingerprint") == fingerprint and manifest.get("complete", True):
            return Prior(done=manifest)
        if overwrite:  # a killed attempt of this very run is resumed, not started again
            return Prior(replace=True, resume=_same_plan(out / work, fingerprint))
        raise OutputError(
            f"{out}: already holds the output of another run (other inputs or settings); "
            "choose a new folder, or pass --overwrite to replace it"
        )
    if _same_plan(out / work, fingerprint):
        return Prior(resume=True, replace=bool(_final_part_files(out)))
    if _final_part_files(out):
        if overwrite:
            return Prior(replace=True)
        raise OutputError(
            f"{out}: holds part files of an unfinished run with other inputs or settings; "
            "choose a new folder, or pass --overwrite to replace them"
        )
    check_not_foreign(out, work)
    return Prior()


def _same_plan(work: Path, fingerprint: str) -> bool:
    """Whether ``work`` holds the plan of a killed attempt of the run of ``fingerprint``."""
    try:
        plan = json.loads((work / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(plan, dict) and plan.get("fingerprint") == fingerprint


def check_published(
    published: dict[str, Any] | None, *, url: str, kind: str, fingerprint: str, overwrite: bool
) -> dict[str, Any] | None:
    """The same rules for an object-store folder's committed manifest: the manifest when it
    holds this run (nothing to do), None when the run may go on; an error for another run's
    output without ``overwrite``, or another kind of output."""
    if published is None:
        return None
    if _kind(published) != kind:
        raise OutputError(
            f"{url}: holds a {published.get('kind')!r} output, not {kind}; choose another folder"
        )
    if published.get("fingerprint") == fingerprint:
        return published
    if not overwrite:
        raise OutputError(
            f"{url}: already holds the output of another run (other inputs or settings); "
            "choose a new folder, or pass --overwrite to replace it"
        )
    return None


@dataclass
class FolderResult:
    """What a documents folder holds after a run."""

    out_dir: Path | str  # a URL for a folder in an object store
    documents: int = 0
    parts: list[Part] = field(default_factory=list)
    skipped: bool = False  # True when the folder already held this run's output
    stats: list[StepStats] = field(default_factory=list)  # the run's counters (not when skipped)


class DocumentsFolder:
    """One run's local output folder under the rules of this module (the stage runner's
    local folder: :class:`~thresher.execute.run_folder.LocalRun`).

    ``open()`` decides (skip, refuse, replace, resume) and keeps the plan in the hidden work
    folder; each shard stages its parts in :attr:`shards` (with its own marker);
    :meth:`commit_shards` commits them in shard order, joining small consecutive parts, and
    writes the manifest; ``abort()`` drops what was staged and leaves the folder as it was.
    ``open(resume=True)`` keeps the staged shards of a killed run with the same fingerprint,
    so only unfinished shards are done again.
    """

    def __init__(
        self,
        out: str | Path,
        *,
        kind: str,
        fingerprint: str,
        formats: Sequence[str] = ("jsonl.gz",),
        overwrite: bool = False,
        work: str | None = None,
        inputs: Sequence[str | Path] = (),
        slots: str = "shards",
    ) -> None:
        self.out = Path(out)
        self.slots_name = slots
        self.inputs = list(inputs)  # an output nested with one of them is refused
        self.kind = kind
        self.fingerprint = fingerprint
        self.formats = list(formats)
        self.overwrite = overwrite
        self.work_name = work or f".{kind}-work"
        self.work = self.out / self.work_name
        self.prior = Prior()
        self.plan: dict[str, Any] = {}
        self.resumed = False

    def open(self, *, resume: bool = False) -> FolderResult | None:
        """The finished result when the folder already holds this run; otherwise prepare the
        work folder and return None.

        The fingerprint is saved as the work folder's plan (:attr:`plan` holds it); with
        ``resume``, the work folder of a killed run of the same fingerprint is kept and
        :attr:`plan` is the one that run saved (:attr:`resumed` is then true)."""
        self.prior = prior_run(
            self.out,
            kind=self.kind,
            fingerprint=self.fingerprint,
            overwrite=self.overwrite,
            work=self.work_name,
            inputs=self.inputs,
        )
        if self.prior.done is not None:
            return FolderResult(
                self.out,
                documents=int(self.prior.done.get("counts", {}).get("documents", 0)),
                parts=[Part(**p) for p in self.prior.done.get("parts", [])],
                skipped=True,
            )
        saved = self.work / "plan.json"
        if resume and self.prior.resume and saved.is_file():
            self.plan = json.loads(saved.read_text(encoding="utf-8"))
            self.resumed = True
            return None
        if self.work.exists():
            shutil.rmtree(self.work)  # a killed attempt: its staged parts are incomplete
        try:
            self.work.mkdir(parents=True)
            self.plan = {"fingerprint": self.fingerprint}
            write_json(saved, self.plan)
        except BaseException:
            self.abort()
            raise
        return None

    def finish(
        self,
        parts: list[Part],
        *,
        config: Any,
        inputs: Sequence[str | Path],
        stats: Iterable[StepStats],
        extra: dict[str, Any] | None,
    ) -> FolderResult:
        """Write the manifest of ``parts`` (now in place) and drop the work folder."""
        write_manifest(
            self.out,
            kind=self.kind,
            config=config,
            inputs=inputs,
            parts=parts,
            stats=stats,
            extra={"fingerprint": self.fingerprint, **(extra or {})},
        )
        shutil.rmtree(self.work, ignore_errors=True)
        primary = f".{self.formats[0]}"
        documents = sum(p.documents for p in parts if p.path.endswith(primary))
        return FolderResult(self.out, documents=documents, parts=parts)

    def save_plan(self, plan: dict[str, Any]) -> None:
        """Add ``plan`` (e.g. the shards) to the work folder's plan, kept for a resume."""
        self.plan = {**self.plan, **plan, "fingerprint": self.fingerprint}
        write_json(self.work / "plan.json", self.plan)

    @property
    def shards(self) -> ShardSlots:
        """The shards' staging folders and markers (``work/shards/NNNNN[.done.json]``)."""
        return ShardSlots(self.work / self.slots_name)

    def commit_shards(
        self,
        shards: Sequence[Sequence[Part]],
        *,
        part_bytes: int = DEFAULT_PART_BYTES,
        config: Any = None,
        inputs: Sequence[str | Path] = (),
        stats: Iterable[StepStats] = (),
        extra: dict[str, Any] | None = None,
    ) -> FolderResult:
        """Commit the parts staged by every shard (``shards[i]``: the parts in
        ``shards.stage(i)``), numbered in shard order folder by folder; runs of small parts
        of consecutive shards are joined up to ``part_bytes``
        (:func:`~thresher.store.join.plan_finals`). A commit killed half-way is done again by
        the next run: parts it had moved into place are kept."""
        finals = plan_finals(shards, self.formats, part_bytes)
        stages = self.shards.stage
        moved = already_placed(self.out, stages, finals)
        if self.prior.replace or (self.out / MANIFEST).is_file():
            remove_output(self.out, keep=moved)
        self.out.mkdir(parents=True, exist_ok=True)
        final = place_finals(self.out, stages, finals)
        return self.finish(final, config=config, inputs=inputs, stats=stats, extra=extra)

    def commit_built(
        self,
        built: Path,
        parts: list[Part],
        *,
        config: Any = None,
        inputs: Sequence[str | Path] = (),
        stats: Iterable[StepStats] = (),
        extra: dict[str, Any] | None = None,
    ) -> FolderResult:
        """Commit final parts a job built itself in ``built`` (their paths relative to it):
        the earlier output goes, the parts move into place, then the manifest."""
        if self.prior.replace or (self.out / MANIFEST).is_file():
            remove_output(self.out)
        for p in parts:
            dst = self.out / p.path
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(built / p.path, dst)
        return self.finish(parts, config=config, inputs=inputs, stats=stats, extra=extra)

    def abort(self) -> None:
        """Drop what was staged; the folder's earlier output stays as it was."""
        shutil.rmtree(self.work, ignore_errors=True)
