"""Commands of the model: ``thresher recipe suggest`` (a recipe written by an OpenAI-compatible
model from sample pages, checked on them before it is written)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from thresher.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    recipe_app = typer.Typer(
        help="Recipes of selectors for structured records.", no_args_is_help=True
    )
    app.add_typer(recipe_app, name="recipe")

    @recipe_app.command("suggest")
    def suggest_cmd(
        sources: list[str] = typer.Argument(
            ..., help="Sample pages: HTML files or http(s) URLs (read politely, robots.txt)."
        ),
        out: Path = typer.Option(..., "-o", "--out", help="The recipe file to write (YAML)."),
        base_url: str | None = typer.Option(
            None, "--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1"
        ),
        model: str | None = typer.Option(None, "--llm-model", help="Model name to ask."),
        prompt: str | None = typer.Option(
            None, "--llm-prompt", help="Which records and fields you want, in words."
        ),
        name: str | None = typer.Option(None, "--name", help="Recipe name (default: OUT's stem)."),
        tries: int = typer.Option(3, "--tries", min=1, help="Answers asked for at most."),
        allow_private: bool = typer.Option(
            False, "--allow-private", help="Permit sample URLs on loopback or private addresses."
        ),
        config: Path | None = typer.Option(
            None, "--config", help="YAML file with an 'extract:' section holding 'llm:'."
        ),
    ) -> None:
        """Ask a model for a recipe from sample pages; run it on them; write it when it works."""
        from functools import partial

        from thresher.config import load_section
        from thresher.crawl import fetch_pages
        from thresher.crawl.config import CrawlConfig
        from thresher.extract import ExtractConfig
        from thresher.extract.recipes.suggest import read_samples, suggest_recipe, write_recipe
        from thresher.llm.options import merge_llm

        section = load_section(ExtractConfig, config, "extract")
        settings = merge_llm(section.llm, need_schema=False, base_url=base_url, model=model)
        if settings is None:
            raise ConfigError("--llm-base-url and --llm-model (or extract.llm) are needed")
        fetch = partial(fetch_pages, config=CrawlConfig(allow_private=allow_private))
        samples = read_samples(sources, fetch)
        found = suggest_recipe(
            samples,
            settings,
            name=name or out.stem,
            ask=prompt,
            tries=tries,
        )
        note = f"suggested by {settings.model} from {', '.join(sources)}; " + "; ".join(found.found)
        write_recipe(found.data, out, note=note)
        print(f"wrote {out}: " + "; ".join(found.found), file=sys.stderr)
        c = found.counts
        print(
            f"llm: {c['llm:requests']} requests ({c['llm:reasks']} asked again); tokens "
            f"{c['llm:tokens:prompt']} in / {c['llm:tokens:completion']} out",
            file=sys.stderr,
        )
