"""PII redaction: each kind replaced and counted whatever script surrounds it; phone numbers
in the national formats of the document's language; near misses left alone."""

from __future__ import annotations

import pytest

from thresher.document import Document
from thresher.refine.config import PIIConfig
from thresher.refine.phones import LANGUAGE_REGIONS, PhoneFinder, regions_for
from thresher.refine.pii import PIIRedactor, luhn_ok


def _redact(text: str, lang: str | None = None, config: PIIConfig | None = None) -> PIIRedactor:
    step = PIIRedactor(config)
    doc = step.process(Document(text=text, language=lang))
    assert isinstance(doc, Document)
    step.last_text = doc.text  # type: ignore[attr-defined]
    return step


@pytest.mark.parametrize(
    ("text", "lang", "expected", "kind"),
    [
        ("Write to john.doe+news@example.co.uk today.", "en", "Write to <EMAIL> today.", "email"),
        ("Call +1 (415) 555-2671 now", "en", "Call <PHONE> now", "phone"),
        ("Call 415-555-2671 or (212) 555 0147.", "en", "Call <PHONE> or <PHONE>.", "phone"),
        ("Ring +44 20 7946 0958 today", None, "Ring <PHONE> today", "phone"),
        ("Ring 020 7946 0958 today", "en", "Ring <PHONE> today", "phone"),
        ("Appelez le 06 12 34 56 78 !", "fr", "Appelez le <PHONE> !", "phone"),
        ("Tel. 030-1234567", "de", "Tel. <PHONE>", "phone"),
        ("Server 192.168.1.20 is down", "en", "Server <IP_ADDRESS> is down", "ipv4"),
        ("Host 2001:db8::8a2e:370:7334 up", "en", "Host <IP_ADDRESS> up", "ipv6"),
        ("Link-local fe80::1 only", "en", "Link-local <IP_ADDRESS> only", "ipv6"),
        ("Card 4111 1111 1111 1111 ok", "en", "Card <CARD_NUMBER> ok", "card"),
        ("Amex 378282246310005.", "en", "Amex <CARD_NUMBER>.", "card"),
        ("MC 5555-5555-5555-4444", "en", "MC <CARD_NUMBER>", "card"),
    ],
)
def test_redacts_and_counts(text: str, lang: str | None, expected: str, kind: str) -> None:
    step = _redact(text, lang)
    assert step.last_text == expected  # type: ignore[attr-defined]
    assert step.stats.counters[f"redacted {kind}"] >= 1


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        # the example: no word boundary between CJK and Latin text
        ("联系邮箱fyzw88@126.com，电话13611778776", "zh", "联系邮箱<EMAIL>，电话<PHONE>"),
        (
            "客服电话：010-62345678，传真（021）6234-5678。",
            "zh",
            "客服电话：<PHONE>，传真<PHONE>。",
        ),
        ("電話番号は03-1234-5678です。メールinfo@example.jpまで", "ja", None),
        ("服务器地址192.168.0.12上线", "zh", "服务器地址<IP_ADDRESS>上线"),
        ("卡号4111111111111111已冻结", "zh", "卡号<CARD_NUMBER>已冻结"),
        ("Звоните: +7 (495) 123-45-67 или 8 800 555-35-35.", "ru", None),
        ("اتصل بنا على 0501234567 أو راسلنا support@example.sa", "ar", None),
        ("हमें 98765 43210 पर कॉल करें", "hi", "हमें <PHONE> पर कॉल करें"),
        ("电话１３６１１７７８７７６（全角数字）", "zh", "电话<PHONE>（全角数字）"),
    ],
)
def test_any_script_around(text: str, lang: str, expected: str | None) -> None:
    step = _redact(text, lang)
    out = step.last_text  # type: ignore[attr-defined]
    if expected is not None:
        assert out == expected
    assert "@" not in out
    digits = sum(ch.isdigit() for ch in out)
    assert digits == 0, out


def test_national_formats_follow_the_language() -> None:
    """A French mobile number in its national format is a phone in a French document; without
    a language the fallback regions are tried, and with ``default_phone_regions: []`` only
    numbers written with +CC are found."""
    text = "Mon numéro : 06 12 34 56 78, ou +33 6 12 34 56 78."
    assert _redact(text, "fr").last_text == "Mon numéro : <PHONE>, ou <PHONE>."  # type: ignore[attr-defined]
    only_cc = PIIConfig(default_phone_regions=[])
    assert _redact(text, None, only_cc).last_text == "Mon numéro : 06 12 34 56 78, ou <PHONE>."  # type: ignore[attr-defined]
    # without a language (langid off) the fallback regions (FR among them) are tried
    assert _redact(text, None).last_text == "Mon numéro : <PHONE>, ou <PHONE>."  # type: ignore[attr-defined]
    # a region list of one's own replaces the built-in one
    cfg = PIIConfig(phone_regions={"fr": ["CA"]})
    assert "06 12 34 56 78" in _redact(text, "fr", cfg).last_text  # type: ignore[attr-defined]
    cfg = PIIConfig(default_phone_regions=["FR"])
    assert _redact(text, "xx", cfg).last_text.count("<PHONE>") == 2  # type: ignore[attr-defined]


def test_region_table() -> None:
    assert regions_for("zh")[:4] == ["CN", "TW", "HK", "SG"]
    assert {"FR", "BE", "CH", "CA"} <= set(regions_for("fr"))
    assert regions_for(None) == [] and regions_for("xx") == []
    import phonenumbers

    unknown = {r for rs in LANGUAGE_REGIONS.values() for r in rs} - phonenumbers.SUPPORTED_REGIONS
    assert not unknown
    assert PhoneFinder(["CN", "nowhere"]).regions == ["CN"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("user@localhost is not an address, nor is @handle or a@b", "en"),
        ("Years 1990 1991 1992 and 2019-2020, date 2023-01-15, pop 1,234,567.", "en"),
        ("ISBN 978-3-16-148410-0 and version 1.2.3 and pi 3.14159", "en"),
        ("Not addresses: 999.1.1.1 and 1.2.3.4.5 and 256.300.1.1", "en"),
        ("Version 1.2.3.4 is out; upgrade from v2.0.0.1 or build 10.0.19041.1", "en"),
        ("版本 4.2.1.7 已发布，固件版本3.1.0.2", "zh"),
        ("Версия 2.4.1.3 вышла 15.03.2024", "ru"),
        ("Time 12:30:45, ratio 3:2, C++ std::vector and Foo::bar", "en"),
        ("Card-like but Luhn fails: 4111 1111 1111 1112", "en"),
        ("Order number 1234567890123 arrives; all same 0000 0000 0000 0000", "en"),
        ("Order 4155552671 shipped; invoice no. 2125550147", "en"),
        ("ISBN 9783161484100 (Luhn-valid as it happens? no matter: it starts with 9)", "de"),
        ("订单号 20230115123456，日期 2023年1月15日", "zh"),
        ("Price 12.50 EUR, 100.000 people, short number 555 1234", "en"),
        ("Le 12/05/2023 à 10:30, 1 234 567 habitants", "fr"),
    ],
)
def test_near_misses_stay(text: str, lang: str) -> None:
    step = _redact(text, lang)
    assert step.last_text == text  # type: ignore[attr-defined]
    assert not step.stats.counters


def test_switches_and_placeholders() -> None:
    text = "mail a@example.org, ip 10.0.0.1"
    step = _redact(text, "en", PIIConfig(email=False, ip_placeholder="[IP]"))
    assert step.last_text == "mail a@example.org, ip [IP]"  # type: ignore[attr-defined]
    off = PIIRedactor(PIIConfig(enabled=True, ip=False, email=False))
    assert off.redact(text)[0] == text
    nophone = PIIRedactor(PIIConfig(phone=False))
    assert nophone.redact("电话13611778776", "zh")[0] == "电话13611778776"


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")


def _score_module() -> object:
    """bench/pii/score.py, loaded from its file (bench/ is not a package)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "pii" / "score.py"
    spec = importlib.util.spec_from_file_location("pii_score", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["labelled", "heldout", "heldout2"])
def test_labelled_set_precision_and_recall(name: str) -> None:
    """Over the labelled sets (10-15 languages, hard negatives of every kind) each kind keeps
    precision and recall of at least 0.95; the held-out sets were written before the rules
    they score (BENCHMARKS.md gives their first scores)."""
    score = _score_module()
    rows = score.load(score.HERE / f"{name}.jsonl")  # type: ignore[attr-defined]
    assert len({r["lang"] for r in rows}) >= 6
    assert sum(1 for r in rows if not r["pii"]) >= 10  # hard negatives
    results = score.score(rows)  # type: ignore[attr-defined]
    for kind, s in results.items():
        if name == "heldout" and kind == "iban":
            continue  # written before IBANs were a kind
        assert s.tp + s.fn >= 3, kind
        assert s.precision >= 0.95, (kind, s.errors)
        assert s.recall >= 0.95, (kind, s.errors)
