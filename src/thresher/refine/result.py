"""What a refine run produced, from its manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thresher.stats import StepStats
from thresher.store import Part, read_manifest
from thresher.store.manifest import read_stats


@dataclass
class RefineResult:
    """What a refine run produced."""

    out_dir: Path | str  # a URL for a corpus in an object store
    documents: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    folders: dict[str, int] = field(default_factory=dict)
    stats: list[StepStats] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    skipped: bool = False  # True when the folder was already complete
    #: the manifest's ``buckets``: perplexity cutoffs applied, languages not bucketed and why
    buckets: dict[str, Any] = field(default_factory=dict)


def result_from(manifest: dict[str, Any], stats: list[StepStats], out: Path | str) -> RefineResult:
    """The result a manifest (and its stats) describe."""
    folders = dict(manifest.get("counts", {}).get("by_folder", {}))
    languages: dict[str, int] = {}
    for folder, n in folders.items():
        lang = folder.split("/", 1)[0]
        languages[lang] = languages.get(lang, 0) + n
    return RefineResult(
        out_dir=out,
        documents=int(manifest.get("counts", {}).get("documents", 0)),
        languages=languages,
        folders=folders,
        stats=stats,
        parts=[Part(**p) for p in manifest.get("parts", [])],
        buckets=dict(manifest.get("buckets") or {}),
    )


def result_of_folder(out: Path) -> RefineResult:
    """The result of the finished corpus in ``out``."""
    return result_from(read_manifest(out), read_stats(out), out)
