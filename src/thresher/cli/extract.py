"""Commands of the extract stage: ``thresher extract``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from thresher.cli.run_options import ExecutorKind, RayAddress, Workers
from thresher.errors import ConfigError

if TYPE_CHECKING:
    from thresher.extract.config import ExtractConfig
    from thresher.stats import StepStats

FORMATS = {
    "jsonl": "jsonl.gz",
    "jsonl.gz": "jsonl.gz",
    "jsonl.zst": "jsonl.zst",
    "parquet": "parquet",
}


def extract_notes(stats: StepStats, config: ExtractConfig) -> list[str]:
    """Lines after extract's counts (``thresher extract`` and ``thresher run``): the model's
    requests, tokens and cost; the bytes fetched from Common Crawl."""
    lines = []
    if config.llm is not None:
        from thresher.llm.step import cost_line

        if line := cost_line(stats, config.llm):
            lines.append(line)
    if cut := stats.counters.get("truncated", 0):  # records salvaged from damaged files
        lines.append(
            f"{cut} record{'s' if cut != 1 else ''} cut short: kept as far as they arrived "
            "(metadata.truncated)"
        )
    types = sorted(
        ((k.split(":", 1)[1], v) for k, v in stats.counters.items() if k.startswith("page_type:")),
        key=lambda kv: -kv[1],
    )
    if types:
        lines.append("page types: " + ", ".join(f"{k} {v}" for k, v in types))
    from thresher.sources.commoncrawl.summary import fetch_line

    if (line := fetch_line(stats)) is not None:
        lines.append(line)
    return lines


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""

    @app.command("extract")
    def extract_cmd(
        inputs: list[str] = typer.Argument(
            ...,
            help="WARC/WET/ARC files (plain, .gz, .lz4), HTML files (.html/.htm, plain or .gz), "
            "folders, or fsspec URLs: http(s):// files and directory listings, file://, and "
            "s3:// gs:// ... when the matching fsspec package (s3fs, gcsfs) is installed; "
            "Common Crawl as 'cc:CRAWL/PATTERN' (a slice) or 'cc:CRAWL' (a snapshot, --kind); "
            "Reddit dumps (RS_YYYY-MM.zst, RC_YYYY-MM.zst).",
        ),
        out: str = typer.Option(
            ...,
            "-o",
            "--out",
            help="Output folder for the documents: a path, or an object-store URL "
            "(s3://bucket/prefix, gs://...) written through a local copy (docs/outputs.md).",
        ),
        fmt: str = typer.Option(
            "jsonl", "--format", help="Part format: jsonl (gzip), jsonl.zst or parquet."
        ),
        markdown: bool = typer.Option(
            False, "--markdown", help="Also write the main content as Markdown."
        ),
        recipe: Path | None = typer.Option(
            None, "--recipe", help="YAML recipe of selectors: write structured records instead."
        ),
        workers: Workers = None,
        executor: ExecutorKind = None,
        ray_address: RayAddress = None,
        comments: bool = typer.Option(
            False, "--comments", help="Keep comment sections in the main content."
        ),
        fallback_below: int | None = typer.Option(
            None,
            "--fallback-below",
            help="Pages with less prose than this many bytes get trafilatura's choice of "
            "blocks (0 turns the fallback off; default 300).",
        ),
        block_model: bool | None = typer.Option(
            None,
            "--block-model/--no-block-model",
            help="Let the learned block model reconsider the rules' blocks (default on).",
        ),
        page_types: str | None = typer.Option(
            None,
            "--page-types",
            help="Keep only these page types, comma-separated: article, forum, product, "
            "collection, listing, documentation, service, other (dropped as page_type:TYPE).",
        ),
        config: Path | None = typer.Option(
            None, "--config", help="YAML file with an 'extract:' section (options override it)."
        ),
        overwrite: bool = typer.Option(
            False, "--overwrite", help="Replace the output of an earlier run with other inputs."
        ),
        # -- schema-driven extraction with a model (thresher.llm, docs/llm.md) --
        llm_schema: Path | None = typer.Option(
            None, "--llm-schema", help="JSON Schema of each page's record, asked of a model."
        ),
        llm_base_url: str | None = typer.Option(
            None, "--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1"
        ),
        llm_model: str | None = typer.Option(None, "--llm-model", help="Model name to ask."),
        llm_prompt: str | None = typer.Option(
            None, "--llm-prompt", help="What to extract, in words (default: a generic prompt)."
        ),
        llm_only: bool = typer.Option(
            False, "--llm-only", help="Write just the records (text: the record as JSON)."
        ),
        llm_cache: Path | None = typer.Option(
            None, "--llm-cache", help="Response cache (default $XDG_CACHE_HOME/thresher/llm)."
        ),
        # -- Common Crawl inputs cc:CRAWL/PATTERN and cc:CRAWL (docs/commoncrawl.md) --
        cc_index_server: str | None = typer.Option(
            None, "--cc-index-server", help="CDX index server (default index.commoncrawl.org)."
        ),
        cc_data_server: str | None = typer.Option(
            None, "--cc-data-server", help="Server of crawl-data/ (default data.commoncrawl.org)."
        ),
        cc_kind: str | None = typer.Option(
            None, "--kind", help="cc:CRAWL (whole snapshot): wet or warc files (default wet)."
        ),
        cc_shards: str | None = typer.Option(
            None, "--shards", help="cc:CRAWL: files A-B of the paths file (0-based, inclusive)."
        ),
        cc_fetchers: int | None = typer.Option(
            None, "--cc-fetchers", help="cc:CRAWL/PATTERN: range requests at once (default 4)."
        ),
        # -- Reddit dumps (thresher.sources.reddit, docs/reddit.md) --
        subreddit: list[str] | None = typer.Option(
            None, "--subreddit", help="Reddit dumps: keep only this subreddit (repeatable)."
        ),
        since: str | None = typer.Option(
            None, "--since", help="Reddit dumps: posts created at or after this (YYYY-MM-DD, UTC)."
        ),
        until: str | None = typer.Option(
            None, "--until", help="Reddit dumps: posts created before this (YYYY-MM-DD, UTC)."
        ),
        link_posts: bool = typer.Option(
            False, "--link-posts", help="Reddit dumps: keep link posts too (title only)."
        ),
    ) -> None:
        """Extract main content and metadata from web archives and HTML files into documents."""
        from thresher.config import load_section
        from thresher.extract import ExtractConfig
        from thresher.extract.to_folder import extract_to_folder
        from thresher.progress import report
        from thresher.stats import StepStats

        if fmt not in FORMATS:
            raise ConfigError(f"--format: unknown format {fmt!r}; choose jsonl or parquet")
        cfg = load_section(
            ExtractConfig,
            config,
            "extract",
            markdown=markdown or None,
            recipe=str(recipe) if recipe else None,
            workers=workers,
            include_comments=comments or None,
            fallback_below=fallback_below,
            block_model=block_model,
            page_types=page_types,
        )
        from thresher.execute.config import legacy_keys, load_executor

        where = load_executor(
            config, legacy=legacy_keys(cfg), kind=executor, address=ray_address, workers=workers
        )
        if cfg.recipe:
            from thresher.extract.recipes import load_recipe

            load_recipe(cfg.recipe)  # fail early with a one-line error
        from thresher.llm.options import merge_llm

        cfg.llm = merge_llm(
            cfg.llm, schema_=str(llm_schema) if llm_schema else None, base_url=llm_base_url,
            model=llm_model, prompt=llm_prompt, only=llm_only,
            cache=str(llm_cache) if llm_cache else None,
        )  # fmt: skip
        from thresher.settings_base import with_options
        from thresher.sources.commoncrawl.config import OPTIONS as CC_OPTIONS
        from thresher.sources.reddit.settings import OPTIONS as REDDIT_OPTIONS

        cfg.cc = with_options(
            cfg.cc, CC_OPTIONS, "extract.cc", index_server=cc_index_server,
            data_server=cc_data_server, kind=cc_kind, shards=cc_shards, fetchers=cc_fetchers,
        )  # fmt: skip
        cfg.reddit = with_options(
            cfg.reddit, REDDIT_OPTIONS, "extract.reddit", subreddits=subreddit, since=since,
            until=until, link_posts=link_posts,
        )  # fmt: skip
        stats = StepStats("extract")
        with report("extract") as bar:
            result = extract_to_folder(
                inputs,
                out,
                cfg,
                formats=(FORMATS[fmt],),
                overwrite=overwrite,
                stats=stats,
                reporter=bar,
                executor=where,
            )
        if result.skipped:
            print(f"{out}: already complete ({result.documents} documents); nothing to do")
            return
        dropped = ", ".join(f"{k}={v}" for k, v in sorted(stats.dropped.items())) or "none"
        errors = stats.counters.get("errors", 0)
        print(
            f"extracted {result.documents} documents from {stats.seen} pages into {out} "
            f"(dropped: {dropped}; damaged files: {errors})",
            file=sys.stderr,
        )
        for line in extract_notes(stats, cfg):
            print(line, file=sys.stderr)
