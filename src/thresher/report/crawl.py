"""The crawl part of the report, from ``crawl-stats.json``: figures, pages per second over
time (when the stats have a timeline), status codes, errors, robots.txt and opt-out decisions."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from thresher.report.charts import PALETTE, bar_chart, line_chart
from thresher.report.labels import key_label
from thresher.report.tables import table

#: the breakdowns shown as charts, in this order, with their colour
_BREAKDOWNS = (
    ("responses_by_status", PALETTE[0]),
    ("errors_by_kind", PALETTE[1]),
    ("failed_by_reason", PALETTE[1]),
    ("skipped_by_reason", PALETTE[2]),
    ("opt_out", PALETTE[5]),
    ("tdmrep", PALETTE[3]),
)


def read_crawl_stats(path: Path) -> dict[str, Any]:
    """This run's counters beside the totals of all runs (``total ...`` keys)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data.get("this_run"), dict):
        total = data.get("total") if isinstance(data.get("total"), dict) else {}
        data = {**data["this_run"], **{f"total {k}": v for k, v in total.items()}}
    return data


def crawl_section(path: Path, root: Path) -> str:
    data = read_crawl_stats(path)
    rel = path.parent.relative_to(root).as_posix() if path.parent != root else "."
    out = [f"<section><h2>Crawl <code>{html.escape(rel)}</code></h2>"]
    flat = [
        [key_label(k), v]
        for k, v in data.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    if flat:
        out.append(table(["figure", "value"], flat, cls="figures"))
    timeline = data.get("timeline") or data.get("pages_over_time")
    if isinstance(timeline, list) and len(timeline) > 1:
        points = [(float(p[0]), float(p[1])) for p in timeline if len(p) >= 2]
        out.append("<h3>Pages per second over time</h3>")
        out.append(line_chart(points, label="pages per second"))
    elif "pages_per_second" in data:
        out.append(
            f'<p class="note">{data["pages_per_second"]:,} pages per second on average '
            "(the stats hold no timeline).</p>"
        )
    shown = set()
    for key, colour in _BREAKDOWNS:
        for name in (key, f"total {key}"):
            value = data.get(name)
            if not isinstance(value, dict) or not value or (name != key and value == data.get(key)):
                continue  # nothing, or the totals of a single run again
            shown.add(name)
            items = sorted(((key_label(str(k)), v) for k, v in value.items()
                            if isinstance(v, int | float)), key=lambda kv: -kv[1])  # fmt: skip
            out.append(f"<h3>{html.escape(key_label(name))}</h3>")
            out.append(bar_chart(items[:25], colour=colour, label=key_label(name)))
    for name, value in data.items():  # any other breakdown the stats hold
        if name in shown or any(name.endswith(k) for k, _ in _BREAKDOWNS):
            continue
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(v, int | float) for v in value.values())
        ):
            out.append(f"<h3>{html.escape(key_label(name))}</h3>")
            items = sorted(value.items(), key=lambda kv: -kv[1])[:25]
            out.append(bar_chart([(key_label(str(k)), v) for k, v in items]))
    out.append("</section>")
    return "\n".join(out)
