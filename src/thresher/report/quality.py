"""The report's section on learned quality scores: per language, the histogram of the scores
the quality_model step gave (every document it saw, kept or dropped: from its counters in
stats.json) with the cut-off it filtered at, and how the model was made."""

from __future__ import annotations

import html
from typing import Any

from thresher.report.charts import BUCKET_COLOURS, PALETTE, _svg

#: languages shown at most (most documents first)
MAX_LANGUAGES = 8


def binned_chart(
    counts: list[int],
    low: float,
    high: float,
    *,
    cutoff: float | None = None,
    width: int = 440,
    height: int = 200,
    label: str = "quality score",
    colour: str = PALETTE[0],
) -> str:
    """Bars of counts in equal bins over [low, high]; below ``cutoff`` shaded as dropped."""
    left, right, bottom, top_pad = 40, 12, 34, 30
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    span = (high - low) or 1.0
    top = max(counts) or 1
    bw = plot_w / len(counts)

    def x_of(v: float) -> float:
        return left + (min(max(v, low), high) - low) / span * plot_w

    body = []
    base = top_pad + plot_h
    if cutoff is not None:
        x = x_of(cutoff)
        anchor = (
            "end" if x > left + plot_w * 0.8 else ("start" if x < left + plot_w * 0.2 else "middle")
        )
        body.append(
            f'<rect x="{left}" y="{top_pad}" width="{x - left:.1f}" height="{plot_h}" '
            f'fill="{BUCKET_COLOURS["tail"]}" opacity="0.13"/>'
            f'<line x1="{x:.1f}" y1="{top_pad - 4}" x2="{x:.1f}" y2="{base}" class="marker"/>'
            f'<text x="{x:.1f}" y="{top_pad - 8}" text-anchor="{anchor}" class="marker-label">'
            f"cut-off {cutoff:.3g}</text>"
        )
    for i, c in enumerate(counts):
        if not c:
            continue
        h = plot_h * c / top
        a, b = low + i * span / len(counts), low + (i + 1) * span / len(counts)
        tip = html.escape(f"{a:.3g} – {b:.3g}: {c:,}")
        body.append(
            f'<rect x="{left + i * bw:.1f}" y="{base - h:.1f}" width="{max(bw - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{tip}</title></rect>'
        )
    body.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" class="axis"/>')
    for j in range(5):
        v = low + span * j / 4
        anchor = "start" if j == 0 else ("end" if j == 4 else "middle")
        body.append(
            f'<text x="{x_of(v):.1f}" y="{base + 15}" text-anchor="{anchor}" class="tick">'
            f"{v:.3g}</text>"
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 3}" text-anchor="middle" '
        f'class="axis-label">{html.escape(label)}</text>'
        f'<text x="{left - 6}" y="{top_pad + 9}" text-anchor="end" class="tick">{top:,}</text>'
    )
    return _svg(width, height, "".join(body), label)


def quality_section(steps: list[dict[str, Any]], config: dict[str, Any]) -> str:
    """Score histograms with their cut-offs; empty when the run had no quality_model step."""
    from thresher.refine.quality_score import (
        cutoffs_from_counters,
        describe_model,
        histogram,
        languages_of,
    )

    step = next((s for s in steps if s.get("name") == "quality_model"), None)
    if step is None:
        return ""
    counters = {str(k): int(v) for k, v in (step.get("counters") or {}).items()}
    section = config.get("quality_model") or {}
    about = section.get("about") or {}
    model = about.get("model") or {}
    low, high = float(model.get("score_min", 0.0)), float(model.get("score_max", 1.0))
    cuts = cutoffs_from_counters(counters)
    out = [
        "<h3>Quality score per language, with the cut-off</h3>",
        f'<p class="note">{step.get("seen", 0):,} documents scored by the quality model, '
        f"{step.get('kept', 0):,} kept. " + html.escape(" ".join(describe_model(about))) + "</p>",
        '<div class="grid">',
    ]
    for i, lang in enumerate(languages_of(counters)[:MAX_LANGUAGES]):
        counts = histogram(counters, lang)
        cut = cuts.get(lang)
        out.append(
            f"<figure><figcaption><b>{html.escape(lang)}</b> · {sum(counts):,} documents"
            + (f" · cut-off {cut:.3g}" if cut is not None else "")
            + "</figcaption>"
            + binned_chart(counts, low, high, cutoff=cut, colour=PALETTE[i % len(PALETTE)])
            + "</figure>"
        )
    out.append("</div>")
    return "".join(out)
