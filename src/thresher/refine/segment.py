"""Script-aware measures for the quality filters: how long a text is and how many words it has,
in Latin-equivalent units, for languages written with or without spaces.

No segmenter runs: Chinese and Japanese are counted by characters (1.5 characters a word),
Thai, Lao, Khmer and Burmese by letters (4 a word); a Han, kana or Hangul character counts
as 3 Latin characters of length, so one threshold means about the same amount of text in
every script. These are the per-script senses the filters need, at the cost of one regular
expression scan of non-ASCII texts.
"""

from __future__ import annotations

import re

#: Han ideographs and kana: written without spaces, about 1.5 characters a word
_HAN_KANA = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
)
#: Thai, Lao, Burmese, Khmer: written without spaces between words, about 4 letters a word
_SOUTHEAST = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
#: characters that carry about 3 Latin characters of text: Han, kana and Hangul syllables
_WIDE = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f]"
)
#: a token of no-space script (the whitespace tokens of a Chinese text are whole sentences)
_UNSPACED_TOKEN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
    r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"
)

HAN_CHARS_PER_WORD = 1.5
SOUTHEAST_CHARS_PER_WORD = 4.0
WIDE_WEIGHT = 3


def wide_chars(text: str) -> int:
    """Han, kana and Hangul characters in ``text``."""
    return 0 if text.isascii() else len(_WIDE.findall(text))


def weighted_length(text: str, weight: float = WIDE_WEIGHT) -> float:
    """Length in Latin-equivalent characters: a Han, kana or Hangul character counts ``weight``."""
    if text.isascii():
        return len(text)
    return len(text) + (weight - 1) * len(_WIDE.findall(text))


def mostly_wide(text: str, share: float = 0.3) -> bool:
    """True when Han, kana or Hangul make more than ``share`` of the non-space characters."""
    if text.isascii():
        return False
    wide = len(_WIDE.findall(text))
    return wide > share * max(1, len(text) - text.count(" "))


def word_count(text: str, words: list[str]) -> float:
    """Words of ``text`` given its whitespace ``words``: tokens of spaced scripts count one
    each, no-space scripts by characters (see the module docstring)."""
    if text.isascii():
        return len(words)
    han = len(_HAN_KANA.findall(text))
    sea = len(_SOUTHEAST.findall(text))
    if not han and not sea:
        return len(words)
    search = _UNSPACED_TOKEN.search
    spaced = sum(1 for w in words if not search(w))
    return spaced + han / HAN_CHARS_PER_WORD + sea / SOUTHEAST_CHARS_PER_WORD


__all__ = ["mostly_wide", "weighted_length", "wide_chars", "word_count"]
