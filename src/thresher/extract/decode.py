"""Bytes → text for web pages: BOM, HTTP charset, ``<meta>`` charset, then detection.

Labels are mapped the way browsers map them (WHATWG: ``iso-8859-1`` means windows-1252,
``gb2312`` means GB18030, ...). A declared single-byte charset on bytes that are valid UTF-8
is overridden, and residual mojibake (``Ã©``, ``â€™``) is repaired with ftfy.
"""

from __future__ import annotations

import codecs
import re

_META = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]{2,40})""", re.IGNORECASE
)
_XML = re.compile(rb"""^\s*<\?xml[^>]{0,100}encoding\s*=\s*["']([a-zA-Z0-9_.\-]{2,40})""")

# WHATWG label aliases that Python does not map the same way.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "euc-jp": "euc_jis_2004",
    "x-euc-jp": "euc_jis_2004",
    "utf8": "utf-8",
    "unicode": "utf-16-le",
    "utf-16": "utf-16-le",
    "x-user-defined": "cp1252",
}
_SINGLE_BYTE = frozenset({"cp1252", "cp1254", "cp1250", "cp1251", "iso8859-15", "iso8859-2"})
_MOJIBAKE = re.compile(
    "[ÃÂâÐÑØÙ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]"
)


def normalize_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _ALIASES.get(key, key)
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    name = _ALIASES.get(name, name)
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def _bom(data: bytes) -> tuple[str | None, int]:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    return None, 0


def sniff_meta_charset(data: bytes) -> str | None:
    """The charset declared by ``<meta charset>`` / http-equiv or an XML declaration."""
    head = data[:4096]
    m = _META.search(head) or _XML.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        # a multi-byte sequence cut at the end of a truncated page is still UTF-8
        return e.start >= len(data) - 3 and e.reason == "unexpected end of data"
    return True


def detect_charset(data: bytes) -> str:
    """Guess the encoding of undeclared bytes (UTF-8 first, then charset-normalizer)."""
    if _is_utf8(data):
        return "utf-8"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:65536]).best()
    except Exception:  # a detector failure must not lose the page
        best = None
    name = normalize_charset(best.encoding) if best is not None else None
    return name or "cp1252"


def decode_html(data: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns (text, codec name used)."""
    enc, skip = _bom(data)
    if enc:
        return data[skip:].decode(enc, "replace"), enc
    declared = normalize_charset(http_charset) or normalize_charset(sniff_meta_charset(data))
    if declared in ("utf-16-le", "utf-16-be", "utf-16", "utf-32"):
        declared = None  # a page that parses as ASCII-compatible cannot be UTF-16 (WHATWG)
    if declared is None:
        try:
            return data.decode("utf-8"), "utf-8"  # most undeclared pages: decoded once
        except UnicodeDecodeError:
            enc = detect_charset(data)
    elif declared in _SINGLE_BYTE and not data.isascii() and _is_utf8(data):
        enc = "utf-8"
    else:
        enc = declared
    text = data.decode(enc, "replace")
    if enc != "utf-8" and text.count("\ufffd") > max(8, len(text) // 200):
        alt = detect_charset(data)
        if alt != enc:
            alt_text = data.decode(alt, "replace")
            if alt_text.count("\ufffd") < text.count("\ufffd"):
                text, enc = alt_text, alt
    elif enc == "utf-8" and text.count("\ufffd") > max(8, len(text) // 200):
        alt = detect_charset(data)
        alt_text = data.decode(alt, "replace")
        if alt_text.count("\ufffd") < text.count("\ufffd"):
            text, enc = alt_text, alt
    return text, enc


def repair_mojibake(text: str) -> str:
    """Repair double-encoded UTF-8 (``Ã©`` → ``é``) when signs of it are present."""
    if not _MOJIBAKE.search(text):
        return text
    import ftfy

    return ftfy.fix_encoding(text)
