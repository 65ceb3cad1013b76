"""Inline-SVG charts: the report is one HTML file with no scripts, fonts or other requests.

Every mark carries a ``<title>`` so a browser shows the exact figure on hover, without JS.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

PALETTE = ("#3b6ea8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#52489c")
BUCKET_COLOURS = {"head": "#66a182", "middle": "#edae49", "tail": "#d1495b"}
_EMPTY = '<p class="empty">nothing to show</p>'


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{html.escape(label)}">{body}</svg>'
    )


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    width: int = 640,
    bar_height: int = 20,
    unit: str = "",
    colour: str | None = None,
    label: str = "bar chart",
) -> str:
    """Horizontal bars, one per (label, value), the largest value filling the width."""
    if not items:
        return _EMPTY
    label_w = min(300, 7 * max(len(name) for name, _ in items) + 16)
    plot_w = width - label_w - 80
    top = max(v for _, v in items) or 1
    rows = []
    for i, (name, value) in enumerate(items):
        y = i * (bar_height + 6)
        w = max(1.0, plot_w * value / top)
        fill = colour or PALETTE[i % len(PALETTE)]
        tip = html.escape(f"{name}: {_num(value)}{unit}")
        rows.append(
            f'<text x="{label_w - 8}" y="{y + bar_height * 0.72:.1f}" text-anchor="end">'
            f"{html.escape(name)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" rx="3" '
            f'fill="{fill}"><title>{tip}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_height * 0.72:.1f}" class="v">'
            f"{_num(value)}{html.escape(unit)}</text>"
        )
    return _svg(width, len(items) * (bar_height + 6), "".join(rows), label)


def histogram(
    values: Sequence[float],
    *,
    bins: int = 40,
    width: int = 640,
    height: int = 190,
    label: str = "",
    tick: Callable[[float], str] = _num,
    markers: Sequence[tuple[float, str]] = (),
    colour: str = PALETTE[0],
    regions: Sequence[tuple[float, float, str, str]] = (),
) -> str:
    """A histogram with axis ticks (``tick`` formats a value: pass logged values and a tick
    that undoes the log), vertical ``markers`` (value, label) and shaded ``regions``
    (from, to, label, colour) under the bars."""
    if not values:
        return _EMPTY
    lo, hi = min(values), max(values)
    for x, _ in markers:
        lo, hi = min(lo, x), max(hi, x)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    top = max(counts)
    left, right, bottom = 40, 12, 34
    top_pad = 34 if markers or regions else 12
    plot_w, plot_h = width - left - right, height - top_pad - bottom

    def x_of(v: float) -> float:
        return left + (v - lo) / span * plot_w

    body = []
    for start, stop, name, fill in regions:
        x0, x1 = x_of(max(start, lo)), x_of(min(stop, hi))
        if x1 > x0:
            body.append(
                f'<rect x="{x0:.1f}" y="{top_pad}" width="{x1 - x0:.1f}" height="{plot_h}" '
                f'fill="{fill}" opacity="0.13"/>'
                f'<text x="{(x0 + x1) / 2:.1f}" y="{top_pad - 20}" text-anchor="middle" '
                f'class="region" fill="{fill}">{html.escape(name)}</text>'
            )
    bw = plot_w / bins
    for i, c in enumerate(counts):
        if not c:
            continue
        h = plot_h * c / top
        a, b = lo + i * span / bins, lo + (i + 1) * span / bins
        tip = html.escape(f"{tick(a)} – {tick(b)}: {c:,}")
        body.append(
            f'<rect x="{left + i * bw:.1f}" y="{top_pad + plot_h - h:.1f}" '
            f'width="{max(bw - 1, 1):.1f}" height="{h:.1f}" fill="{colour}"><title>{tip}</title>'
            "</rect>"
        )
    base = top_pad + plot_h
    body.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" class="axis"/>')
    for j in range(5):
        v = lo + span * j / 4
        anchor = "start" if j == 0 else ("end" if j == 4 else "middle")
        body.append(
            f'<text x="{x_of(v):.1f}" y="{base + 15}" text-anchor="{anchor}" class="tick">'
            f"{html.escape(tick(v))}</text>"
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 3}" text-anchor="middle" '
        'class="axis-label">'
        f"{html.escape(label)}</text>"
        f'<text x="{left - 6}" y="{top_pad + 9}" text-anchor="end" class="tick">{top:,}</text>'
    )
    for x, name in markers:
        px = x_of(x)
        body.append(
            f'<line x1="{px:.1f}" y1="{top_pad - 4}" x2="{px:.1f}" y2="{base}" class="marker"/>'
            f'<text x="{px:.1f}" y="{top_pad - 7}" text-anchor="middle" class="marker-label">'
            f"{html.escape(name)}</text>"
        )
    return _svg(width, height, "".join(body), label or "histogram")


def log_tick(v: float) -> str:
    """A tick for a log10 axis: the value itself, rounded readably (12, 340, 5.6k, 1.2M)."""
    x = 10**v
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:.1f}{suffix}".replace(".0", "")
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def funnel(
    stages: Sequence[tuple[str, int, Sequence[tuple[str, int]]]], *, width: int = 900
) -> str:
    """Stages as centred bars shrinking with the count, each followed by what it dropped."""
    if not stages:
        return _EMPTY
    top = max(n for _, n, _ in stages) or 1
    label_w, plot_w, row_h = 210, 320, 30
    rows = []
    y = 0
    for i, (name, n, drops) in enumerate(stages):
        w = max(2.0, plot_w * n / top)
        x = label_w + (plot_w - w) / 2
        share = f" ({n / top:.0%})" if i else ""
        rows.append(
            f'<text x="{label_w - 10}" y="{y + 19}" text-anchor="end">{html.escape(name)}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" rx="3" '
            f'fill="{PALETTE[0]}" opacity="{1 - 0.5 * i / max(len(stages), 1):.2f}">'
            f"<title>{html.escape(name)}: {n:,}</title></rect>"
            f'<text x="{label_w + plot_w / 2:.1f}" y="{y + 19}" text-anchor="middle" '
            f'class="on-bar">{n:,}{share}</text>'
        )
        dropped = ", ".join(f"{reason} {k:,}" for reason, k in drops[:2])
        if len(drops) > 2:
            dropped += f", +{sum(k for _, k in drops[2:]):,} more"
        if dropped:
            rows.append(
                f'<text x="{label_w + plot_w + 12}" y="{y + 19}" class="drop">− '
                f"{html.escape(dropped)}</text>"
            )
        y += row_h
    return _svg(width, y, "".join(rows), "funnel from pages fetched to documents kept")


def line_chart(
    points: Sequence[tuple[float, float]], *, width: int = 640, height: int = 180, label: str = ""
) -> str:
    """A line over (x, y) points, x in seconds."""
    if len(points) < 2:
        return _EMPTY
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y1 = min(xs), max(xs), max(ys) or 1
    left, bottom, pad = 44, 30, 12

    def at(x: float, y: float) -> str:
        px = left + (x - x0) / ((x1 - x0) or 1) * (width - left - pad)
        py = pad + (1 - y / y1) * (height - pad - bottom)
        return f"{px:.1f},{py:.1f}"

    path = " ".join(at(x, y) for x, y in points)
    base = height - bottom
    body = (
        f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
        f'<line x1="{left}" y1="{base}" x2="{width - pad}" y2="{base}" class="axis"/>'
        f'<text x="{left - 6}" y="{pad + 8}" text-anchor="end" class="tick">{_num(y1)}</text>'
        f'<text x="{left}" y="{base + 15}" class="tick">{_num(x0)} s</text>'
        f'<text x="{width - pad}" y="{base + 15}" text-anchor="end" class="tick">'
        f"{_num(x1)} s</text>"
        f'<text x="{width / 2}" y="{height - 3}" text-anchor="middle" class="axis-label">'
        f"{html.escape(label)}</text>"
    )
    return _svg(width, height, body, label or "line chart")


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """Median and the 10th / 90th percentiles of values (for captions)."""
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]

    return q(0.5), q(0.1), q(0.9)
