"""CCNet text normalisation: the dedup key of a paragraph and the text fed to the language model.

``normalize_for_dedup`` follows CCNet (Wenzek et al., 2019): strip, lowercase, every Unicode
decimal digit becomes ``0``, and CCNet's list of Unicode punctuation plus the control characters
(U+0000–U+001F, U+007F–U+009F) are removed. Accents are kept for dedup; ``normalize_for_lm``
also strips them and maps the punctuation to ASCII, as CCNet does before SentencePiece.
Both are built on ``str.translate`` tables so one line costs one pass in C.
"""

from __future__ import annotations

import hashlib
import sys
import unicodedata

#: CCNet's Unicode punctuation and the ASCII it stands for before the language model.
UNICODE_PUNCT: dict[str, str] = {
    "，": ",",
    "。": ".",
    "、": ",",
    "„": '"',
    "”": '"',
    "“": '"',
    "«": '"',
    "»": '"',
    "１": '"',
    "」": '"',
    "「": '"',
    "《": '"',
    "》": '"',
    "´": "'",
    "∶": ":",
    "：": ":",
    "？": "?",
    "！": "!",
    "（": "(",
    "）": ")",
    "；": ";",
    "–": "-",
    "—": " - ",
    "．": ". ",
    "～": "~",
    "’": "'",
    "…": "...",
    "━": "-",
    "〈": "<",
    "〉": ">",
    "【": "[",
    "】": "]",
    "％": "%",
    "►": "-",
}

#: Characters CCNet treats as non-printing: C0 controls, DEL and C1 controls.
NON_PRINTING: tuple[int, ...] = (*range(0, 32), *range(127, 160))


def _decimal_digits() -> list[int]:
    """Every code point ``re``'s ``\\d`` matches (category Nd; none lies above U+1FFFF)."""
    return [c for c in range(min(sys.maxunicode + 1, 0x20000)) if chr(c).isdecimal()]


_DIGITS = _decimal_digits()

#: lower-cased line -> dedup key: CCNet punctuation and controls removed, digits to 0 (digits
#: win: CCNet replaces digits before punctuation, so the fullwidth "１" in its list becomes 0).
_DEDUP_TABLE: dict[int, int | None] = {ord(p): None for p in UNICODE_PUNCT}
_DEDUP_TABLE.update({c: None for c in NON_PRINTING})
_DEDUP_TABLE.update({c: ord("0") for c in _DIGITS})

#: lower-cased, accent-stripped line -> LM text: punctuation to ASCII, no controls, digits to 0.
_LM_TABLE: dict[int, int | str | None] = {ord(p): a for p, a in UNICODE_PUNCT.items()}
_LM_TABLE.update({c: None for c in NON_PRINTING})
_LM_TABLE.update({c: ord("0") for c in _DIGITS})


def normalize_for_dedup(line: str) -> str:
    """CCNet's paragraph dedup key: stripped, lowercased, digits as 0, no Unicode punctuation."""
    line = line.strip()
    if not line:
        return line
    return line.lower().translate(_DEDUP_TABLE)


def strip_accents(line: str) -> str:
    """Remove combining marks after NFD decomposition (``é`` -> ``e``), as CCNet does for the LM."""
    nfd = unicodedata.normalize("NFD", line)
    if nfd.isascii():
        return nfd
    out = "".join(c for c in nfd if unicodedata.category(c) != "Mn")
    return out


def normalize_for_lm(line: str) -> str:
    """CCNet's normalisation before SentencePiece + KenLM: lowercase, no accents, digits as 0,
    Unicode punctuation mapped to ASCII, control characters removed."""
    line = line.strip()
    if not line:
        return line
    return strip_accents(line.lower()).translate(_LM_TABLE)


def hash64(key: str) -> int:
    """First 64 bits of SHA-1 of the UTF-8 key, read little-endian (CCNet's ``np.uint64`` view)."""
    return int.from_bytes(hashlib.sha1(key.encode("utf-8", "surrogatepass")).digest()[:8], "little")


def paragraph_hash(line: str) -> int:
    """The dedup hash of one paragraph: :func:`hash64` of :func:`normalize_for_dedup`."""
    return hash64(normalize_for_dedup(line))
