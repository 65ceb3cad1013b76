"""PII detection beyond the basics: IBANs (length and mod-97), card schemes beyond Visa,
Mastercard and Amex, phone extensions, numbers a phone word marks as phones, documents
without a language, and the near misses each of these must leave alone."""

from __future__ import annotations

import pytest

from thresher.refine.config import PIIConfig
from thresher.refine.pii import IBAN_LENGTHS, PIIRedactor, card_scheme_ok, luhn_ok


def kinds(text: str, lang: str | None = "en", config: PIIConfig | None = None) -> list[str]:
    """``kind:value`` of every span found in ``text``."""
    return [f"{k}:{text[s:e]}" for s, e, k in PIIRedactor(config).find(text, lang)]


@pytest.mark.parametrize(
    ("text", "lang", "iban"),
    [
        ("IBAN DE89 3704 0044 0532 0130 00 (BIC COBADEFFXXX)", "de", "DE89 3704 0044 0532 0130 00"),
        ("Konto DE89370400440532013000, danke", "de", "DE89370400440532013000"),
        ("Pay to GB82 WEST 1234 5698 7654 32 today", "en", "GB82 WEST 1234 5698 7654 32"),
        ("RIB : FR14 2004 1010 0505 0001 3M02 606", "fr", "FR14 2004 1010 0505 0001 3M02 606"),
        ("BE68 5390 0754 7034 2023", "fr", "BE68 5390 0754 7034"),  # cut at its length
    ],
)
def test_iban_found(text: str, lang: str, iban: str) -> None:
    assert kinds(text, lang) == [f"iban:{iban}"]
    out, counts = PIIRedactor().redact(text, lang)
    assert "<IBAN>" in out and counts == {"iban": 1}


@pytest.mark.parametrize(
    "text",
    [
        "Bad check digits: DE00 3704 0044 0532 0130 00 and NL00ABNA0417164300.",
        "Too short for Germany: DE89 3704 0044 0532 0130",
        "Product FR12 ABCD EFGH 1234, VAT DE123456789, BIC DEUTDEFF500, XX12 3456 7890 1234",
    ],
)
def test_iban_near_misses(text: str) -> None:
    assert [k for k in kinds(text, "de") if k.startswith("iban")] == []


def test_iban_lengths_and_switch() -> None:
    assert IBAN_LENGTHS["DE"] == 22 and IBAN_LENGTHS["NO"] == 15 and IBAN_LENGTHS["RU"] == 33
    text = "IBAN DE89 3704 0044 0532 0130 00"
    assert PIIRedactor(PIIConfig(iban=False)).redact(text, "de")[1] == {}
    assert PIIRedactor(PIIConfig(iban_placeholder="[I]")).redact(text, "de")[0] == "IBAN [I]"


def _luhn(body: str) -> str:
    """``body`` with the Luhn check digit appended."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@pytest.mark.parametrize(
    ("scheme", "body"),
    [
        ("JCB", "353011133330000"),
        ("JCB 15 (2131)", "21310000000000"),
        ("JCB 15 (1800)", "18000000000000"),
        ("Discover", "601100099013942"),
        ("Discover 65", "650000000000000"),
        ("Diners", "3056930902590"),
        ("UnionPay 19", "621226110200001234"),
        ("Maestro 12", "50180000000"),
        ("Maestro 19", "679999010000000001"),
    ],
)
def test_card_schemes(scheme: str, body: str) -> None:
    number = _luhn(body)
    assert card_scheme_ok(number), scheme
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert kinds(f"Card {grouped} expired.") == [f"card:{grouped}"], scheme


@pytest.mark.parametrize(
    "text",
    [
        "IMEI 35-209900-176148-1 on the box",  # 15 digits starting 35: no JCB has 15
        "serial SN 4111-1111-1111-1111 on the router",
        "EAN-13 5901234123457 and GTIN 00012345678905",
        "see facebook.com/page/posts/2395361813834269 for more",
        "tracking SF1234567890123GB",
    ],
)
def test_card_near_misses(text: str) -> None:
    assert [k for k in kinds(text) if k.startswith("card")] == []


@pytest.mark.parametrize(
    ("text", "lang", "phone"),
    [
        ("Front desk (415) 555-0132 x4587 today", "en", "(415) 555-0132 x4587"),
        ("Support: 1-800-555-0199 ext. 12 (toll free)", "en", "1-800-555-0199 ext. 12"),
        ("Standard : 01 42 68 53 00 poste 215.", "fr", "01 42 68 53 00 poste 215"),
    ],
)
def test_extensions_belong_to_the_number(text: str, lang: str, phone: str) -> None:
    assert kinds(text, lang) == [f"phone:{phone}"]


@pytest.mark.parametrize(
    ("text", "lang", "phones"),
    [
        ("Phone: 123-456-7890, Fax: 123-456-7891", "en", ["123-456-7890", "123-456-7891"]),
        ("call us at 555-0143 today", "en", ["555-0143"]),
        ("Tel.: 0123 4567890, Handy: 0170 1234567", "de", ["0123 4567890", "0170 1234567"]),
        ("Téléphone : 00 11 22 33 44", "fr", ["00 11 22 33 44"]),
        ("Teléfono: 900 000 000 · Móvil: 600 000 000", "es", ["900 000 000", "600 000 000"]),
        ("电话：010-0000-0000", "zh", ["010-0000-0000"]),
        ("Тел.: 8 (000) 000-00-00", "ru", ["8 (000) 000-00-00"]),
        ("電話：012-345-6789", "ja", ["012-345-6789"]),
    ],
)
def test_phone_words_mark_phones(text: str, lang: str, phones: list[str]) -> None:
    """Numbers libphonenumber calls invalid are phones right after a phone word."""
    assert kinds(text, lang) == [f"phone:{p}" for p in phones]


@pytest.mark.parametrize(
    "text",
    [
        "Call 2024-03-15 the launch day; phone sales hit 1,234,567 units.",
        "The iPhone 15 Pro costs 1199 dollars; Tel Aviv had 460,613 residents.",
        "Phone: 15.03.2024 was the date, tel 12.50 EUR",
        "Mobile World Congress 2024 in Barcelona",
    ],
)
def test_phone_words_near_misses(text: str) -> None:
    assert kinds(text) == []


def test_no_language_uses_fallback_regions() -> None:
    text = "Office (212) 555-0147, London 020 7946 0958, Paris 06 12 34 56 78, 联系13800138000"
    found = kinds(text, None)
    assert found == [
        "phone:(212) 555-0147",
        "phone:020 7946 0958",
        "phone:06 12 34 56 78",
        "phone:13800138000",
    ]
    assert kinds("Version 2.3.1 of 2023-04-05; order 123456789, $1,299.99", None) == []


def test_ip_edge_forms() -> None:
    assert kinds("mapped ::ffff:192.0.2.128 here") == ["ipv6:::ffff:192.0.2.128"]
    assert kinds("listens on 10.0.0.1:8080 and [2001:db8::1]:443") == [
        "ipv4:10.0.0.1",
        "ipv6:2001:db8::1",
    ]
    assert kinds("Chapters 1.1.2.3 and 4.5.6.7; the build is 1.0.0.27") == []
