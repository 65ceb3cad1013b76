"""What the report shows of one output folder with a manifest: documents and words per
language, perplexity per language with its bucket cut-offs, lengths, domains, duplicates and
what every step kept and dropped. Documents are read as a sample spread over every part."""

from __future__ import annotations

import html
import math
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from thresher.errors import InputError
from thresher.report.charts import (
    BUCKET_COLOURS,
    PALETTE,
    bar_chart,
    histogram,
    log_tick,
    spread,
)
from thresher.report.labels import step_label
from thresher.report.tables import table
from thresher.store.manifest import primary_format
from thresher.store.paths import part_path
from thresher.store.readers import DocumentReader

SAMPLE_DOCUMENTS = 20_000
_BUCKET_ORDER = {"head": 0, "middle": 1, "tail": 2}


@dataclass
class Sample:
    """Figures gathered from a sample of a folder's documents."""

    documents: int = 0
    lengths: list[float] = field(default_factory=list)  # log10(characters)
    words: Counter[str] = field(default_factory=Counter)  # per language
    docs: Counter[str] = field(default_factory=Counter)  # per language
    perplexity: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # lang->bucket
    domains: Counter[str] = field(default_factory=Counter)


def read_sample(folder: Path, manifest: dict[str, Any], limit: int = SAMPLE_DOCUMENTS) -> Sample:
    """Up to ``limit`` documents, the same share of every part (the first ones of each)."""
    parts = manifest.get("parts", [])
    fmt = primary_format(parts)
    chosen = [p for p in parts if p["path"].endswith(f".{fmt}")]
    total = sum(p.get("documents", 0) for p in chosen) or 1
    sample = Sample()
    reader = DocumentReader([])
    for part in chosen:
        path = part_path(folder, part["path"], folder / "manifest.json")
        if not path.is_file():
            continue
        take = max(1, math.ceil(limit * part.get("documents", 0) / total))
        try:
            for doc in islice(reader.read_file(path), take):
                _add(sample, doc)
        except InputError:
            continue
    return sample


def _add(sample: Sample, doc: Any) -> None:
    sample.documents += 1
    lang = doc.language or "unknown"
    sample.lengths.append(math.log10(max(len(doc.text), 1)))
    sample.words[lang] += len(doc.text.split())
    sample.docs[lang] += 1
    if doc.perplexity is not None and doc.perplexity > 0:
        per = sample.perplexity.setdefault(lang, {})
        per.setdefault(doc.bucket or "all", []).append(math.log10(doc.perplexity))
    if doc.url:
        host = urlsplit(doc.url).hostname
        if host:
            sample.domains[host.removeprefix("www.")] += 1


def languages_section(by_folder: dict[str, int], sample: Sample) -> str:
    """Documents and words per language (words estimated from the sample when sampled)."""
    per_lang: Counter[str] = Counter()
    for folder, n in by_folder.items():
        per_lang[folder.split("/", 1)[0] if folder != "." else "all"] += n
    if not per_lang:
        return ""
    total = sum(per_lang.values()) or 1
    exact = sample.documents >= total
    rows, words = [], []
    for lang, n in per_lang.most_common():
        seen = sample.docs.get(lang, 0)
        est = round(sample.words[lang] * n / seen) if seen else 0
        rows.append([lang, n, f"{n / total:.1%}", est, round(est / n) if n else 0])
        words.append((lang, est))
    note = "" if exact else f" (estimated from a sample of {sample.documents:,} documents)"
    return (
        "<h3>Documents and tokens per language</h3>"
        + table(["language", "documents", "share", "tokens (words)", "words per document"], rows)
        + f'<p class="note">Tokens are whitespace-separated words{note}.</p>'
        + bar_chart(words, label="words per language", unit=" words")
    )


def bucket_section(by_folder: dict[str, int]) -> str:
    """Documents per language (rows) and perplexity bucket (columns)."""
    from thresher.refine.buckets import buckets_present, by_language_and_bucket

    if not any("/" in f for f in by_folder):
        return ""
    per = by_language_and_bucket(by_folder)
    buckets = buckets_present(per)
    rows = [
        [lang, *(counts.get(b, 0) for b in buckets), sum(counts.values())]
        for lang, counts in sorted(per.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]
    return "<h3>Documents per language and perplexity bucket</h3>" + table(
        ["language", *buckets, "documents"], rows
    )


def cutoffs(buckets: dict[str, list[float]], fixed: list[float] | None) -> list[float]:
    """The head/middle and middle/tail cut-offs (log10 perplexity): those the run applied
    (``fixed``), else, for a corpus written before manifests recorded them, midway between
    the highest perplexity of one bucket and the lowest of the next."""
    if fixed:
        return [math.log10(v) for v in fixed if v > 0]
    cuts = []
    for lower, upper in (("head", "middle"), ("middle", "tail")):
        if buckets.get(lower) and buckets.get(upper):
            cuts.append((max(buckets[lower]) + min(buckets[upper])) / 2)
    return cuts


def perplexity_section(
    sample: Sample, config: dict[str, Any], applied: dict[str, Any] | None = None
) -> str:
    """Perplexity histograms per language with the cut-offs the run applied (the manifest's
    ``buckets``; the configured ones or an estimate for older manifests), and the languages
    scored but not bucketed, with why."""
    if not sample.perplexity:
        return ""
    recorded = applied is not None and "cutoffs" in applied
    fixed = (applied or {}).get("cutoffs") if recorded else None
    if fixed is None:
        fixed = ((config or {}).get("lm") or {}).get("cutoffs") or {}
    not_bucketed = (applied or {}).get("not_bucketed") or {}
    out = ["<h3>Perplexity per language, with the bucket cut-offs</h3>"]
    if not recorded:
        out.append(
            '<p class="note">Cut-offs not recorded in this manifest (an older thresher): '
            "unless configured, they are estimated from the documents' buckets.</p>"
        )
    if not_bucketed:
        out.append(
            '<p class="note">Not bucketed: '
            + "; ".join(
                f"<b>{html.escape(lang)}</b> ({html.escape(str(info.get('reason', '')))})"
                for lang, info in sorted(not_bucketed.items())
            )
            + ".</p>"
        )
    out.append('<div class="grid">')
    for i, (lang, buckets) in enumerate(sorted(sample.perplexity.items())):
        values = [v for vs in buckets.values() for v in vs]
        cuts = cutoffs(buckets, fixed.get(lang)) if lang not in not_bucketed else []
        regions = []
        if len(cuts) == 2:
            lo, hi = min(values), max(values)
            regions = [
                (lo, cuts[0], "head", BUCKET_COLOURS["head"]),
                (cuts[0], cuts[1], "middle", BUCKET_COLOURS["middle"]),
                (cuts[1], hi, "tail", BUCKET_COLOURS["tail"]),
            ]
        markers = [(c, f"{10**c:,.0f}") for c in cuts]
        median, _, _ = spread(values)
        out.append(
            f"<figure><figcaption><b>{html.escape(lang)}</b> · {len(values):,} documents · "
            f"median {10**median:,.0f}</figcaption>"
            + histogram(
                values,
                width=440,
                height=200,
                bins=30,
                label="perplexity (log scale)",
                tick=log_tick,
                markers=markers,
                regions=regions,
                colour=PALETTE[i % len(PALETTE)],
            )
            + "</figure>"
        )
    out.append("</div>")
    return "".join(out)


def length_section(sample: Sample) -> str:
    if not sample.lengths:
        return ""
    median, p10, p90 = spread(sample.lengths)
    return (
        "<h3>Text length</h3>"
        f'<p class="note">Median {10**median:,.0f} characters; 80 % of documents between '
        f"{10**p10:,.0f} and {10**p90:,.0f} (sample of {sample.documents:,}).</p>"
        + histogram(sample.lengths, label="characters (log scale)", tick=log_tick, width=900)
    )


def domains_section(sample: Sample) -> str:
    if not sample.domains:
        return ""
    top = sample.domains.most_common(15)
    return (
        f"<h3>Top domains</h3><p class=note>{len(sample.domains):,} "
        f"domain{'s' if len(sample.domains) != 1 else ''} in the sample.</p>"
        + bar_chart(top, colour=PALETTE[3], label="documents per domain")
    )


def duplicates_section(steps: list[dict[str, Any]]) -> str:
    """Duplicate rates from the dedup steps' counters."""
    rows = []
    for s in steps:
        seen = s.get("seen", 0) or 0
        dropped = sum(s.get("dropped", {}).values())
        counters = s.get("counters", {})
        if s.get("name") == "paragraph_dedup":
            rows.append(["Documents left empty by paragraph dedup", dropped, _rate(dropped, seen)])
            for key in ("paragraphs removed", "chars removed"):
                if key in counters:
                    rows.append([f"Duplicate {key.split()[0]} removed", counters[key], "-"])
        elif s.get("name") == "minhash":
            rows.append(["Near-duplicate documents (MinHash)", dropped, _rate(dropped, seen)])
    if not rows:
        return ""
    return "<h3>Duplicates</h3>" + table(["measure", "count", "rate"], rows)


def decontamination_section(config: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    """The benchmarks a refine run checked and the documents that shared an n-gram with each."""
    from thresher.refine.decontaminate import summary

    found = summary(config, steps)
    if found is None:
        return ""
    n = found["ngram"]
    done = "dropped" if found["mode"] == "drop" else "redacted (shared spans replaced)"
    rows = [[name, hits, _rate(hits, found["seen"]), digest[:16]]
            for name, hits, digest in found["rows"]]  # fmt: skip
    return (
        f"<h3>Decontamination</h3><p class=note>{found['documents']:,} of {found['seen']:,} "
        f"documents shared a {n}-gram of normalised words with a benchmark: {done}.</p>"
        + table(["benchmark", f"documents sharing a {n}-gram", "rate", "SHA-256 (start)"], rows)
    )


def _rate(n: int, of: int) -> str:
    return f"{n / of:.1%}" if of else "-"


def steps_section(steps: list[dict[str, Any]]) -> str:
    if not steps:
        return ""
    rows = []
    for s in steps:
        dropped = s.get("dropped", {})
        reasons = ", ".join(
            f"{k}: {v:,}" for k, v in sorted(dropped.items(), key=lambda kv: -kv[1])
        )
        rows.append([step_label(s["name"]), s.get("seen", 0), s.get("kept", 0),
                     sum(dropped.values()), reasons or "-"])  # fmt: skip
    return "<h3>Steps: what each kept and dropped</h3>" + table(
        ["step", "seen", "kept", "dropped", "reasons"], rows
    )


def page_types_section(steps: list[dict[str, Any]]) -> str:
    """Pages by type (extract's ``page_type:`` counters), kept or dropped by --page-types."""
    rows = []
    for s in steps:
        dropped = s.get("dropped", {})
        for key, n in sorted(s.get("counters", {}).items(), key=lambda kv: -kv[1]):
            if key.startswith("page_type:"):
                rows.append([key.split(":", 1)[1], n, dropped.get(key, 0)])
    if not rows:
        return ""
    return "<h3>Pages by type</h3>" + table(["page type", "pages", "dropped"], rows)


def bucket_sort_key(name: str) -> tuple[int, str]:
    return (_BUCKET_ORDER.get(name, 3), name)
