"""HTML tables of the report: numbers right-aligned with thousands separators."""

from __future__ import annotations

import html
from typing import Any


def table(head: list[str], rows: list[list[Any]], *, cls: str = "") -> str:
    """A table; int and float cells are right-aligned numbers."""

    def cell(v: Any, tag: str) -> str:
        numeric = isinstance(v, int | float) and not isinstance(v, bool)
        text = f"{v:,}" if isinstance(v, int) else (f"{v:,.2f}" if numeric else str(v))
        attr = ' class="n"' if numeric else ""
        return f"<{tag}{attr}>{html.escape(text)}</{tag}>"

    h = "".join(cell(c, "th") for c in head)
    body = "".join("<tr>" + "".join(cell(v, "td") for v in r) + "</tr>" for r in rows)
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"
