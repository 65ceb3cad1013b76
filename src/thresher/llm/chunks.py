"""Long pages: cut into chunks by (estimated) tokens with overlap, and the chunks' records
merged by fixed rules so a page gives one record, never a partial or duplicated one.

No tokenizer is downloaded. Tokens are estimated the way OpenAI's guidance does for English
(about four characters a token) and counted more heavily for other scripts: ``ceil(ASCII
characters / 4) + ceil(other characters / 2)`` per word. BPE tokenizers of current models give
fewer tokens than this for most text, so a chunk rarely exceeds its budget.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_PIECE = re.compile(r"\S+\s*|\s+")


def estimate_tokens(text: str) -> int:
    """Estimated tokens of ``text`` (see the module docstring)."""
    return sum(_piece_tokens(p) for p in _PIECE.findall(text))


def _piece_tokens(piece: str) -> int:
    word = piece.strip()
    if not word:
        return 0
    if word.isascii():
        return max(1, math.ceil(len(word) / 4))
    ascii_chars = sum(1 for c in word if c < "\x80")
    return max(1, math.ceil(ascii_chars / 4) + math.ceil((len(word) - ascii_chars) / 2))


def _pieces(text: str, budget: int) -> list[tuple[str, int]]:
    """Words with their trailing space and token estimate; words above ``budget`` are cut."""
    out: list[tuple[str, int]] = []
    for piece in _PIECE.findall(text):
        n = _piece_tokens(piece)
        if n <= budget:
            out.append((piece, n))
            continue
        step = max(1, len(piece) * budget // n)
        for i in range(0, len(piece), step):
            part = piece[i : i + step]
            out.append((part, _piece_tokens(part)))
    return out


def split_tokens(text: str, max_tokens: int, overlap: int) -> list[str]:
    """``text`` in chunks of at most ``max_tokens`` estimated tokens, each starting with the
    last ``overlap`` tokens of the one before; one chunk when it fits. Chunks end after a line
    break when one falls in their last quarter, so paragraphs are cut rarely."""
    overlap = min(overlap, max_tokens // 2)
    pieces = _pieces(text, max_tokens)
    total = sum(n for _, n in pieces)
    if total <= max_tokens:
        return [text]
    chunks: list[str] = []
    start = 0
    while start < len(pieces):
        end, used = start, 0
        while end < len(pieces) and used + pieces[end][1] <= max_tokens:
            used += pieces[end][1]
            end += 1
        end = max(end, start + 1)
        if end < len(pieces):
            end = _at_line_break(pieces, start, end)
        chunks.append("".join(p for p, _ in pieces[start:end]))
        if end >= len(pieces):
            break
        back, kept = end, 0
        while back > start + 1 and kept + pieces[back - 1][1] <= overlap:
            back -= 1
            kept += pieces[back][1]
        start = back
    return chunks


def _at_line_break(pieces: list[tuple[str, int]], start: int, end: int) -> int:
    """The end of a chunk moved back to just after a line break in its last quarter."""
    floor = start + max(1, (end - start) * 3 // 4)
    for i in range(end, floor, -1):
        if "\n" in pieces[i - 1][0]:
            return i
    return end


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def merge_records(records: list[Any]) -> Any:
    """One record from the chunks' records, in chunk order: objects merged key by key (keys in
    order of first appearance), lists concatenated without repeated items (items compared as
    canonical JSON), any other value taken from the first chunk where it is not null or empty."""
    present = [r for r in records if not _empty(r)]
    if not present:
        return records[0] if records else None
    if all(isinstance(r, dict) for r in present):
        keys: list[str] = []
        for r in present:
            keys.extend(k for k in r if k not in keys)
        return {k: merge_records([r[k] for r in present if k in r]) for k in keys}
    if all(isinstance(r, list) for r in present):
        seen: set[str] = set()
        out: list[Any] = []
        for r in present:
            for item in r:
                key = _key(item)
                if key not in seen:
                    seen.add(key)
                    out.append(item)
        return out
    return present[0]
