"""The whole flow, crawl → extract → refine, as one call (``thresher run`` and ``thresher demo``).

Each stage writes into its own folder under the output folder and can be resumed on its own:

    DIR/crawl/      WARC files, the crawl frontier (SQLite), crawl-stats.json
    DIR/documents/  extracted documents + manifest.json + stats.json
    DIR/corpus/     refined corpus: <language>/<bucket>/part-NNNNN.<ext> + manifest + stats
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thresher.atomic import write_json
from thresher.config import PipelineConfig
from thresher.errors import ConfigError, Interrupted
from thresher.output import lock_folder
from thresher.progress import report
from thresher.stats import StepStats
from thresher.store import read_manifest
from thresher.store.folder import check_manifests
from thresher.store.manifest import read_stats


@dataclass
class FlowResult:
    """What a whole run produced, for the summary a person reads."""

    out_dir: Path
    crawl: dict[str, Any] = field(default_factory=dict)
    steps: list[StepStats] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    corpus_dir: Path | None = None

    def dropped(self) -> list[tuple[str, str, int]]:
        """(step, reason, count) for every reason any step dropped something."""
        return [
            (s.name, reason, n) for s in self.steps for reason, n in sorted(s.dropped.items()) if n
        ]


def run_pipeline(config: PipelineConfig, out_dir: str | Path | None = None) -> FlowResult:
    """Run crawl → extract → refine with one configuration; returns counts for a summary.

    The output folder is locked for the run: a second run into it is refused."""
    root = Path(out_dir or config.output.dir or "thresher-out")
    if not config.crawl.seeds:
        raise ConfigError("crawl.seeds: give at least one start URL")
    with lock_folder(root):
        # the stages replace these folders: a manifest pointing outside stops the run first
        check_manifests(root / "documents", root / "corpus", root / "corpus" / "dropped")
        return _run_stages(config, root)


def _run_stages(config: PipelineConfig, root: Path) -> FlowResult:
    from thresher.crawl import crawl
    from thresher.execute.config import legacy_keys, resolve_executor
    from thresher.extract.to_folder import extract_to_folder
    from thresher.refine import refine

    result = FlowResult(out_dir=root)

    crawl_dir = root / "crawl"
    with report("crawl") as rep:
        crawled = crawl(config.crawl, crawl_dir, reporter=rep)
    if crawled.interrupted:  # not a partial crawl's corpus: stop here, the state is saved
        raise Interrupted(
            f"interrupted during the crawl: {crawled.fetched} pages fetched; "
            "rerun the same command to resume"
        )
    result.crawl = crawled.summary()
    crawled.require_a_seed()  # no seed fetched: nothing to extract, stop with the reasons

    docs_dir = root / "documents"
    warc_dir = crawl_dir / "warc"
    extract_stats = StepStats("extract")
    with report("extract") as rep:
        # the documents are derived from the WARC files: the same files are not read again,
        # changed ones (a crawl that found more pages) replace the documents whole
        extracted = extract_to_folder(
            [str(warc_dir)],
            docs_dir,
            config.extract,
            overwrite=True,
            stats=extract_stats,
            reporter=rep,
            executor=resolve_executor(config.executor, legacy=legacy_keys(config.extract)),
        )
    if extracted.skipped:
        saved = [s for s in read_stats(docs_dir) if s.name == "extract"]
        extract_stats = saved[0] if saved else extract_stats
    result.steps.append(extract_stats)

    corpus_dir = root / "corpus"
    with report("refine") as rep:
        # the corpus is derived from the documents: the same documents and settings are
        # skipped, anything else (a crawl that found more pages) rebuilds it
        refined = refine(
            [str(docs_dir)],
            corpus_dir,
            config.refine,
            config.output,
            reporter=rep,
            overwrite=True,
            executor=resolve_executor(config.executor, legacy=legacy_keys(config.refine)),
        )
    result.steps.extend(refined.stats)
    result.corpus_dir = corpus_dir
    from thresher.ship.card import write_card

    write_card(corpus_dir, license_id=config.output.license)
    manifest = read_manifest(corpus_dir)
    result.documents = int(manifest.get("counts", {}).get("documents", 0))
    for folder, n in manifest.get("counts", {}).get("by_folder", {}).items():
        lang = folder.split("/", 1)[0]
        result.languages[lang] = result.languages.get(lang, 0) + n
    write_json(
        root / "run.json",
        {
            "config": config.model_dump(mode="json"),
            "crawl": result.crawl,
            "languages": result.languages,
            "documents": result.documents,
        },
    )
    return result
