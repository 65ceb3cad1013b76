"""PII redaction: e-mail addresses, phone numbers, IPv4/IPv6 addresses and payment card numbers
(checked with the Luhn sum) are replaced by placeholders and counted.

Every pattern bounds its match with explicit ASCII lookarounds, never ``\\b``: Chinese or
Japanese text around an address has no word boundary (``邮箱a@b.com，电话…``). Phone numbers
come from :mod:`thresher.refine.phones` (libphonenumber, by the document's language). Dates,
years, version strings, ISBNs, order numbers and ordinary numbers are near misses that must
stay. Cards run before IPs and phones, so a card never ends up half a phone; IPs run before
phones, so ``192.168.10.200`` is an address, not a number.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import quote

from thresher.document import Document
from thresher.pipeline.base import Step
from thresher.refine.config import PIIConfig
from thresher.refine.phones import (
    FALLBACK_REGIONS,
    IBAN,
    ID_CUES,
    PhoneFinder,
    follows_cue,
    regions_for,
)

EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = re.compile(rf"(?<![A-Za-z0-9.]){_OCTET}(?:\.{_OCTET}){{3}}(?![A-Za-z0-9]|\.[0-9])")
IPV6_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    rf"(?:{_OCTET}(?:\.{_OCTET}){{3}}|[0-9A-Fa-f]{{1,4}})?(?![A-Za-z0-9:]|\.[0-9])"
)
#: an e-mail address inside a URL, ``@`` written as is or percent-encoded (``?to=a%40b.org``)
URL_EMAIL = re.compile(
    r"(?:(?<![A-Za-z0-9._+-])|(?<=%[0-9A-Fa-f]{2}))[A-Za-z0-9][A-Za-z0-9._+-]{0,63}(?:@|%40)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
#: document fields of free text, redacted in full (``url`` only loses e-mail addresses; ids,
#: dates, language and scores are never touched)
TEXT_FIELDS = ("text", "markdown", "title", "author")
#: metadata keys whose string values are identifiers or digests, left as they are
ID_KEY = re.compile(
    r"(?:^|[_.-])(?:id|ids|uuid|digest|hash|sha1|sha256|md5|checksum|etag)$", re.IGNORECASE
)
CARD_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z.,+/-])[0-9](?:[ -]?[0-9]){11,18}(?![0-9A-Za-z]|[.,/-][0-9])"
)
#: an IBAN candidate: country, check digits, then letters and digits in groups of four (or
#: none); :func:`iban_at` cuts it to the country's length and checks the mod-97 sum
IBAN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){8,30}")
_IBAN_HEAD = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}")
#: how far before a run of digits an IBAN may start (``MT84 MALT 0110 …``: the country, the
#: check digits and a bank code of letters come first)
IBAN_REACH = 24
#: IBAN length by country (SWIFT's IBAN registry)
IBAN_LENGTHS: dict[str, int] = {
    **dict.fromkeys(["NO"], 15),
    **dict.fromkeys(["BE"], 16),
    **dict.fromkeys(["DK", "FI", "FO", "GL", "NL", "SD", "FK"], 18),
    **dict.fromkeys(["MK", "SI"], 19),
    **dict.fromkeys(["AT", "BA", "EE", "KZ", "LT", "LU", "XK", "MN"], 20),
    **dict.fromkeys(["CH", "HR", "LI", "LV"], 21),
    **dict.fromkeys(["BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"], 22),
    **dict.fromkeys(["AE", "GI", "IL", "IQ", "TL", "OM", "SO"], 23),
    **dict.fromkeys(["AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"], 24),
    **dict.fromkeys(["LY", "PT", "ST"], 25),
    **dict.fromkeys(["IS", "TR"], 26),
    **dict.fromkeys(["FR", "GR", "IT", "MC", "MR", "SM", "BI", "DJ"], 27),
    **dict.fromkeys(["AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "PL", "SV", "NI"], 28),
    **dict.fromkeys(["BR", "EG", "PS", "QA", "UA"], 29),
    **dict.fromkeys(["JO", "KW", "MU", "YE"], 30),
    **dict.fromkeys(["MT", "SC"], 31),
    **dict.fromkeys(["LC"], 32),
    **dict.fromkeys(["RU"], 33),
}
#: card schemes as (prefix pattern, digit counts): Visa; Mastercard 51-55 and 2221-2720; Amex;
#: Diners 300-305, 3095, 36, 38-39; JCB 3528-3589 and the 15-digit 2131 and 1800; Discover
#: 6011, 644-649, 65 and 622126-622925; UnionPay 62 and 81; Maestro 50, 56-69 (12-19 digits)
CARD_SCHEMES: tuple[tuple[re.Pattern[str], frozenset[int]], ...] = tuple(
    (re.compile(prefix), frozenset(lengths))
    for prefix, lengths in [
        (r"4", (13, 16, 19)),
        (r"5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720", (16,)),
        (r"3[47]", (15,)),
        (r"30[0-5]|3095|36|3[89]", range(14, 20)),
        (r"35(?:2[89]|[3-8])", range(16, 20)),
        (r"2131|1800", (15,)),
        (r"6011|64[4-9]|65|62|81", range(16, 20)),
        (r"50|5[6-9]|6", range(12, 20)),
    ]
)
#: "domains" of image and code file names (``logo@2x.png``): never a top-level domain
FILE_EXTENSIONS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "bmp",
        "ico",
        "css",
        "js",
        "json",
        "html",
        "htm",
        "php",
        "pdf",
        "txt",
    ]
)
#: a run of digits (any script) and the separators phone, card and IP numbers use; only the
#: windows around these runs are searched, so text without such a run costs one scan
_NUMERIC = re.compile(r"\d[\d \u00a0.()（）/+\-–]{5,}\d")
#: words just before a dotted quad that make it a version or section number, lowercase
VERSION_CUES = (
    "version",
    "ver",
    "v",
    "build",
    "release",
    "firmware",
    "versión",
    "versão",
    "versione",
    "versie",
    "wersja",
    "версия",
    "версии",
    "版本",
    "バージョン",
    "버전",
    "الإصدار",
    "إصدار",
    "संस्करण",
    "sürüm",
    "phiên bản",
    "section",
    "§",
    "chapter",
    "chapters",
    "sections",
    "versions",
    "kapitel",
    "oid",
)
#: dotted numbers and list words just before a dotted quad ("1.1.2.3 and ")
_DOTTED_LIST = re.compile(
    r"(?:[0-9]+(?:\.[0-9]+)+[ \u00a0]*(?:,|&|and|or|und|oder|et|ou|y|o|e)?[ \u00a0]*)+$"
)
#: words just after a dotted quad that make it a version (languages that put them last)
VERSION_AFTER = ("版", "버전", "संस्करण", "sürüm")


def card_scheme_ok(digits: str) -> bool:
    """True when ``digits`` has the prefix and length of a card scheme (:data:`CARD_SCHEMES`)."""
    return any(p.match(digits) and len(digits) in n for p, n in CARD_SCHEMES)


def iban_at(text: str, m: re.Match[str]) -> int | None:
    """The end of the valid IBAN that candidate ``m`` starts, or None: cut to its country's
    length (at a group boundary), mod-97 sum of 1."""
    length = IBAN_LENGTHS.get(m.group(0)[:2])
    if length is None:
        return None
    seen = 0
    end = m.start()
    for i in range(m.start(), m.end()):
        if text[i] != " ":
            seen += 1
            if seen == length:
                end = i + 1
                break
    if seen < length or (end < len(text) and text[end].isalnum()):
        return None
    compact = text[m.start() : end].replace(" ", "")
    moved = compact[4:] + compact[:4]
    return end if int("".join(str(int(c, 36)) for c in moved)) % 97 == 1 else None


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


class PIIRedactor(Step):
    """Replaces personal data by placeholders in every text field of a document (``text``,
    ``markdown``, ``title``, ``author``, string values of ``metadata`` at any depth) and
    e-mail addresses in ``url``; counts every kind it replaced."""

    name: ClassVar[str] = "pii"

    def __init__(self, config: PIIConfig | None = None) -> None:
        super().__init__()
        self.config = config or PIIConfig()
        self._checks: dict[str, Callable[[str, str, int], bool]] = {
            "email": self._email,
            "card": self._card,
            "ipv4": self._ipv4,
            "ipv6": self._ipv6,
        }
        self._finders: dict[str | None, PhoneFinder] = {}

    def finder(self, language: str | None) -> PhoneFinder:
        """The phone finder for a language (built once per language)."""
        found = self._finders.get(language)
        if found is None:
            c = self.config
            fallback = FALLBACK_REGIONS if c.default_phone_regions is None else ()
            regions = regions_for(language, c.phone_regions) or list(
                c.default_phone_regions or fallback
            )
            found = self._finders[language] = PhoneFinder(regions)
        return found

    def redact(self, text: str, language: str | None = None) -> tuple[str, dict[str, int]]:
        """Return the redacted text and how many of each kind were replaced.

        ``language`` picks the national phone formats (see :mod:`thresher.refine.phones`).
        """
        found = self.find(text, language)
        counts: dict[str, int] = {}
        if not found:
            return text, counts
        c = self.config
        placeholders = {
            "email": c.email_placeholder,
            "phone": c.phone_placeholder,
            "ipv4": c.ip_placeholder,
            "ipv6": c.ip_placeholder,
            "card": c.card_placeholder,
            "iban": c.iban_placeholder,
        }
        out: list[str] = []
        last = 0
        for start, end, kind in found:
            out.append(text[last:start])
            out.append(placeholders[kind])
            last = end
            counts[kind] = counts.get(kind, 0) + 1
        out.append(text[last:])
        return "".join(out), counts

    def find(self, text: str, language: str | None = None) -> list[tuple[int, int, str]]:
        """The spans of personal data in ``text`` as ``(start, end, kind)``, in text order.

        The exact patterns run only in small windows around candidates (an ``@``; a run of
        digits and separators; ``::``), which keeps the cost near one cheap scan per text.
        """
        c = self.config
        found: list[tuple[int, int, str]] = []  # in priority order until sorted at the end
        n = len(text)
        windows = [(max(0, m.start() - 3), min(n, m.end() + 3)) for m in _NUMERIC.finditer(text)]
        if c.iban:
            self._ibans(text, windows, found)
        if c.email and "@" in text:
            at = text.find("@")
            while at != -1:
                self._scan(EMAIL, text, max(0, at - 80), min(n, at + 260), "email", found)
                at = text.find("@", at + 1)
        if c.card or c.ip or c.phone:
            if c.card:
                for a, b in windows:
                    self._scan(CARD_CANDIDATE, text, a, b, "card", found)
            if c.ip:
                if "::" in text or text.count(":") >= 7:  # before IPv4: ::ffff:192.0.2.1
                    self._scan(IPV6_CANDIDATE, text, 0, n, "ipv6", found)
                for a, b in windows:
                    self._scan(IPV4, text, a, b, "ipv4", found)
            if c.phone and windows:
                finder = self.finder(language)
                # bank account numbers are not phones (nor redacted as one), valid or not
                taken = [m.span() for a, b in windows for m in IBAN.finditer(text, a - 30, b)]
                taken.extend((s, e) for s, e, _ in found)
                for a, b in windows:
                    for s, e in finder.find(text, a, b):
                        if not any(s < fe and fs < e for fs, fe in taken):
                            found.append((s, e, "phone"))
                            taken.append((s, e))
        found.sort()
        return found

    def _ibans(
        self, text: str, windows: list[tuple[int, int]], found: list[tuple[int, int, str]]
    ) -> None:
        """Add the valid IBANs of ``text``: every IBAN holds a run of digits, so only the
        stretch just before and in each digit window is searched."""
        starts: set[int] = set()
        for a, b in windows:
            for head in _IBAN_HEAD.finditer(text, max(0, a - IBAN_REACH), b):
                m = IBAN_CANDIDATE.match(text, head.start())  # may run past the window
                if m and m.start() not in starts:
                    starts.add(m.start())
                    end = iban_at(text, m)
                    if end is not None:
                        found.append((m.start(), end, "iban"))

    def _scan(
        self,
        pattern: re.Pattern[str],
        text: str,
        start: int,
        end: int,
        kind: str,
        found: list[tuple[int, int, str]],
    ) -> None:
        """Add the checked matches of ``pattern`` in ``text[start:end]`` that overlap nothing
        found before (earlier kinds win)."""
        check = self._checks[kind]
        for m in pattern.finditer(text, start, end):
            s, e = m.span()
            if any(s < fe and fs < e for fs, fe, _ in found):
                continue
            if check(m.group(0), text, s):
                found.append((s, e, kind))

    def _email(self, s: str, text: str, start: int) -> bool:
        return s.rsplit(".", 1)[1].lower() not in FILE_EXTENSIONS

    def _card(self, s: str, text: str, start: int) -> bool:
        digits = s.replace(" ", "").replace("-", "")
        return bool(
            card_scheme_ok(digits)
            and luhn_ok(digits)
            and len(set(digits)) > 1
            and not follows_cue(text, start, ID_CUES)
        )

    def _ipv4(self, s: str, text: str, start: int) -> bool:
        # "chapters 1.1.2.3 and 4.5.6.7": the cue of a list covers every number in it
        head = _DOTTED_LIST.search(text, max(0, start - 80), start)
        first = start if head is None else head.start()
        if follows_cue(text, first, VERSION_CUES, connectors=True):
            return False
        after = text[start + len(s) : start + len(s) + 12].lstrip()
        return not after.startswith(VERSION_AFTER)

    def _ipv6(self, s: str, text: str, start: int) -> bool:
        groups = [g for g in re.split(r"[:.]", s) if g]
        if len(groups) < 2:
            return False
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            return False
        return True

    def redact_document(self, doc: Document) -> Counter[str]:
        """Redact every field of ``doc`` in place (see the class) and return the counts of
        each kind replaced, all fields together."""
        counts: Counter[str] = Counter()
        lang = doc.language
        for name in TEXT_FIELDS:
            value = getattr(doc, name)
            if isinstance(value, str) and value:
                new, found = self.redact(value, lang)
                if found:
                    setattr(doc, name, new)
                    counts.update(found)
        if doc.url and self.config.email:
            doc.url = self._redact_url(doc.url, counts)
        if doc.metadata:
            self._redact_metadata(doc.metadata, lang, counts)
        return counts

    def _redact_url(self, url: str, counts: Counter[str]) -> str:
        """``url`` with its e-mail addresses (``@`` or ``%40``) replaced by the placeholder,
        percent-encoded so that the URL stays one."""
        if "@" not in url and "%40" not in url:
            return url
        new, n = URL_EMAIL.subn(quote(self.config.email_placeholder, safe=""), url)
        if n:
            counts["email"] += n
        return new

    def _redact_metadata(
        self, meta: dict[str, Any], lang: str | None, counts: Counter[str]
    ) -> None:
        """Redact the strings of ``meta`` in place, nested lists and objects included (an
        explicit stack: no depth limit); values under identifier keys (:data:`ID_KEY`) stay."""
        stack: list[dict[str, Any] | list[Any]] = [meta]
        while stack:
            node = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in list(items):
                if isinstance(value, str):
                    if value and not (isinstance(key, str) and ID_KEY.search(key)):
                        new, found = self.redact(value, lang)
                        if found:
                            node[key] = new  # type: ignore[index]
                            counts.update(found)
                elif isinstance(value, dict | list):
                    stack.append(value)

    def count(self, counts: Counter[str], suffix: str = "") -> None:
        """Add the kinds of one document's redaction to the step's counters."""
        for kind, n in counts.items():
            self.stats.count(f"redacted {kind}{suffix}", n)

    def process(self, doc: Document) -> Document | str:
        counts = self.redact_document(doc)
        if counts:
            self.count(counts)
            self.stats.count("documents with PII")
        return doc

    def redact_dropped(self, doc: Document) -> None:
        """Redact a document another step dropped before it is stored (``--keep-dropped``);
        counted apart (``redacted KIND in dropped documents``) so the corpus counts stay
        those of the corpus."""
        counts = self.redact_document(doc)
        if counts:
            self.count(counts, " in dropped documents")
            self.stats.count("dropped documents with PII")
