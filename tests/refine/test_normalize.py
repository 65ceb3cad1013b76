"""Golden tests of CCNet normalisation and paragraph hashing."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from thresher.hashing import hash64, hash64_bytes, hash64_each
from thresher.refine.normalize import (
    dedup_key,
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
    assert hash64_bytes("déjà vu".encode()) == hash64("déjà vu")
    assert hash64("\ud800") == hash64_bytes("\ud800".encode("utf-8", "surrogatepass"))


def test_paragraph_and_line_hashes_are_hash64_of_the_dedup_key() -> None:
    from thresher.refine.dedup import SKIP, line_hashes

    text = "Café «Noël» 12\n\nplain line"
    keys = [dedup_key(line) for line in text.split("\n")]
    assert [paragraph_hash(line) for line in text.split("\n") if line] == [
        hash64_bytes(k) for k in keys if k
    ]
    assert line_hashes(text) == [hash64_bytes(keys[0]), SKIP, hash64_bytes(keys[2])]
    assert line_hashes(text, min_chars=11) == [hash64_bytes(keys[0]), SKIP, SKIP]  # 12, 0, 10
    assert line_hashes(text, min_chars=13) == [SKIP] * 3  # "café noël 00": 14 bytes, 12 chars


def test_hash64_each_keeps_0_for_no_hash() -> None:
    assert hash64_each([b"", b"hello"]) == [0, hash64("hello")]


def test_paragraph_hash_ignores_case_digits_and_unicode_punct() -> None:
    assert paragraph_hash("Call 555 1234 now!") == paragraph_hash("  call 000 0000 NOW!")
    assert paragraph_hash("«Hello»") == paragraph_hash("hello")
    assert paragraph_hash("Hello.") != paragraph_hash("Hello")  # ASCII punctuation counts
