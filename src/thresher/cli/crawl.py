"""Commands of the crawl stage: ``thresher crawl`` and ``thresher robots``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from thresher.errors import InputError

if TYPE_CHECKING:
    from thresher.crawl import CrawlResult


def summary_lines(result: CrawlResult, out: Path) -> list[str]:
    """What a crawl folder holds after a run: pages, then failures and skips by reason,
    each with the flag or setting that lifts it (all runs; requests are this run's)."""
    from thresher.crawl.outcomes import reason_lines

    fails = sum(result.failures.values())
    return [
        f"crawled {result.pages} pages ({result.fetched} requests this run, {fails} failed)"
        f" into {out / 'warc'}; stats in {out / 'crawl-stats.json'}",
        *reason_lines("failed", result.failures),
        *reason_lines("skipped", result.skipped),
        *sitemap_lines(result.stats.get("this_run", {})),
    ]


def sitemap_lines(run: dict[str, object]) -> list[str]:
    """One line on this run's sitemaps when any was read or left out for the caps."""
    fetched, skipped = run.get("sitemaps_fetched", 0), run.get("sitemaps_skipped", 0)
    urls, dropped = run.get("sitemap_urls", 0), run.get("sitemap_urls_dropped", 0)
    if not (fetched or skipped or dropped):
        return []
    line = f"sitemaps: {fetched} fetched, {urls} URLs taken"
    if skipped:
        line += f", {skipped} sitemaps skipped (caps: max_sitemaps, max_sitemap_urls)"
    if dropped:
        line += f", {dropped} URLs dropped (raise max_sitemap_urls)"
    return [line + " this run"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""

    @app.command("crawl")
    def crawl_command(
        urls: list[str] = typer.Argument(None, help="Seed URLs (added to the config's seeds)."),
        out: Path = typer.Option(..., "-o", "--out", help="Output folder (WARC, state, stats)."),
        config: Path | None = typer.Option(
            None, "--config", help="YAML file with a crawl: section."
        ),
        max_pages: int | None = typer.Option(None, "--max-pages", help="Stop after N pages."),
        max_depth: int | None = typer.Option(None, "--max-depth", help="Follow links D deep."),
        rate: float | None = typer.Option(
            None, "--rate", help="Requests per second per host [default: 1]."
        ),
        concurrency: int | None = typer.Option(
            None, "--concurrency", help="Requests in flight in total [default: 16]."
        ),
        per_host: int | None = typer.Option(
            None, "--per-host", help="Requests in flight per host [default: 1]."
        ),
        user_agent: str | None = typer.Option(
            None, "--user-agent", help="User-Agent header [default: thresher/VERSION (+URL)]."
        ),
        contact: str | None = typer.Option(
            None, "--contact", help="Contact URL or e-mail put in the default User-Agent."
        ),
        allow_private: bool | None = typer.Option(
            None,
            "--allow-private/--no-allow-private",
            help="Permit loopback and private addresses [default: no].",
            show_default=False,
        ),
        render: bool | None = typer.Option(
            None,
            "--render/--no-render",
            help="Render pages with headless Chromium [default: no].",
            show_default=False,
        ),
        proxy: list[str] | None = typer.Option(
            None, "--proxy", help="Proxy URL; repeat to rotate over several."
        ),
        include: list[str] | None = typer.Option(
            None, "--include", help="Only follow URLs matching this regex (repeatable)."
        ),
        exclude: list[str] | None = typer.Option(
            None, "--exclude", help="Never follow URLs matching this regex (repeatable)."
        ),
        same_domain: bool | None = typer.Option(
            None,
            "--same-domain/--any-domain",
            help="Stay on the seeds' domains [default: same-domain].",
            show_default=False,
        ),
        recrawl: bool | None = typer.Option(
            None,
            "--recrawl",
            help="Fetch done pages again with conditional requests (revisit records).",
            show_default=False,
        ),
        recipe: str | None = typer.Option(
            None,
            "--recipe",
            metavar="FILE|NAME",
            help="Follow only this recipe's links (a YAML file or phpbb, xenforo, vbulletin,"
            " discourse).",
        ),
        frontier: str | None = typer.Option(
            None,
            "--frontier",
            metavar="sqlite|redis://HOST:PORT/DB",
            help="Crawl state: SQLite in DIR, or a Redis database that several crawlers (each"
            " with its own -o DIR) share as one crawl [default: sqlite].",
        ),
    ) -> None:
        """Crawl politely from seed URLs into DIR/warc/*.warc.gz; run again to resume."""
        from thresher.config import load_section
        from thresher.crawl import CrawlConfig, crawl
        from thresher.progress import report

        overrides = {
            "max_pages": max_pages,
            "max_depth": max_depth,
            "rate": rate,
            "concurrency": concurrency,
            "per_host": per_host,
            "user_agent": user_agent,
            "contact": contact,
            "allow_private": allow_private,
            "render": render,
            "proxies": proxy or None,
            "include": include or None,
            "exclude": exclude or None,
            "same_domain": same_domain,
            "recrawl": recrawl,
            "recipe": recipe,
            "frontier": frontier,
        }
        cfg = load_section(CrawlConfig, config, "crawl", **overrides)
        if urls:
            cfg.seeds = [*cfg.seeds, *urls]
        if cfg.recipe:  # a bad recipe is a one-line error before any progress output
            from thresher.extract.recipes import load_recipe

            load_recipe(cfg.recipe)
        with report("crawl", cfg.max_pages) as reporter:
            result = crawl(cfg, out, reporter=reporter)
        for line in summary_lines(result, out):
            print(line)
        if result.interrupted:  # state is saved: say how to go on, exit as an interrupt does
            print(
                f"interrupted: {result.fetched} pages fetched; rerun the same command to resume",
                file=sys.stderr,
            )
            raise typer.Exit(130)
        result.require_a_seed()  # exit 1 with the reasons when no seed could be fetched

    @app.command("robots")
    def robots_command(
        robots_file: Path = typer.Argument(..., help="A robots.txt file."),
        url: str = typer.Argument(..., help="The URL to check."),
        user_agent: str = typer.Argument(..., help="The crawler's product token, e.g. FooBot."),
    ) -> None:
        """Exit 0 if USER_AGENT may fetch URL under ROBOTS_FILE, 1 if not."""
        from thresher.crawl.robots import MAX_ROBOTS_BYTES, checkable_url, parse_robots

        if not checkable_url(url):
            raise InputError(f"{url!r}: not a URL (give one like https://example.com/page)")
        try:
            with robots_file.open("rb") as f:
                data = f.read(MAX_ROBOTS_BYTES)  # the rest would be ignored anyway
        except OSError as e:
            raise InputError(f"{robots_file}: cannot read: {e.strerror or e}") from None
        allowed = parse_robots(data).allowed(user_agent, url)
        print(
            f"user-agent '{user_agent}' with URI '{url}': {'ALLOWED' if allowed else 'DISALLOWED'}",
            file=sys.stderr,
        )
        raise typer.Exit(0 if allowed else 1)
