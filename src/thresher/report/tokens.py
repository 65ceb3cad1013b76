"""What the report shows of a ``thresher tokenize`` folder: tokens per language and bucket
(from its manifest, no shard is read), the language mix asked and written, the shard layout."""

from __future__ import annotations

import html
from typing import Any

from thresher.report.charts import bar_chart
from thresher.report.tables import table

_BUCKETS = {"head": 0, "middle": 1, "tail": 2}


def tokens_section(manifest: dict[str, Any], rel: str) -> str:
    """The section of one tokenize folder (``rel``: its path under the report's root)."""
    info = manifest.get("tokens") or {}
    by_folder: dict[str, dict[str, int]] = info.get("by_folder") or {}
    shards = sum(1 for p in manifest.get("parts", []) if p["path"].endswith((".tokens", ".bin")))
    out = [
        f"<section><h2>Tokenized shards <code>{html.escape(rel)}</code></h2>",
        f'<p class="note">{int(info.get("total", 0)):,} tokens ({int(info.get("documents", 0)):,}'
        f" documents, one EOS id {html.escape(str(info.get('eos_id')))} after each) in "
        f"{shards:,} {html.escape(str(info.get('format')))} shards of "
        f"{html.escape(str(info.get('dtype')))}, shuffled with seed "
        f"{html.escape(str(info.get('seed')))}; written "
        f"{html.escape(str(manifest.get('created_at')))}.</p>",
    ]
    per_lang: dict[str, dict[str, int]] = {}
    for folder, v in by_folder.items():
        lang, _, bucket = folder.partition("/")
        per = per_lang.setdefault(lang, {})
        per[bucket or "all"] = per.get(bucket or "all", 0) + int(v.get("tokens", 0))
    buckets = sorted({b for per in per_lang.values() for b in per},
                     key=lambda b: (_BUCKETS.get(b, 3), b))  # fmt: skip
    rows = [
        [lang, *(per.get(b, 0) for b in buckets), sum(per.values())]
        for lang, per in sorted(per_lang.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]
    if rows:
        out.append("<h3>Tokens per language and bucket (EOS not counted)</h3>")
        out.append(table(["language", *buckets, "tokens"], rows))
        items = [(r[0], float(r[-1])) for r in rows[:40]]
        out.append(bar_chart(items, label="tokens per language"))
    mix = info.get("mix") or {}
    if mix:
        out.append("<h3>Language mix (share of the tokens)</h3>")
        shares = [[lang, float(v["target"]), float(v["share"])] for lang, v in mix.items()]
        out.append(table(["language", "asked", "written"], shares))
    out.append("</section>")
    return "\n".join(out)
