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

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thresher.atomic import write_json
from thresher.document import Document
from thresher.errors import OutputError
from thresher.stats import StepStats
from thresher.store.manifest import MANIFEST, STATS, read_manifest, write_manifest
from thresher.store.writers import CorpusWriter, Part

#: manifests written by earlier versions under another name for the same kind of output
_KIND_ALIASES = {"extract": "documents"}


def _kind(manifest: dict[str, Any]) -> str | None:
    kind = manifest.get("kind")
    return _KIND_ALIASES.get(kind, kind) if isinstance(kind, str) else None


def fingerprint_files(paths: Iterable[str], settings: str) -> str:
    """A run's identity from its settings and its input files' paths, sizes and modification
    times (remote URLs by name), cheap enough for terabytes of archives."""
    h = hashlib.sha256(settings.encode())
    for p in paths:
        if "://" in p and not p.startswith("file://"):
            h.update(f"{p}\n".encode())
            continue
        path = Path(p.removeprefix("file://"))
        st = path.stat()
        h.update(f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def _final_part_files(out: Path) -> list[Path]:
    """Part files in ``out`` outside hidden folders and outside folders with their own
    manifest (the folders of other stages under a ``run`` root)."""
    found: list[Path] = []
    for entry in sorted(out.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.name.startswith("part-"):
            found.append(entry)
        elif entry.is_dir() and not (entry / MANIFEST).is_file():
            found.extend(_final_part_files(entry))
    return found


def remove_output(out: Path, work: str | None = None) -> None:
    """Delete what an earlier run wrote into ``out`` (its listed parts, any part files left
    unlisted, manifest, stats and work folder); nothing else in the folder is touched."""
    listed: list[str] = []
    if (out / MANIFEST).is_file():
        listed = [e["path"] for e in read_manifest(out).get("parts", [])]
    files = {out / rel for rel in listed} | set(_final_part_files(out))
    for f in files:
        f.unlink(missing_ok=True)
    for folder in sorted({f.parent for f in files}, key=lambda p: len(p.parts), reverse=True):
        while folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    (out / STATS).unlink(missing_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    if work:
        shutil.rmtree(out / work, ignore_errors=True)


@dataclass
class Prior:
    """What an output folder holds before a run: ``done`` is the manifest of a finished run
    of the same fingerprint; ``replace`` says the folder holds output to remove first
    (another run's, with ``overwrite``, or unfinished parts of the same run)."""

    done: dict[str, Any] | None = None
    replace: bool = False
    resume: bool = False


def prior_run(out: Path, *, kind: str, fingerprint: str, overwrite: bool, work: str) -> Prior:
    """Decide what to do with ``out`` before a run of ``kind``; raise :class:`OutputError`
    for a folder the run must not touch. Nothing is deleted here."""
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
        if overwrite:
            return Prior(replace=True)
        raise OutputError(
            f"{out}: already holds the output of another run (other inputs or settings); "
            "choose a new folder, or pass --overwrite to replace it"
        )
    plan = out / work / "plan.json"
    if plan.is_file():
        try:
            same = json.loads(plan.read_text(encoding="utf-8")).get("fingerprint") == fingerprint
        except (OSError, ValueError):
            same = False
        if same:
            return Prior(resume=True, replace=bool(_final_part_files(out)))
    if _final_part_files(out):
        if overwrite:
            return Prior(replace=True)
        raise OutputError(
            f"{out}: holds part files of an unfinished run with other inputs or settings; "
            "choose a new folder, or pass --overwrite to replace them"
        )
    return Prior()


@dataclass
class FolderResult:
    """What a documents folder holds after a run."""

    out_dir: Path
    documents: int = 0
    parts: list[Part] = field(default_factory=list)
    skipped: bool = False  # True when the folder already held this run's output


class DocumentsFolder:
    """Writes one run's documents into ``out`` under the rules of this module.

    ``open()`` decides (skip, refuse, replace); ``write()`` stages parts in the hidden work
    folder; ``commit()`` removes the earlier output, moves the new parts into place and writes
    the manifest; ``abort()`` drops the staged parts and leaves the folder as it was.
    """

    def __init__(
        self,
        out: str | Path,
        *,
        kind: str,
        fingerprint: str,
        formats: Sequence[str] = ("jsonl.gz",),
        partition: Sequence[str] = (),
        overwrite: bool = False,
        work: str | None = None,
    ) -> None:
        self.out = Path(out)
        self.kind = kind
        self.fingerprint = fingerprint
        self.formats = list(formats)
        self.partition = tuple(partition)
        self.overwrite = overwrite
        self.work_name = work or f".{kind}-work"
        self.work = self.out / self.work_name
        self.stage = self.work / "parts"
        self._writer: CorpusWriter | None = None
        self.prior = Prior()

    def open(self) -> FolderResult | None:
        """The finished result when the folder already holds this run; otherwise prepare the
        work folder and return None."""
        self.prior = prior_run(
            self.out,
            kind=self.kind,
            fingerprint=self.fingerprint,
            overwrite=self.overwrite,
            work=self.work_name,
        )
        if self.prior.done is not None:
            return FolderResult(
                self.out,
                documents=int(self.prior.done.get("counts", {}).get("documents", 0)),
                parts=[Part(**p) for p in self.prior.done.get("parts", [])],
                skipped=True,
            )
        if self.work.exists():
            shutil.rmtree(self.work)  # a killed attempt: its staged parts are incomplete
        try:
            self.stage.mkdir(parents=True)
            write_json(self.work / "plan.json", {"fingerprint": self.fingerprint})
            self._writer = CorpusWriter(
                self.stage, formats=self.formats, partition=self.partition
            )
        except BaseException:
            self.abort()
            raise
        return None

    @property
    def documents(self) -> int:
        return self._writer.documents if self._writer is not None else 0

    def write(self, doc: Document) -> None:
        assert self._writer is not None, "open() first"
        self._writer.write(doc)

    def write_all(
        self, docs: Iterable[Document], on_write: Callable[[Document], None] | None = None
    ) -> None:
        """Write every document (calling ``on_write`` after each one), then nothing else: the
        caller commits. Any exception aborts the staged parts first."""
        try:
            for doc in docs:
                self.write(doc)
                if on_write is not None:
                    on_write(doc)
        except BaseException:
            self.abort()
            raise

    def commit(
        self,
        *,
        config: Any = None,
        inputs: Sequence[str | Path] = (),
        stats: Iterable[StepStats] = (),
        extra: dict[str, Any] | None = None,
    ) -> FolderResult:
        """Replace the folder's earlier output by the staged parts and write the manifest."""
        assert self._writer is not None, "open() first"
        documents = self._writer.documents
        try:
            staged = self._writer.close()
        except BaseException:
            self.abort()
            raise
        if self.prior.replace or (self.out / MANIFEST).is_file():
            remove_output(self.out)
        parts: list[Part] = []
        for p in staged:
            dst = self.out / p.path
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.stage / p.path, dst)
            parts.append(p)
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
        self._writer = None
        return FolderResult(self.out, documents=documents, parts=parts)

    def abort(self) -> None:
        """Drop what was staged; the folder's earlier output stays as it was."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        shutil.rmtree(self.work, ignore_errors=True)
