"""PII redaction: each kind replaced and counted; near misses left alone."""

from __future__ import annotations

import pytest

from thresher.document import Document
from thresher.refine.config import PIIConfig
from thresher.refine.pii import PIIRedactor, luhn_ok


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("Write to john.doe+news@example.co.uk today.", "Write to <EMAIL> today.", "email"),
        ("Call +1 (555) 123-4567 now", "Call <PHONE> now", "phone"),
        ("Call 555-123-4567 or (555) 123 4567.", "Call <PHONE> or <PHONE>.", "phone"),
        ("Ring +44 20 7946 0958 today", "Ring <PHONE> today", "phone"),
        ("Appelez le 06 12 34 56 78 !", "Appelez le <PHONE> !", "phone"),
        ("Tel. 030-1234567", "Tel. <PHONE>", "phone"),
        ("Server 192.168.1.20 is down", "Server <IP_ADDRESS> is down", "ipv4"),
        ("Host 2001:db8::8a2e:370:7334 up", "Host <IP_ADDRESS> up", "ipv6"),
        ("Link-local fe80::1 only", "Link-local <IP_ADDRESS> only", "ipv6"),
        ("Card 4111 1111 1111 1111 ok", "Card <CARD_NUMBER> ok", "card"),
        ("Amex 378282246310005.", "Amex <CARD_NUMBER>.", "card"),
        ("MC 5555-5555-5555-4444", "MC <CARD_NUMBER>", "card"),
    ],
)
def test_redacts_and_counts(text: str, expected: str, kind: str) -> None:
    step = PIIRedactor()
    doc = step.process(Document(text=text))
    assert isinstance(doc, Document)
    assert doc.text == expected
    assert step.stats.counters[f"redacted {kind}"] >= 1


@pytest.mark.parametrize(
    "text",
    [
        "user@localhost is not an address, nor is @handle or a@b",
        "Years 1990 1991 1992 and 2019-2020, date 2023-01-15, pop 1,234,567.",
        "ISBN 978-3-16-148410-0 and version 1.2.3 and pi 3.14159",
        "Not addresses: 999.1.1.1 and 1.2.3.4.5 and 256.300.1.1",
        "Time 12:30:45, ratio 3:2, C++ std::vector and Foo::bar",
        "Card-like but Luhn fails: 4111 1111 1111 1112",
        "Order number 1234567890123 arrives; all same 0000 0000 0000 0000",
        "Price 12.50 EUR, 100.000 people, short number 555 1234",
    ],
)
def test_near_misses_stay(text: str) -> None:
    step = PIIRedactor()
    doc = step.process(Document(text=text))
    assert isinstance(doc, Document)
    assert doc.text == text
    assert not step.stats.counters


def test_switches_and_placeholders() -> None:
    text = "mail a@example.org, ip 10.0.0.1"
    step = PIIRedactor(PIIConfig(email=False, ip_placeholder="[IP]"))
    out = step.process(Document(text=text))
    assert isinstance(out, Document)
    assert out.text == "mail a@example.org, ip [IP]"
    off = PIIRedactor(PIIConfig(enabled=True, ip=False, email=False))
    assert off.redact(text)[0] == text


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
