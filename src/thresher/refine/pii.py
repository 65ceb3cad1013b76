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
from collections.abc import Callable
from typing import ClassVar

from thresher.document import Document
from thresher.pipeline.base import Step
from thresher.refine.config import PIIConfig
from thresher.refine.phones import ID_CUES, PhoneFinder, follows_cue, regions_for

EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = re.compile(rf"(?<![A-Za-z0-9.]){_OCTET}(?:\.{_OCTET}){{3}}(?![A-Za-z0-9]|\.[0-9])")
IPV6_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|"
    rf"{_OCTET}(?:\.{_OCTET}){{3}})?(?![A-Za-z0-9:])"
)
CARD_CANDIDATE = re.compile(r"(?<![0-9.,-])[0-9](?:[ -]?[0-9]){12,18}(?![0-9]|[.,-][0-9])")
#: issuer prefixes of card numbers: Mastercard 22-27 and 51-55, Diners 30/36/38, Amex 34/37,
#: JCB 35, Visa 4, Discover and UnionPay 60/62/64/65
_CARD_PREFIX = re.compile(r"2[2-7]|3[04-8]|4|5[1-5]|6[0245]")

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
    "section",
    "§",
    "chapter",
    "kapitel",
    "oid",
)


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
    """Replaces personal data in ``text`` by placeholders; counts every kind it replaced."""

    name: ClassVar[str] = "pii"

    def __init__(self, config: PIIConfig | None = None) -> None:
        super().__init__()
        self.config = config or PIIConfig()
        self._checks: dict[str, Callable[[str, str, int], str | None]] = {
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
            regions = regions_for(language, c.phone_regions) or list(c.default_phone_regions)
            found = self._finders[language] = PhoneFinder(regions)
        return found

    def redact(self, text: str, language: str | None = None) -> tuple[str, dict[str, int]]:
        """Return the redacted text and how many of each kind were replaced.

        The exact patterns run only in small windows around candidates (an ``@``; a run of
        digits and separators; ``::``), which keeps the cost near one cheap scan per text.
        ``language`` picks the national phone formats (see :mod:`thresher.refine.phones`).
        """
        c = self.config
        found: list[tuple[int, int, str]] = []  # (start, end, placeholder), in priority order
        counts: dict[str, int] = {}
        n = len(text)
        if c.email and "@" in text:
            at = text.find("@")
            while at != -1:
                self._scan(EMAIL, text, max(0, at - 80), min(n, at + 260), "email", found, counts)
                at = text.find("@", at + 1)
        if c.card or c.ip or c.phone:
            windows = [
                (max(0, m.start() - 3), min(n, m.end() + 3)) for m in _NUMERIC.finditer(text)
            ]
            for enabled, pattern, kind in (
                (c.card, CARD_CANDIDATE, "card"),
                (c.ip, IPV4, "ipv4"),
            ):
                if enabled:
                    for a, b in windows:
                        self._scan(pattern, text, a, b, kind, found, counts)
            if c.phone and windows:
                self._phones(text, windows, language, found, counts)
        if c.ip and ("::" in text or text.count(":") >= 7):
            self._scan(IPV6_CANDIDATE, text, 0, n, "ipv6", found, counts)
        if not found:
            return text, counts
        found.sort()
        out: list[str] = []
        last = 0
        for start, end, placeholder in found:
            out.append(text[last:start])
            out.append(placeholder)
            last = end
        out.append(text[last:])
        return "".join(out), counts

    def _scan(
        self,
        pattern: re.Pattern[str],
        text: str,
        start: int,
        end: int,
        kind: str,
        found: list[tuple[int, int, str]],
        counts: dict[str, int],
    ) -> None:
        """Add the checked matches of ``pattern`` in ``text[start:end]`` that overlap nothing
        found before (earlier kinds win)."""
        check = self._checks[kind]
        for m in pattern.finditer(text, start, end):
            s, e = m.span()
            if any(s < fe and fs < e for fs, fe, _ in found):
                continue
            placeholder = check(m.group(0), text, s)
            if placeholder is None:
                continue
            found.append((s, e, placeholder))
            counts[kind] = counts.get(kind, 0) + 1

    def _phones(
        self,
        text: str,
        windows: list[tuple[int, int]],
        language: str | None,
        found: list[tuple[int, int, str]],
        counts: dict[str, int],
    ) -> None:
        """Add the phone numbers of the candidate windows that overlap nothing found before."""
        finder = self.finder(language)
        placeholder = self.config.phone_placeholder
        for a, b in windows:
            for s, e in finder.find(text, a, b):
                if any(s < fe and fs < e for fs, fe, _ in found):
                    continue
                found.append((s, e, placeholder))
                counts["phone"] = counts.get("phone", 0) + 1

    def _email(self, s: str, text: str, start: int) -> str | None:
        return self.config.email_placeholder

    def _card(self, s: str, text: str, start: int) -> str | None:
        digits = s.replace(" ", "").replace("-", "")
        if (
            13 <= len(digits) <= 19
            and _CARD_PREFIX.match(digits)
            and luhn_ok(digits)
            and len(set(digits)) > 1
            and not follows_cue(text, start, ID_CUES)
        ):
            return self.config.card_placeholder
        return None

    def _ipv4(self, s: str, text: str, start: int) -> str | None:
        if follows_cue(text, start, VERSION_CUES):
            return None
        return self.config.ip_placeholder

    def _ipv6(self, s: str, text: str, start: int) -> str | None:
        groups = [g for g in re.split(r"[:.]", s) if g]
        if len(groups) < 2:
            return None
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            return None
        return self.config.ip_placeholder

    def process(self, doc: Document) -> Document | str:
        text, counts = self.redact(doc.text, doc.language)
        if counts:
            doc.text = text
            for kind, n in counts.items():
                self.stats.count(f"redacted {kind}", n)
            self.stats.count("documents with PII")
        return doc
