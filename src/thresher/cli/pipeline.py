"""Commands that run the whole flow: ``run`` (from a YAML file) and ``demo``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # rich and the flow load when a command runs, not for --help
    from rich.console import Console
    from rich.table import Table

    from thresher.extract.config import ExtractConfig
    from thresher.flow import FlowResult


def _languages_table(result: FlowResult) -> Table:
    """Documents per language, split into the perplexity buckets of the corpus folders."""
    from rich.table import Table

    from thresher.refine.buckets import buckets_present, by_language_and_bucket
    from thresher.store import read_manifest

    table: dict[str, dict[str, int]] = {}
    if result.corpus_dir is not None and (result.corpus_dir / "manifest.json").is_file():
        by_folder = read_manifest(result.corpus_dir).get("counts", {}).get("by_folder", {})
        table = by_language_and_bucket(by_folder)
    buckets = buckets_present(table)
    langs = Table(title="Documents per language and perplexity bucket", show_edge=False)
    langs.add_column("language")
    for bucket in buckets:
        langs.add_column(bucket, justify="right")
    langs.add_column("documents", justify="right")
    for lang, n in sorted(result.languages.items(), key=lambda kv: (-kv[1], kv[0])):
        per = table.get(lang, {})
        langs.add_row(lang, *(str(per.get(b, 0)) for b in buckets), str(n))
    totals = (str(sum(per.get(b, 0) for per in table.values())) for b in buckets)
    langs.add_row("[bold]total", *totals, f"[bold]{result.documents}")
    return langs


def print_summary(
    result: FlowResult,
    seconds: float,
    console: Console | None = None,
    extract: ExtractConfig | None = None,
) -> None:
    """The table a person reads after a run: documents per language, drops and where output is."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    console.print(_languages_table(result))
    drops = Table(title="Dropped, by step and reason", show_edge=False)
    drops.add_column("step")
    drops.add_column("reason")
    drops.add_column("documents", justify="right")
    for step, reason, n in result.dropped():
        drops.add_row(step, reason, str(n))
    if not result.dropped():
        drops.add_row("-", "nothing dropped", "0")
    console.print(drops)
    from thresher.refine.quality import coverage_summary

    if coverage := coverage_summary(result.steps):
        console.print(f"filters:  {coverage}", highlight=False)
    if result.crawl:
        console.print("crawl: " + ", ".join(f"{k} {v}" for k, v in result.crawl.items()))
    extracted = next((s for s in result.steps if s.name == "extract"), None)
    if extract is not None and extracted is not None:
        from thresher.cli.extract import extract_notes

        for line in extract_notes(extracted, extract):
            console.print(f"extract:  {line}", highlight=False)
    console.print(f"corpus:   {result.corpus_dir}  (verify with: thresher verify {result.out_dir})")
    console.print(f"finished in {seconds:.1f} s")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""

    @app.command("run")
    def run_cmd(
        pipeline: Path = typer.Argument(
            ..., help="Pipeline YAML file (crawl, extract, refine, output)."
        ),
        out: Path | None = typer.Option(
            None, "-o", "--out", help="Output folder (default: output.dir from the file)."
        ),
    ) -> None:
        """Run crawl → extract → refine from one YAML file."""
        from thresher.config import load_config
        from thresher.flow import run_pipeline

        config = load_config(pipeline)
        start = time.monotonic()
        result = run_pipeline(config, out)
        print_summary(result, time.monotonic() - start, extract=config.extract)

    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(Path("thresher-demo"), "-o", "--out", help="Output folder."),
    ) -> None:
        """Run the whole flow on a small multilingual site shipped with thresher (no network)."""
        from rich.console import Console

        from thresher.demo import run_demo

        console = Console()
        start = time.monotonic()
        console.print("[bold]thresher demo[/]: serving the demo site on 127.0.0.1 and crawling it")
        from thresher.report import build_report

        result, site = run_demo(out)
        console.print(f"site stopped; it answered {len(site.requests)} requests")
        report = build_report(out)  # documents per language and bucket, drops, distributions
        print_summary(result, time.monotonic() - start, console)
        console.print(f"report:   {report}")
