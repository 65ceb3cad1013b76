"""PII redaction: e-mail addresses, phone numbers, IPv4/IPv6 addresses and payment card numbers
(checked with the Luhn sum) are replaced by placeholders and counted.

Patterns are tight on purpose: dates, years, version strings, times and ordinary numbers are
near misses that must stay. Card numbers run before phone numbers so a card never ends up half
a phone; IP addresses run before phones so ``192.168.10.200`` is an address, not a number.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import ClassVar

from thresher.document import Document
from thresher.pipeline.base import Step
from thresher.refine.config import PIIConfig

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
IPV6_CANDIDATE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|"
    rf"{_OCTET}(?:\.{_OCTET}){{3}})?(?![\w:])"
)
CARD_CANDIDATE = re.compile(r"(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d]|[.,-]\d)")
PHONE = re.compile(
    r"(?<![\w+/.-])(?:"
    # international: +CC, optional (area), then groups
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"
    # North American: (555) 123-4567, 555-123-4567, 555.123.4567
    r"|(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}"
    # national with trunk 0: 06 12 34 56 78, 020 7946 0958, 030-1234567
    r"|0\d{1,4}(?:[ ./-]\d{2,8}){1,4}"
    r")(?![\w-]|[.,]\d)"
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


def _digit_count(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


class PIIRedactor(Step):
    """Replaces personal data in ``text`` by placeholders; counts every kind it replaced."""

    name: ClassVar[str] = "pii"

    def __init__(self, config: PIIConfig | None = None) -> None:
        super().__init__()
        self.config = config or PIIConfig()

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        """Return the redacted text and how many of each kind were replaced."""
        c = self.config
        counts: dict[str, int] = {}
        if c.email and "@" in text:
            text, n = EMAIL.subn(c.email_placeholder, text)
            if n:
                counts["email"] = n
        has_digit = any(ch in text for ch in "0123456789")
        if c.card and has_digit:
            text = self._sub(CARD_CANDIDATE, text, self._card, counts)
        if c.ip:
            if has_digit and "." in text:
                text, n = IPV4.subn(c.ip_placeholder, text)
                if n:
                    counts["ipv4"] = n
            if "::" in text or text.count(":") >= 7:
                text = self._sub(IPV6_CANDIDATE, text, self._ipv6, counts)
        if c.phone and has_digit:
            text = self._sub(PHONE, text, self._phone, counts)
        return text, counts

    @staticmethod
    def _sub(
        pattern: re.Pattern[str],
        text: str,
        check: Callable[[str], tuple[str, str] | None],
        counts: dict[str, int],
    ) -> str:
        def replace(m: re.Match[str]) -> str:
            found = check(m.group(0))
            if found is None:
                return m.group(0)
            kind, placeholder = found
            counts[kind] = counts.get(kind, 0) + 1
            return placeholder

        return pattern.sub(replace, text)

    def _card(self, s: str) -> tuple[str, str] | None:
        digits = s.replace(" ", "").replace("-", "")
        if 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1:
            return "card", self.config.card_placeholder
        return None

    def _ipv6(self, s: str) -> tuple[str, str] | None:
        groups = [g for g in re.split(r"[:.]", s) if g]
        if len(groups) < 2:
            return None
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            return None
        return "ipv6", self.config.ip_placeholder

    def _phone(self, s: str) -> tuple[str, str] | None:
        n = _digit_count(s)
        if 9 <= n <= 15:
            return "phone", self.config.phone_placeholder
        return None

    def process(self, doc: Document) -> Document | str:
        text, counts = self.redact(doc.text)
        if counts:
            doc.text = text
            for kind, n in counts.items():
                self.stats.count(f"redacted {kind}", n)
            self.stats.count("documents with PII")
        return doc
