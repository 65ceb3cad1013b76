"""``thresher report DIR``: one self-contained HTML page about a corpus or a crawl, the page
people open first.

It reads what the runs left behind (manifests, stats.json, crawl-stats.json and a sample of
the documents) and shows, top to bottom: the headline figures, a funnel from pages fetched
to documents kept with every drop reason, then per output folder documents and tokens per
language, perplexity histograms with the bucket cut-offs, lengths, top domains, duplicate
rates and each step's counts, then the crawl (status codes, errors, robots.txt and opt-out
decisions). No script, font or image is fetched: charts are inline SVG.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from thresher import __version__
from thresher.atomic import write_text
from thresher.errors import InputError
from thresher.output import check_file, lock_file
from thresher.report import corpus as sections
from thresher.report.charts import bar_chart, funnel
from thresher.report.crawl import crawl_section, read_crawl_stats
from thresher.report.labels import key_label, step_label
from thresher.report.quality import quality_section
from thresher.report.tokens import tokens_section
from thresher.store import find_manifests, read_manifest
from thresher.store.manifest import utc_now

SAMPLE_DOCUMENTS = sections.SAMPLE_DOCUMENTS

_CSS = """
:root{--ink:#1f2933;--muted:#6b7785;--line:#e3e7ec;--accent:#3b6ea8;--bg:#f7f8fa}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--ink);
background:var(--bg)}
main{max-width:1000px;margin:0 auto;padding:1.5rem 1.25rem 3rem}
header.top{background:#1f3b5c;color:#fff;padding:1.4rem 0 1.2rem}
header.top div{max-width:1000px;margin:0 auto;padding:0 1.25rem}
header.top h1{margin:0;font-size:1.6rem;font-weight:650}
header.top p{margin:.3rem 0 0;color:#c9d6e3;font-size:.85rem}
header.top code{background:none;color:#fff}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.8rem;
margin:1.2rem 0 .4rem}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem}
.card b{display:block;font-size:1.55rem;font-weight:650;font-variant-numeric:tabular-nums}
.card span{color:var(--muted);font-size:.85rem}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.4rem 1.3rem 1.2rem;
margin:1.2rem 0;overflow-x:auto}
h2{font-size:1.25rem;margin:1rem 0 .4rem} h3{font-size:1rem;margin:1.6rem 0 .4rem;color:#33475b}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
td,th{padding:.3rem .8rem;text-align:left;border-bottom:1px solid var(--line)}
th{font-weight:600;color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.03em}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
table.figures{columns:2} code{background:#eef1f4;padding:0 .25rem;border-radius:3px;font-size:.88em}
.chart{display:block;margin:.4rem 0;max-width:100%;height:auto}
.chart text{font:12px system-ui,sans-serif;fill:#33475b} .chart text.v{fill:var(--muted)}
.chart .tick{fill:var(--muted);font-size:11px} .chart .axis{stroke:#aab4bf}
.chart .axis-label{fill:var(--muted);font-size:11px}
.chart .marker{stroke:#1f2933;stroke-width:1.5;stroke-dasharray:4 3}
.chart .marker-label{font-size:11px;fill:#1f2933} .chart .region{font-size:11px;font-weight:600}
.chart .on-bar{fill:#fff;font-weight:600} .chart .drop{fill:#b23a48;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:.4rem 1.2rem}
figure{margin:.3rem 0} figcaption{font-size:.85rem;color:var(--muted)}
.note,.muted{color:var(--muted);font-size:.85rem;margin:.2rem 0} .empty{color:#9aa5b1}
"""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _steps(folder: Path) -> list[dict[str, Any]]:
    steps = _read_json(folder / "stats.json").get("steps", [])
    return [s for s in steps if isinstance(s, dict) and "name" in s]


def _drops(step: dict[str, Any]) -> list[tuple[str, int]]:
    return sorted(step.get("dropped", {}).items(), key=lambda kv: -kv[1])


def _funnel(crawl: dict[str, Any] | None, extract: Path | None, refine: Path) -> str:
    """Pages fetched → documents extracted → each refine step that dropped something → kept."""
    stages: list[tuple[str, int, list[tuple[str, int]]]] = []
    if crawl is not None:
        stages.append(("Pages fetched", int(crawl.get("total pages", crawl.get("fetched", 0))), []))
    if extract is not None:
        for s in _steps(extract):
            if s["name"] == "extract":
                stages.append(("Documents extracted", s.get("kept", 0), []))
                if len(stages) > 1:  # what extract dropped shows beside the pages
                    prev = stages[-2]
                    stages[-2] = (prev[0], prev[1], [(key_label(k), v) for k, v in _drops(s)])
    steps = _steps(refine)
    for s in steps:
        if s["name"] == "read" and not stages:
            stages.append(("Documents read", s.get("seen", 0), []))
        if s.get("dropped") and s["name"] != "write":
            if stages:
                prev = stages[-1]
                stages[-1] = (prev[0], prev[1], [*prev[2], *((k, v) for k, v in _drops(s))])
            stages.append((f"after {step_label(s['name']).lower()}", s.get("kept", 0), []))
    kept = next((s.get("kept", 0) for s in steps if s["name"] == "write"), None)
    if kept is not None:
        if stages and stages[-1][1] == kept and stages[-1][0].startswith("after"):
            stages[-1] = ("Documents kept", kept, [])
        else:
            stages.append(("Documents kept", kept, []))
    if len(stages) < 2:
        return ""
    return (
        "<section><h2>From pages to documents</h2>"
        '<p class="note">What each stage kept; beside each bar, what the next stage dropped '
        "and why.</p>" + funnel(stages) + "</section>"
    )


def _folder_section(root: Path, folder: Path) -> tuple[str, dict[str, Any], sections.Sample]:
    manifest = read_manifest(folder)
    rel = folder.relative_to(root).as_posix() if folder != root else "."
    parts = manifest.get("parts", [])
    counts = manifest.get("counts", {})
    by_folder = counts.get("by_folder", {})
    kind = str(manifest.get("kind", "output"))
    if kind == "tokens":  # binary shards: the manifest says it all, no document is read
        return tokens_section(manifest, rel), manifest, sections.Sample()
    title = {"refine": "Corpus", "extract": "Documents", "documents": "Extracted documents"}.get(
        kind, kind.capitalize()
    )
    out = [f"<section><h2>{html.escape(title)} <code>{html.escape(rel)}</code></h2>"]
    out.append(
        f'<p class="note">{counts.get("documents", 0):,} documents in {len(parts)} part files, '
        f"{sum(p['bytes'] for p in parts) / 1e6:,.1f} MB; written "
        f"{html.escape(str(manifest.get('created_at')))} by thresher "
        f"{html.escape(str(manifest.get('thresher_version')))}.</p>"
    )
    sample = sections.read_sample(folder, manifest, SAMPLE_DOCUMENTS)
    steps = _steps(folder)
    config = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    out += [
        sections.languages_section(by_folder, sample) if kind == "refine" else "",
        sections.bucket_section(by_folder),
        sections.perplexity_section(sample, config or {}, manifest.get("buckets")),
        quality_section(steps, config or {}),
        sections.length_section(sample),
        sections.domains_section(sample),
        sections.duplicates_section(steps),
        sections.decontamination_section(config or {}, steps),
        sections.steps_section(steps),
        sections.page_types_section(steps),
    ]
    if len(by_folder) > 1:
        items = sorted(by_folder.items(), key=lambda kv: -kv[1])
        out.append("<h3>Documents per folder (language / bucket)</h3>")
        out.append(bar_chart(items[:40], label="documents per folder"))
    out.append("</section>")
    return "\n".join(o for o in out if o), manifest, sample


def _cards(figures: list[tuple[str, str]]) -> str:
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>'
            for k, v in figures
        )
        + "</div>"
    )


def build_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` (or ``out``) for an output folder and return its path."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder")
    crawl_files = [p for p in sorted(root.rglob("crawl-stats.json")) if not p.name.startswith(".")]
    manifests = find_manifests(root)
    if not crawl_files and not manifests:
        raise InputError(f"{root}: no manifest.json or crawl-stats.json found")
    target = check_file(Path(out) if out else root / "report.html")  # before the slow part
    kinds = {m: str(read_manifest(m).get("kind")) for m in manifests}
    folder_html, figures = [], []
    for m in manifests:
        body, manifest, sample = _folder_section(root, m)
        folder_html.append(body)
        if kinds[m] == "tokens":
            figures.append(("tokens", f"{int(manifest.get('tokens', {}).get('total', 0)):,}"))
        if kinds[m] == "refine":
            n = int(manifest.get("counts", {}).get("documents", 0))
            langs = {f.split("/", 1)[0] for f in manifest.get("counts", {}).get("by_folder", {})}
            words = sum(sample.words.values())
            if sample.documents and sample.documents < n:
                words = round(words * n / sample.documents)
            figures += [("documents kept", f"{n:,}"), ("languages", f"{len(langs):,}"),
                        ("tokens (words)", f"{words:,}")]  # fmt: skip
    crawl = read_crawl_stats(crawl_files[0]) if len(crawl_files) == 1 else None
    if crawl is not None:
        figures.insert(0, ("pages fetched", f"{int(crawl.get('fetched', 0)):,}"))
    refines = [m for m in manifests if kinds[m] == "refine"]
    extracts = [m for m in manifests if kinds[m] in ("extract", "documents")]
    funnels = [_funnel(crawl, extracts[0] if len(extracts) == 1 else None, r) for r in refines]
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>thresher report: {html.escape(root.resolve().name)}</title>"
        f"<style>{_CSS}</style></head><body>"
        '<header class="top"><div><h1>thresher report: '
        f"{html.escape(root.resolve().name)}</h1><p><code>{html.escape(str(root.resolve()))}"
        f"</code> · made {utc_now()} by thresher {__version__}</p></div></header><main>"
        + (_cards(figures) if figures else "")
        + "\n".join(funnels)
        + "\n".join(folder_html)
        + "\n".join(crawl_section(p, root) for p in crawl_files)
        + "</main></body></html>\n"
    )
    with lock_file(target):  # a folder, an unwritable place or a second report fail here
        write_text(target, page)
    return target
