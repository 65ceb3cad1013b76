"""WCXB benchmark: thresher vs trafilatura vs resiliparse, word F1 per page type.

Usage: python bench/extract/wcxb.py WCXB_DIR [--tools thresher,trafilatura,resiliparse]
       [--split dev] [--limit N] [--json OUT] [--dump PREFIX] [--reuse PREFIX]

WCXB_DIR is the unpacked ``wcxb-dev.tgz`` (the folder holding ``evaluate.py`` and ``dev/``).
Every tool gets the same page bytes in the same run, page by page in turn (load on a shared
machine hits all tools alike); only extraction is timed. Scores come from the benchmark's own
``evaluate.py`` (``word_f1``: bag-of-words F1 against ``main_content``, averaged over pages).

The pages are split in two by a hash of the page id: the *tuning* half (hash even) is the one
to look at while changing rules, the *held-out* half tells whether a change generalises.
``--reuse PREFIX`` reads a peer's outputs from an earlier ``--dump PREFIX`` instead of
running it again (its speed is then not measured).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

# the peers as the article benchmark runs them (this script's folder is on sys.path)
from run import tool_resiliparse, tool_thresher, tool_trafilatura

TYPES = ("article", "forum", "product", "collection", "listing", "documentation", "service")


def load_evaluate(root: Path) -> ModuleType:
    """The benchmark's own evaluate.py as a module (its word_f1 and ground-truth reader)."""
    spec = importlib.util.spec_from_file_location("wcxb_evaluate", root / "evaluate.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no evaluate.py in {root}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def half_of(page_id: str) -> str:
    """'tune' or 'held' from a hash of the page id: a fixed split, the same on every run."""
    return "tune" if int(hashlib.md5(page_id.encode()).hexdigest(), 16) % 2 == 0 else "held"


def load_pages(root: Path, split: str) -> list[tuple[str, str, bytes, dict]]:
    """(page id, url, html bytes, ground truth) for every page of the split."""
    pages = []
    for gt_file in sorted((root / split / "ground-truth").glob("*.json")):
        data = json.loads(gt_file.read_text(encoding="utf-8"))
        html_path = root / split / "html" / f"{gt_file.stem}.html.gz"
        if not html_path.exists():
            continue
        pages.append(
            (gt_file.stem, data.get("url") or "", gzip.decompress(html_path.read_bytes()), data)
        )
    return pages


TOOLS: dict[str, Callable[[], Callable[[bytes, str], str]]] = {
    "thresher": tool_thresher,
    "trafilatura": tool_trafilatura,
    "resiliparse": tool_resiliparse,
}


def run_tools(
    pages: list[tuple[str, str, bytes, dict]], names: list[str]
) -> tuple[dict[str, dict[str, str]], dict[str, float]]:
    """Each tool's text per page id and its extraction seconds, interleaved page by page."""
    fns = {name: TOOLS[name]() for name in names}
    for fn in fns.values():  # warm-up: imports and first calls
        fn(pages[0][2], pages[0][1])
    outputs: dict[str, dict[str, str]] = {n: {} for n in names}
    elapsed = dict.fromkeys(names, 0.0)
    clock = time.perf_counter
    for i, (pid, url, html, _) in enumerate(pages):
        for k in range(len(names)):
            name = names[(i + k) % len(names)]
            start = clock()
            text = fns[name](html, url)
            elapsed[name] += clock() - start
            outputs[name][pid] = text
    return outputs, elapsed


def score(
    ev: ModuleType, pages: list[tuple[str, str, bytes, dict]], texts: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Mean word F1 by (half, page type), 'all' for both halves and all types."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    for pid, _, _, data in pages:
        ref = (data.get("ground_truth") or {}).get("main_content") or ""
        _, _, f1 = ev.word_f1(texts.get(pid, ""), ref)
        ptype = ev.get_page_type(data)
        for h in ("all", half_of(pid)):
            sums[(h, ptype)].append(f1)
            sums[(h, "all")].append(f1)
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (h, ptype), vals in sums.items():
        out[h][ptype] = sum(vals) / len(vals)
    return out


def print_table(
    results: dict[str, dict[str, dict[str, float]]], counts: dict[str, Counter]
) -> None:
    cols = ["all", *TYPES]
    for h in ("tune", "held", "all"):
        print(
            f"\n{h} half ({counts[h]['all']} pages)"
            if h != "all"
            else f"\nboth ({counts[h]['all']} pages)"
        )
        print(f"{'tool':14s}" + "".join(f"{c[:8]:>9s}" for c in cols))
        print(f"{'n':14s}" + "".join(f"{counts[h][c]:>9d}" for c in cols))
        for name, res in results.items():
            print(f"{name:14s}" + "".join(f"{res[h].get(c, 0.0):>9.3f}" for c in cols))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="the unpacked WCXB folder (holds evaluate.py)")
    ap.add_argument("--tools", default="thresher,trafilatura,resiliparse")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--only", choices=["tune", "held"], help="run on one half only")
    ap.add_argument("--json", type=Path, help="write the scores here")
    ap.add_argument("--dump", type=Path, help="write each tool's outputs to DUMP.<tool>.json")
    ap.add_argument("--reuse", type=Path, help="read peers' outputs from REUSE.<tool>.json")
    args = ap.parse_args()
    ev = load_evaluate(args.root)
    pages = load_pages(args.root, args.split)
    if args.only:
        pages = [p for p in pages if half_of(p[0]) == args.only]
    if args.limit:
        pages = pages[: args.limit]
    names = args.tools.split(",")
    reused: dict[str, dict[str, str]] = {}
    if args.reuse:
        for name in names:
            path = Path(f"{args.reuse}.{name}.json")
            if name != "thresher" and path.exists():
                reused[name] = json.loads(path.read_text(encoding="utf-8"))
    outputs, elapsed = run_tools(pages, [n for n in names if n not in reused])
    outputs.update(reused)
    counts: dict[str, Counter] = defaultdict(Counter)
    for pid, _, _, data in pages:
        ptype = ev.get_page_type(data)
        for h in ("all", half_of(pid)):
            counts[h][ptype] += 1
            counts[h]["all"] += 1
    results = {name: score(ev, pages, outputs[name]) for name in names}
    print_table(results, counts)
    print()
    for name in names:
        if name in elapsed and elapsed[name] > 0:
            print(f"{name:14s} {len(pages) / elapsed[name]:7.1f} pages/s ({elapsed[name]:.1f} s)")
    if args.dump:
        for name in names:
            Path(f"{args.dump}.{name}.json").write_text(json.dumps(outputs[name]), encoding="utf-8")
    if args.json:
        speed = {n: len(pages) / s for n, s in elapsed.items() if s > 0}
        args.json.write_text(json.dumps({"scores": results, "pages_per_s": speed}, indent=2))


if __name__ == "__main__":
    main()
