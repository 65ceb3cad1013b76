"""``thresher report DIR``: one self-contained HTML page about a corpus or a crawl.

It reads what the run left behind (manifests, stats.json, crawl-stats.json and a sample of the
documents) and shows documents per language and bucket, what each step dropped and why, and
distributions of text length, language score and perplexity.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from thresher import __version__
from thresher.atomic import write_text
from thresher.errors import InputError
from thresher.output import check_file, lock_file
from thresher.store import find_manifests, read_documents, read_manifest
from thresher.store.manifest import utc_now

SAMPLE_DOCUMENTS = 20_000

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:980px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0} td,th{padding:.25rem .8rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums} tr:nth-child(even){background:#f6f6f6}
.chart text{font:12px system-ui,sans-serif;fill:#333} .muted{color:#777} code{background:#f2f2f2}
.empty{color:#999}
"""


def _table(head: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any, tag: str) -> str:
        numeric = isinstance(v, int | float)
        text = f"{v:,}" if isinstance(v, int) else (f"{v:,.3f}" if numeric else str(v))
        cls = ' class="n"' if numeric else ""
        return f"<{tag}{cls}>{html.escape(text)}</{tag}>"

    h = "".join(cell(c, "th") for c in head)
    body = "".join("<tr>" + "".join(cell(v, "td") for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _bucket_table(by_folder: dict[str, int]) -> str:
    """Documents per language (rows) and perplexity bucket (columns)."""
    from thresher.refine.buckets import buckets_present, by_language_and_bucket

    table = by_language_and_bucket(by_folder)
    buckets = buckets_present(table)
    rows = [
        [lang, *(per.get(b, 0) for b in buckets), sum(per.values())]
        for lang, per in sorted(table.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]
    return "<h3>Documents per language and perplexity bucket</h3>" + _table(
        ["language", *buckets, "documents"], rows
    )


def _manifest_section(root: Path, folder: Path) -> str:
    from thresher.report.charts import bar_chart, histogram

    manifest = read_manifest(folder)
    rel = folder.relative_to(root).as_posix() if folder != root else "."
    parts = manifest.get("parts", [])
    counts = manifest.get("counts", {})
    by_folder = counts.get("by_folder", {})
    out = [
        f"<h2>{html.escape(manifest.get('kind', 'output'))}: <code>{html.escape(rel)}</code></h2>"
    ]
    out.append(
        f"<p>{counts.get('documents', 0):,} documents in {len(parts)} part files, "
        f"{sum(p['bytes'] for p in parts) / 1e6:,.1f} MB; "
        f"written {html.escape(str(manifest.get('created_at')))} "
        f"by thresher {html.escape(str(manifest.get('thresher_version')))}.</p>"
    )
    if any("/" in f for f in by_folder):
        out.append(_bucket_table(by_folder))
    if len(by_folder) > 1 or (by_folder and "." not in by_folder):
        out.append("<h3>Documents per folder (language / bucket)</h3>")
        out.append(bar_chart(sorted(by_folder.items(), key=lambda kv: -kv[1])))
    stats_path = folder / "stats.json"
    if stats_path.is_file():
        steps = json.loads(stats_path.read_text(encoding="utf-8")).get("steps", [])
        if steps:
            out.append("<h3>Steps: what each kept and dropped</h3>")
            out.append(
                _table(
                    ["step", "seen", "kept", "dropped", "reasons"],
                    [
                        [
                            s["name"],
                            s.get("seen", 0),
                            s.get("kept", 0),
                            sum(s.get("dropped", {}).values()),
                            ", ".join(f"{k}: {v:,}" for k, v in s.get("dropped", {}).items())
                            or "-",
                        ]
                        for s in steps
                    ],
                )
            )
            reasons = Counter()
            for s in steps:
                for k, v in s.get("dropped", {}).items():
                    reasons[f"{s['name']}: {k}"] += v
            if reasons:
                out.append("<h3>Dropped documents by reason</h3>")
                out.append(bar_chart(reasons.most_common(20)))
    lengths: list[float] = []
    scores: list[float] = []
    perplexities: dict[str, list[float]] = {}
    languages: Counter[str] = Counter()
    try:
        for i, doc in enumerate(read_documents(folder)):
            if i >= SAMPLE_DOCUMENTS:
                break
            lengths.append(math.log10(max(len(doc.text), 1)))
            if doc.language_score is not None:
                scores.append(doc.language_score * 100)
            if doc.language:
                languages[doc.language] += 1
            if doc.perplexity is not None and doc.perplexity > 0:
                perplexities.setdefault(doc.language or "?", []).append(doc.perplexity)
    except InputError:
        pass
    if lengths:
        out.append(f"<h3>Text length (sample of {len(lengths):,} documents)</h3>")
        out.append(histogram(lengths, label="log10(characters)"))
    if languages:
        out.append("<h3>Languages in the sample</h3>")
        out.append(bar_chart(languages.most_common(25)))
    if scores:
        out.append("<h3>Language id score</h3>")
        out.append(histogram(scores, label="score × 100"))
    for lang, values in sorted(perplexities.items()):
        out.append(f"<h3>Perplexity: {html.escape(lang)}</h3>")
        out.append(histogram(values, label="perplexity"))
    return "\n".join(out)


def _crawl_section(path: Path, root: Path) -> str:
    from thresher.report.charts import bar_chart

    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data.get("this_run"), dict):  # the last run's counters, then the totals
        data = {**data["this_run"], **{f"total {k}": v for k, v in data["total"].items()}}
    rel = path.parent.relative_to(root).as_posix() if path.parent != root else "."
    flat = [
        (k, v) for k, v in data.items() if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    out = [f"<h2>crawl: <code>{html.escape(rel)}</code></h2>"]
    if flat:
        out.append(_table(["counter", "value"], [[k, v] for k, v in flat]))
    for key, value in data.items():
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(v, int | float) for v in value.values())
        ):
            out.append(f"<h3>{html.escape(key)}</h3>")
            out.append(bar_chart(sorted(value.items(), key=lambda kv: -kv[1])[:25]))
    return "\n".join(out)


def build_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` (or ``out``) for an output folder and return its path."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder")
    sections = [
        _crawl_section(p, root)
        for p in sorted(root.rglob("crawl-stats.json"))
        if not p.name.startswith(".")
    ]
    sections += [_manifest_section(root, m) for m in find_manifests(root)]
    if not sections:
        raise InputError(f"{root}: no manifest.json or crawl-stats.json found")
    target = check_file(Path(out) if out else root / "report.html")  # before the slow part
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>thresher report: {html.escape(root.name)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>thresher report</h1><p class=muted><code>{html.escape(str(root.resolve()))}</code>"
        f" · made {utc_now()} by thresher {__version__}</p>"
        + "\n".join(sections)
        + "</body></html>\n"
    )
    with lock_file(target):  # a folder, an unwritable place or a second report fail here
        write_text(target, page)
    return target
