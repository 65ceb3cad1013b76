"""The reader and the local API: ``thresher read URL`` and ``thresher serve``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from thresher.crawl.config import CrawlConfig
    from thresher.serve.cache import PageCache

_ALLOW_PRIVATE = typer.Option(
    False, "--allow-private", help="Permit loopback and private addresses (off: refused)."
)
_USER_AGENT = typer.Option(
    None, "--user-agent", help="User-Agent header [default: thresher/VERSION (+URL)]."
)
_CONTACT = typer.Option(None, "--contact", help="Contact URL or e-mail in the User-Agent.")
_RATE = typer.Option(None, "--rate", help="Requests per second per host [default: 1].")
_TIMEOUT = typer.Option(None, "--timeout", help="Connect and read timeout, seconds [default: 30].")
_CACHE = typer.Option(
    None, "--cache", help="Cache folder [default: $XDG_CACHE_HOME/thresher/read]."
)
_NO_CACHE = typer.Option(False, "--no-cache", help="Neither read nor write the cache.")
_CACHE_TTL = typer.Option(
    None, "--cache-ttl", help="Seconds a fetched page is served from the cache [default: 3600]."
)
_CONFIG = typer.Option(None, "--config", help="YAML file with a crawl: section (options win).")


def _crawl_config(config: Path | None, **overrides: Any) -> CrawlConfig:
    from thresher.config import load_section
    from thresher.crawl.config import CrawlConfig

    return load_section(CrawlConfig, config, "crawl", **overrides)


def _cache(folder: Path | None, off: bool) -> PageCache | None:
    from thresher.serve.cache import PageCache, default_cache_dir

    return None if off else PageCache(folder or default_cache_dir())


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""

    @app.command("read")
    def read_command(
        url: str = typer.Argument(..., help="The page to read (http or https)."),
        as_json: bool = typer.Option(False, "--json", help="Print the document record as JSON."),
        render: bool = typer.Option(
            False, "--render", help="Run the page's JavaScript in headless Chromium first."
        ),
        allow_private: bool = _ALLOW_PRIVATE,
        user_agent: str | None = _USER_AGENT,
        contact: str | None = _CONTACT,
        rate: float | None = _RATE,
        timeout: float | None = _TIMEOUT,
        cache: Path | None = _CACHE,
        no_cache: bool = _NO_CACHE,
        cache_ttl: float | None = _CACHE_TTL,
        config: Path | None = _CONFIG,
    ) -> None:
        """Fetch one page politely (robots.txt, address guard) and print its main content as
        Markdown, the title as the first heading."""
        from thresher.serve.reader import DEFAULT_PAGE_TTL, as_markdown, read_page

        cfg = _crawl_config(
            config,
            allow_private=allow_private or None,
            user_agent=user_agent,
            contact=contact,
            rate=rate,
            timeout=timeout,
        )
        ttl = cache_ttl if cache_ttl is not None else DEFAULT_PAGE_TTL
        doc = read_page(url, cfg, render=render, cache=_cache(cache, no_cache), page_ttl=ttl)
        if as_json:
            print(json.dumps(doc.to_dict(), ensure_ascii=False, default=str))
        else:
            print(as_markdown(doc), end="")

    @app.command("serve")
    def serve_command(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(
            8765, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."
        ),
        api_key: str | None = typer.Option(
            None,
            "--api-key",
            help="Require this key (Authorization: Bearer KEY or X-API-Key)"
            " [default: $THRESHER_API_KEY].",
        ),
        max_body: int = typer.Option(
            10 * 1024 * 1024, "--max-body-bytes", help="Largest request body accepted."
        ),
        allow_host: list[str] | None = typer.Option(
            None,
            "--allow-host",
            help="Another name clients may send in Host (NAME or NAME:PORT; repeatable;"
            " '*': any). Loopback names and --host are always allowed.",
        ),
        header_timeout: float = typer.Option(
            10.0, "--header-timeout", min=0.1, help="Seconds to send a complete request head."
        ),
        body_timeout: float = typer.Option(
            30.0, "--body-timeout", min=0.1, help="Seconds for a request body to arrive."
        ),
        extract_workers: int = typer.Option(
            2, "--extract-workers", min=1, help="Pages extracted at once (worker processes)."
        ),
        extract_timeout: float = typer.Option(
            20.0,
            "--extract-timeout",
            min=0.1,
            help="Seconds one page may take; then its worker is stopped and the answer is 504.",
        ),
        max_depth: int = typer.Option(
            3000,
            "--max-depth",
            min=0,
            help="Pages nesting elements deeper are refused before parsing (422; 0: no limit).",
        ),
        allow_private: bool = _ALLOW_PRIVATE,
        user_agent: str | None = _USER_AGENT,
        contact: str | None = _CONTACT,
        rate: float | None = _RATE,
        timeout: float | None = _TIMEOUT,
        cache: Path | None = _CACHE,
        no_cache: bool = _NO_CACHE,
        cache_ttl: float | None = _CACHE_TTL,
        config: Path | None = _CONFIG,
        llm_base_url: str | None = typer.Option(
            None, "--llm-base-url", help="OpenAI-compatible endpoint for POST /extract schemas."
        ),
        llm_model: str | None = typer.Option(None, "--llm-model", help="Model name to ask."),
        llm_prompt: str | None = typer.Option(
            None, "--llm-prompt", help="What to extract, in words [default: see docs/llm.md]."
        ),
        llm_cache: str | None = typer.Option(
            None, "--llm-cache", help="Response cache [default: $XDG_CACHE_HOME/thresher/llm]."
        ),
    ) -> None:
        """Serve GET /read?url=... and POST /extract as a local HTTP API (loopback by
        default), with the reader's robots.txt, address guard, spacing and cache."""
        from thresher.extract.config import ExtractConfig
        from thresher.serve.app import ServeOptions, check_bind, check_key, serve
        from thresher.serve.pool import ExtractPool
        from thresher.serve.reader import DEFAULT_PAGE_TTL, Reader
        from thresher.serve.schema import SchemaAnswerer, llm_settings

        llm = llm_settings(llm_base_url, llm_model, llm_prompt, llm_cache)
        # an empty key (option or variable) is refused, not taken for "no key"
        key = api_key if api_key is not None else os.environ.get("THRESHER_API_KEY")
        check_key(key, "--api-key" if api_key is not None else "THRESHER_API_KEY")
        check_bind(host, key)
        cfg = _crawl_config(
            config,
            allow_private=allow_private or None,
            user_agent=user_agent,
            contact=contact,
            rate=rate,
            timeout=timeout,
        )
        ttl = cache_ttl if cache_ttl is not None else DEFAULT_PAGE_TTL
        pool = ExtractPool(extract_workers, extract_timeout)
        # with --llm-*, pages keep their H1-H3 (metadata.headings) for schema requests
        extract = ExtractConfig(markdown=True, max_depth=max_depth, llm=llm)
        reader = Reader(
            cfg, cache=_cache(cache, no_cache), page_ttl=ttl, extract=extract, pool=pool
        )
        answerer = SchemaAnswerer(llm) if llm is not None else None
        options = ServeOptions(
            host,
            port,
            key,
            max_body,
            answerer,
            allow_hosts=tuple(allow_host or ()),
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            extract_workers=extract_workers,
            extract_timeout=extract_timeout,
        )
        serve(reader, options)
