"""Golden tests of CCNet normalisation and paragraph hashing."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from thresher.refine.normalize import (
    hash64,
    normalize_for_dedup,
    normalize_for_lm,
    paragraph_hash,
    strip_accents,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  Hello, World! 2024  ", "hello, world! 0000"),
        ("Ｃafé «Noël» – 12 €", "ｃafé noël  00 €"),
        ("«Bonjour», dit-il…", "bonjour, dit-il"),
        ("价格：１２３元。", "价格000元"),
        ("٣٤ apples", "00 apples"),
        ("a\x00b\x1fc\x7fd\x85e\x9ff", "abcdef"),
        ("TAB\tinside", "tabinside"),
        ("\u3000\n  ", ""),
        ("Straße ÉCOLE", "straße école"),
        ("“quoted” ‘single’ ’", "quoted ‘single "),
        ("【Title】 ► item —", "title  item "),
    ],
)
def test_normalize_for_dedup_golden(line: str, expected: str) -> None:
    assert normalize_for_dedup(line) == expected


def test_normalize_for_lm_strips_accents_and_maps_punctuation() -> None:
    assert normalize_for_lm("  Café «Noël» – 12 €  ") == 'cafe "noel" - 00 €'
    assert normalize_for_lm("Ｗait…！") == "ｗait...!"
    assert strip_accents("àéîõü ñ ç") == "aeiou n c"
    assert strip_accents("plain") == "plain"


def test_hash64_is_first_8_bytes_of_sha1_little_endian() -> None:
    # sha1("hello") = aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d
    assert hash64("hello") == 0xA2E8C5DC1DC6F4AA
    digest = hashlib.sha1("déjà vu".encode()).digest()
    assert hash64("déjà vu") == int(np.frombuffer(digest[:8], dtype="<u8")[0])


def test_paragraph_hash_ignores_case_digits_and_unicode_punct() -> None:
    assert paragraph_hash("Call 555 1234 now!") == paragraph_hash("  call 000 0000 NOW!")
    assert paragraph_hash("«Hello»") == paragraph_hash("hello")
    assert paragraph_hash("Hello.") != paragraph_hash("Hello")  # ASCII punctuation counts
