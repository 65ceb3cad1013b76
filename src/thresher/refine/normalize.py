"""CCNet text normalisation: the dedup key of a paragraph and the text fed to the language model.

``normalize_for_dedup`` follows CCNet (Wenzek et al., 2019): strip, lowercase, every Unicode
decimal digit becomes ``0``, and CCNet's list of Unicode punctuation plus the control characters
(U+0000–U+001F, U+007F–U+009F) are removed. Accents are kept for dedup; ``normalize_for_lm``
also strips them and maps the punctuation to ASCII, as CCNet does before SentencePiece.
ASCII lines (most of the web) take a bytes-table fast path; others go through two regexes.
"""

from __future__ import annotations

import re
import unicodedata

from thresher.hashing import hash64_bytes

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


_DIGIT = re.compile(r"\d")  # every Unicode decimal digit, as CCNet's DIGIT_RE
_PUNCT_OR_CONTROL = re.compile(
    "[" + "".join(re.escape(p) for p in UNICODE_PUNCT) + "".join(chr(c) for c in NON_PRINTING) + "]"
)
_UNICODE_PUNCT_RE = re.compile("[" + "".join(re.escape(p) for p in UNICODE_PUNCT) + "]")
_CONTROL = re.compile("[" + "".join(chr(c) for c in NON_PRINTING) + "]")
#: ASCII fast path: digits to 0 (a bytes table), controls deleted
_ASCII_DIGITS = bytes(range(256)).replace(b"0123456789", b"0" * 10)
_ASCII_CONTROLS = bytes(c for c in NON_PRINTING if c < 128)


def dedup_key(line: str) -> bytes:
    """UTF-8 bytes of :func:`normalize_for_dedup` (what is hashed), with a fast ASCII path."""
    line = line.strip()
    if not line:
        return b""
    line = line.lower()
    if line.isascii():
        return line.encode("ascii").translate(_ASCII_DIGITS, _ASCII_CONTROLS)
    return _PUNCT_OR_CONTROL.sub("", _DIGIT.sub("0", line)).encode("utf-8", "surrogatepass")


def normalize_for_dedup(line: str) -> str:
    """CCNet's paragraph dedup key: stripped, lowercased, digits as 0, no Unicode punctuation."""
    return dedup_key(line).decode("utf-8", "surrogatepass")


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
    line = _DIGIT.sub("0", strip_accents(line.lower()))
    line = _UNICODE_PUNCT_RE.sub(lambda m: UNICODE_PUNCT[m.group(0)], line)
    return _CONTROL.sub("", line)


def paragraph_hash(line: str) -> int:
    """The dedup hash of one paragraph: :func:`~thresher.hashing.hash64` of
    :func:`normalize_for_dedup`."""
    return hash64_bytes(dedup_key(line))
