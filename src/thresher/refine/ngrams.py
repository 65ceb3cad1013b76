"""Normalised word n-grams hashed to 64-bit integers, for decontamination.

Text is normalised the way GPT-3 and Dolma compare training data with evaluation sets:
Unicode NFKC, lower case (full case folding: ``ß`` and ``SS`` alike), punctuation and symbols
dropped, split into words. A word is a run of letters, digits and combining marks (so Hindi
or Thai vowel signs stay inside their word);
a Han or kana character is a word of its own, since Chinese and Japanese put no space between
words. Each word is hashed once with :func:`thresher.hashing.hash64_each` (SHA-1, the same in
every process), and an n-gram's hash is a polynomial of its words' hashes modulo 2**64,
computed for a whole batch of texts with numpy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import chain

import numpy as np
import regex

from thresher.hashing import hash64_each

#: the multiplier of the n-gram polynomial (odd, so no information is shifted out)
_BASE = np.uint64(0x9E3779B97F4A7C15)
#: word hashes kept per process; cleared when it grows past this (words follow Zipf's law,
#: so a few hundred thousand entries answer almost every lookup)
_CACHE_MAX = 1_000_000
_word_hash: dict[str, int] = {}

#: scripts whose characters are words of their own (no spaces between words)
_SINGLE = r"\p{Han}\p{Hiragana}\p{Katakana}"
#: a word: one such character, or a run of letters, digits and combining marks
WORD = regex.compile(rf"[\p{{L}}\p{{N}}\p{{M}}--{_SINGLE}]+|[{_SINGLE}]", regex.V1)
#: what only :data:`WORD` gets right: a combining mark or a character that is a word alone
_MARK_OR_SINGLE = regex.compile(rf"[\p{{M}}{_SINGLE}]")
#: words of text without either (Python's ``re``: letters and digits)
_PLAIN = re.compile(r"[^\W_]+")
#: ASCII bytes that end a word: everything but letters and digits
_ASCII_GAPS = bytes(b if chr(b).isascii() and chr(b).isalnum() else 0x20 for b in range(256))


def normal_form(text: str) -> str:
    """``text`` in Unicode NFKC (unchanged, and not copied, when it already is)."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def words(text: str) -> list[str]:
    """The normalised, case-folded words of ``text``. Text without combining marks or CJK
    (told by a Latin-1 encode, else one search) takes Python's ``re`` (``[^\\W_]+``: the same
    words there, faster); ASCII a byte table, faster still."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_GAPS).lower().decode("ascii").split()
    low = normal_form(text).casefold()
    try:
        low.encode("latin-1")  # fits: no mark, no CJK character can be in it
    except UnicodeEncodeError:
        if _MARK_OR_SINGLE.search(low) is not None:
            return WORD.findall(low)
    return _PLAIN.findall(low)


def word_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` in NFKC and where each of its :func:`words` is in it (for redaction)."""
    normal = normal_form(text)
    return normal, [m.span() for m in WORD.finditer(normal)]


def word_hashes(batch: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """The 64-bit hash of every word of every list in ``batch`` (one uint64 array each)."""
    cache = _word_hash
    new = set(chain.from_iterable(batch)).difference(cache)
    if new:
        if len(cache) + len(new) > _CACHE_MAX:
            cache.clear()
            new = set(chain.from_iterable(batch))
        keys = list(new)
        hashes = hash64_each(k.encode("utf-8", "surrogatepass") for k in keys)
        cache.update(zip(keys, hashes, strict=True))
    get = cache.__getitem__
    return [np.fromiter(map(get, ws), dtype=np.uint64, count=len(ws)) for ws in batch]


def ngram_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """The hash of every window of ``n`` consecutive word hashes (empty when fewer)."""
    m = len(hashes) - n + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64)
    acc = hashes[:m].copy()
    for i in range(1, n):
        acc *= _BASE
        acc += hashes[i : i + m]
    return acc


def batch_ngram_hashes(arrays: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram hashes of many texts at once: ``(hashes, owner)``, ``owner[k]`` being the
    index in ``arrays`` of the text window ``k`` belongs to (windows never span two texts)."""
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    windows = np.maximum(lengths - n + 1, 0)
    if not windows.any():
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    joined = np.concatenate(arrays)
    every = ngram_hashes(joined, n)  # windows at every start, some crossing two texts
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    owner = np.repeat(np.arange(len(arrays)), windows)
    offset = np.arange(int(windows.sum())) - np.repeat(np.cumsum(windows) - windows, windows)
    return every[starts[owner] + offset], owner
