"""Extraction benchmark: thresher vs trafilatura (default, fast) vs resiliparse.

Usage: python bench/extract/run.py EVAL_DIR [--tools thresher,trafilatura,...] [--limit N]

EVAL_DIR is the unpacked ``trafilatura-eval.tgz`` (the folder holding ``tests/``). Scoring as
the trafilatura project does it: a ``with`` snippet found in the output is a true positive,
missing a false negative; a ``without`` snippet found is a false positive, missing a true
negative; precision / recall / F1 over all snippets of all pages. One process, one core: every
tool sees the same page bytes in the same run, timed over extraction only (files are read
before the clock starts), page by page in turn so that load on a shared machine hits all
tools alike.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path


def load(eval_dir: Path) -> list[tuple[str, bytes, dict]]:
    tests = eval_dir / "tests" if (eval_dir / "tests").is_dir() else eval_dir
    data = json.loads((tests / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for url, item in data.items():
        for sub in ("eval", "cache"):
            p = tests / sub / item["file"]
            if p.exists():
                pages.append((url, p.read_bytes(), item))
                break
    return pages


def tool_thresher(fallback_below: int | None = None) -> Callable[[bytes, str], str]:
    from thresher.extract import extract_html
    from thresher.extract.page import FALLBACK_BELOW

    below = FALLBACK_BELOW if fallback_below is None else fallback_below

    def run(html: bytes, url: str) -> str:
        doc = extract_html(html, url or None, fallback_below=below)
        return doc.text if doc else ""

    return run


def tool_thresher_stage() -> Callable[[bytes, str], str]:
    """The page through extract's whole per-page path (triage, budgets, extraction, counts),
    as ``thresher extract`` runs it: measures what the stage adds around :func:`extract_html`."""
    from thresher.extract.config import ExtractConfig
    from thresher.extract.run import extract_pages
    from thresher.sources.page import Page
    from thresher.stats import StepStats

    config, stats = ExtractConfig(), StepStats("extract")

    def run(html: bytes, url: str) -> str:
        page = Page("bench", url or None, None, html, status=200, content_type="text/html")
        docs = list(extract_pages([page], config, stats))
        return docs[0].text if docs else ""

    return run


def tool_trafilatura(fast: bool = False) -> Callable[[bytes, str], str]:
    import trafilatura

    def run(html: bytes, url: str) -> str:
        return trafilatura.extract(html, url=url or None, fast=fast) or ""

    return run


def tool_resiliparse() -> Callable[[bytes, str], str]:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree

    def run(html: bytes, url: str) -> str:
        tree = HTMLTree.parse(bytes_to_str(html, detect_encoding(html)))
        return extract_plain_text(tree, main_content=True)

    return run


TOOLS: dict[str, Callable[[], Callable[[bytes, str], str]]] = {
    "thresher": tool_thresher,
    # a second thresher variant shares the first one's caches: run it in its own invocation
    "thresher-own": lambda: tool_thresher(fallback_below=0),
    "thresher-stage": tool_thresher_stage,
    "trafilatura": tool_trafilatura,
    "trafilatura-fast": lambda: tool_trafilatura(fast=True),
    "resiliparse": tool_resiliparse,
}


def _half(url: str) -> int:
    """0 or 1 from a hash of the URL: two halves to check that a change helps on both."""
    return int(hashlib.md5(url.encode("utf-8")).hexdigest(), 16) % 2


def score(outputs: list[str], pages: list[tuple[str, bytes, dict]]) -> dict[str, float]:
    tp = fn = fp = tn = 0
    for text, (_, _, item) in zip(outputs, pages, strict=True):
        for s in item.get("with", []):
            if s in text:
                tp += 1
            else:
                fn += 1
        for s in item.get("without", []):
            if s in text:
                fp += 1
            else:
                tn += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "fn": fn, "fp": fp, "tn": tn}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument(
        "--tools",
        default="thresher,trafilatura,trafilatura-fast,resiliparse",
        help=f"comma-separated, from {', '.join(TOOLS)}",
    )
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument(
        "--fallback-below",
        type=int,
        default=None,
        help="thresher: prose bytes under which trafilatura is asked (default: the library's)",
    )
    ap.add_argument(
        "--halves",
        action="store_true",
        help="also score the two halves of the set split by a hash of the URL",
    )
    ap.add_argument("--json", type=Path, help="write per-tool results here")
    ap.add_argument("--dump", type=Path, help="write each tool's outputs to DUMP.<tool>.jsonl")
    args = ap.parse_args()
    pages = load(args.eval_dir)
    if args.limit:
        pages = pages[: args.limit]
    names = args.tools.split(",")
    fns = {
        name: tool_thresher(args.fallback_below) if name == "thresher" else TOOLS[name]()
        for name in names
    }
    tiny = b"<html><body><h1>Warm-up</h1><p>A short page.</p></body></html>"
    for fn in fns.values():  # warm-up: imports, first calls (a tiny page takes the fallback)
        fn(pages[0][1], pages[0][0])
        fn(tiny, "http://example.com/warm-up")
    # interleaved: every page goes through every tool before the next page, so a change of
    # load on a shared machine slows all tools alike and the ratios stay fair
    outputs: dict[str, list[str]] = {name: [] for name in names}
    elapsed = dict.fromkeys(names, 0.0)
    clock = time.perf_counter
    for i, (url, html, _) in enumerate(pages):
        # the order turns with every page: whoever goes second finds the page's bytes (and,
        # for two thresher variants, its class-name caches) warm
        for k in range(len(names)):
            name = names[(i + k) % len(names)]
            start = clock()
            text = fns[name](html, url)
            elapsed[name] += clock() - start
            outputs[name].append(text)
    results = {}
    for name in names:
        res = score(outputs[name], pages)
        res["pages_per_s"] = len(pages) / elapsed[name]
        res["seconds"] = elapsed[name]
        results[name] = res
        print(
            f"{name:18s} P={res['precision']:.3f} R={res['recall']:.3f} F1={res['f1']:.3f} "
            f"{res['pages_per_s']:7.1f} pages/s ({elapsed[name]:.1f}s for {len(pages)} pages)",
            flush=True,
        )
        if args.halves:
            for half in (0, 1):
                idx = [i for i, (url, _, _) in enumerate(pages) if _half(url) == half]
                part = score([outputs[name][i] for i in idx], [pages[i] for i in idx])
                res[f"f1_half{half}"] = part["f1"]
                print(
                    f"{'':18s} half {half}: P={part['precision']:.3f} R={part['recall']:.3f} "
                    f"F1={part['f1']:.3f} ({len(idx)} pages)"
                )
        if args.dump:
            with open(f"{args.dump}.{name}.jsonl", "w", encoding="utf-8") as f:
                for (url, _, item), text in zip(pages, outputs[name], strict=True):
                    f.write(json.dumps({"url": url, "file": item["file"], "text": text}) + "\n")
    base = results.get("trafilatura", {}).get("pages_per_s")
    if base:
        for name, res in results.items():
            print(f"{name:18s} speed vs trafilatura default: {res['pages_per_s'] / base:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
