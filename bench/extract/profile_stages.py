"""Where a page's time goes: CPU seconds per stage of ``extract_html`` over a page set.

Usage: python bench/extract/profile_stages.py (WCXB_DIR | TRAFILATURA_EVAL_DIR) [--limit N]

Wraps the functions ``thresher.extract.page`` calls (parsing, metadata, JSON-LD, the page-type
classifier, the block walk and scoring, the trafilatura fallback, links) with CPU-time
counters; what is left of ``extract_html`` is reported as "rest". Shares are what to read on
a shared machine: absolute figures move with its load.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# this script's folder is on sys.path
from run import load as load_trafeval
from wcxb import load_pages

import thresher.extract.page as page_mod

STAGES = {
    "_parse": "parse",
    "decode": "decode",
    "extract_metadata": "metadata",
    "jsonld_objects": "json-ld",
    "classify": "classifier",
    "thread": "thread posts",
    "extract_content": "walk and scoring",
    "fallback_extract": "trafilatura fallback",
    "blocks_in": "fallback blocks",
    "_second_look": "block model",
    "without_title": "title",
    "resolve_links": "links",
    "clean_text": "clean text",
}


def load(root: Path) -> list[tuple[str, bytes]]:
    """(url, html bytes) of a WCXB split folder or of the trafilatura evaluation set."""
    if (root / "evaluate.py").exists():
        return [(url, html) for _, url, html, _ in load_pages(root, "dev")]
    return [(url, html) for url, html, _ in load_trafeval(root)]


def instrument(spent: dict[str, float], calls: dict[str, int]) -> None:
    """Replace each stage function in ``thresher.extract.page`` by a timed wrapper."""
    clock = time.process_time

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += clock() - start
                calls[label] += 1

        return run

    for name, label in STAGES.items():
        spent[label] = 0.0
        calls[label] = 0
        setattr(page_mod, name, timed(label, getattr(page_mod, name)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    pages = load(args.root)
    if args.limit:
        pages = pages[: args.limit]
    spent: dict[str, float] = {}
    calls: dict[str, int] = {}
    page_mod.extract_html(pages[0][1], pages[0][0] or None)  # imports, first calls
    instrument(spent, calls)
    start = time.process_time()
    for url, html in pages:
        page_mod.extract_html(html, url or None)
    total = time.process_time() - start
    spent["rest"] = total - sum(spent.values())
    calls["rest"] = len(pages)
    print(f"{len(pages)} pages, {total:.2f} CPU s, {len(pages) / total:.1f} pages/s")
    for label, secs in sorted(spent.items(), key=lambda kv: -kv[1]):
        per = 1000 * secs / len(pages)
        print(
            f"{label:22s} {secs:7.2f} s {100 * secs / total:5.1f}% {per:6.2f} ms/page "
            f"({calls[label]} calls)"
        )


if __name__ == "__main__":
    main()
