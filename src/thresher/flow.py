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
from thresher.errors import ConfigError
from thresher.progress import report
from thresher.stats import StepStats
from thresher.store import CorpusWriter, read_manifest, write_manifest


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
    """Run crawl → extract → refine with one configuration; returns counts for a summary."""
    from thresher.crawl import crawl
    from thresher.extract import extract
    from thresher.refine import refine

    root = Path(out_dir or config.output.dir or "thresher-out")
    if not config.crawl.seeds:
        raise ConfigError("crawl.seeds: give at least one start URL")
    result = FlowResult(out_dir=root)

    crawl_dir = root / "crawl"
    with report("crawl") as rep:
        crawled = crawl(config.crawl, crawl_dir, reporter=rep)
    result.crawl = {
        "pages": crawled.pages,
        "fetched": crawled.fetched,
        "failed": sum(crawled.failures.values()),
        **{f"failed: {k}": v for k, v in sorted(crawled.failures.items())},
    }

    docs_dir = root / "documents"
    warc_dir = crawl_dir / "warc"
    extract_stats = StepStats("extract")
    # Extraction is derived from the WARC files and cheap next to the crawl: redo it whole, so
    # a rerun after more crawling sees every page exactly once.
    for old in docs_dir.glob("part-*"):
        old.unlink()
    with report("extract") as rep:
        writer = CorpusWriter(docs_dir, formats=["jsonl.gz"], partition=())
        with writer:
            for doc in extract([str(warc_dir)], config.extract, stats=extract_stats):
                writer.write(doc)
                rep.advance()
    write_manifest(
        docs_dir,
        kind="documents",
        config=config.extract,
        inputs=[str(warc_dir)],
        parts=writer.parts,
        stats=[extract_stats],
    )
    result.steps.append(extract_stats)

    corpus_dir = root / "corpus"
    with report("refine") as rep:
        # the corpus is derived from the documents: the same documents and settings are
        # skipped, anything else (a crawl that found more pages) rebuilds it
        refined = refine(
            [str(docs_dir)], corpus_dir, config.refine, config.output, reporter=rep, overwrite=True
        )
    result.steps.extend(refined.stats)
    result.corpus_dir = corpus_dir
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
