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


#: a run of digits and the separators phone, card and IPv4 numbers use (candidates only)
_NUMERIC = re.compile(r"\d[\d .()/+-]{5,}\d")
_HAS_DIGIT = re.compile(r"\d")


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
        self._checks: dict[str, Callable[[str], str | None]] = {
            "email": self._email,
            "card": self._card,
            "ipv4": self._ipv4,
            "ipv6": self._ipv6,
            "phone": self._phone,
        }

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        """Return the redacted text and how many of each kind were replaced.

        The exact patterns run only in small windows around candidates (an ``@``; a run of
        digits and separators; ``::``), which keeps the cost near one cheap scan per text.
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
        if (c.card or c.ip or c.phone) and _HAS_DIGIT.search(text):
            windows = [
                (max(0, m.start() - 3), min(n, m.end() + 3)) for m in _NUMERIC.finditer(text)
            ]
            for enabled, pattern, kind in (
                (c.card, CARD_CANDIDATE, "card"),
                (c.ip, IPV4, "ipv4"),
                (c.phone, PHONE, "phone"),
            ):
                if enabled:
                    for a, b in windows:
                        self._scan(pattern, text, a, b, kind, found, counts)
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
            placeholder = check(m.group(0))
            if placeholder is None:
                continue
            found.append((s, e, placeholder))
            counts[kind] = counts.get(kind, 0) + 1

    def _email(self, s: str) -> str | None:
        return self.config.email_placeholder

    def _card(self, s: str) -> str | None:
        digits = s.replace(" ", "").replace("-", "")
        if 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1:
            return self.config.card_placeholder
        return None

    def _ipv4(self, s: str) -> str | None:
        return self.config.ip_placeholder

    def _ipv6(self, s: str) -> str | None:
        groups = [g for g in re.split(r"[:.]", s) if g]
        if len(groups) < 2:
            return None
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            return None
        return self.config.ip_placeholder

    def _phone(self, s: str) -> str | None:
        n = _digit_count(s)
        if 9 <= n <= 15:
            return self.config.phone_placeholder
        return None

    def process(self, doc: Document) -> Document | str:
        text, counts = self.redact(doc.text)
        if counts:
            doc.text = text
            for kind, n in counts.items():
                self.stats.count(f"redacted {kind}", n)
            self.stats.count("documents with PII")
        return doc
