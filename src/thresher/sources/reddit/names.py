"""Which inputs are Reddit dumps, by name alone (asked of every input of extract, so this
module imports nothing else)."""

from __future__ import annotations

import os
import re

KIND = "reddit-dumps"
PREFIX = "reddit-dumps:"
_SUFFIX = re.compile(r"\.(?:zst|jsonl|ndjson|json)(?:\.gz|\.zst)?$", re.IGNORECASE)


def dump_role(spec: str) -> str | None:
    """``submissions`` or ``comments`` for a dump file name (``RS_2024-01.zst``,
    ``RC_2024-01.zst``, Arctic Shift's ``NAME_submissions.zst`` / ``NAME_comments.zst``);
    None for any other input."""
    name = os.path.basename(spec.split("?")[0])
    if not _SUFFIX.search(name):
        return None
    if name.startswith("RS_") or "submissions" in name.lower():
        return "submissions"
    if name.startswith("RC_") or "comments" in name.lower():
        return "comments"
    return None


def claims(spec: str) -> bool:
    return spec.startswith(PREFIX) or dump_role(spec) is not None
