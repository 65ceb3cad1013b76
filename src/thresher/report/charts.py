"""Tiny inline-SVG charts: the report is one HTML file with no scripts and no dependencies."""

from __future__ import annotations

import html
from collections.abc import Sequence

_PALETTE = ("#3b6ea8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#52489c")


def bar_chart(
    items: Sequence[tuple[str, float]], *, width: int = 640, bar_height: int = 22, unit: str = ""
) -> str:
    """Horizontal bars, one per (label, value), largest value filling the width."""
    if not items:
        return '<p class="empty">nothing to show</p>'
    label_w = min(260, 8 * max(len(label) for label, _ in items) + 12)
    plot_w = width - label_w - 70
    top = max(v for _, v in items) or 1
    rows = []
    for i, (label, value) in enumerate(items):
        y = i * (bar_height + 6)
        w = max(1.0, plot_w * value / top)
        colour = _PALETTE[i % len(_PALETTE)]
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        rows.append(
            f'<text x="{label_w - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">'
            f"{html.escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_height * 0.7:.1f}">'
            f"{shown}{html.escape(unit)}</text>"
        )
    height = len(items) * (bar_height + 6)
    return (
        f'<svg class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">{"".join(rows)}</svg>'
    )


def histogram(
    values: Sequence[float], *, bins: int = 30, width: int = 640, height: int = 180, label: str = ""
) -> str:
    """A histogram of values with min/max ticks (log-spaced values should be passed logged)."""
    if not values:
        return '<p class="empty">nothing to show</p>'
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    top = max(counts)
    bw = (width - 20) / bins
    plot_h = height - 30
    bars = "".join(
        f'<rect x="{10 + i * bw:.1f}" y="{10 + plot_h - plot_h * c / top:.1f}" '
        f'width="{max(bw - 1, 1):.1f}" height="{plot_h * c / top:.1f}" fill="{_PALETTE[0]}"/>'
        for i, c in enumerate(counts)
    )
    axis = (
        f'<text x="10" y="{height - 4}">{lo:,.0f}</text>'
        f'<text x="{width - 10}" y="{height - 4}" text-anchor="end">{hi:,.0f}</text>'
        f'<text x="{width / 2}" y="{height - 4}" text-anchor="middle">{html.escape(label)}</text>'
    )
    return (
        f'<svg class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">{bars}{axis}</svg>'
    )
