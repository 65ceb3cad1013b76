"""Phone numbers in the national formats of the countries where a document's language is
spoken, found with ``phonenumbers`` (Google's libphonenumber data), plus international ``+CC``
numbers in every document.

The language id (refine's ``langid`` step runs before PII) picks the regions; a number must be
*valid* for one of them (right length and number range), which keeps order numbers, dates
and ISBNs out. Only short windows around runs of digits reach the matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

#: language (lid.176 label) -> regions where it is an everyday language, most people first.
#: Kept short on purpose: every region is one more matcher pass over each candidate, and small
#: regions whose numbers have no trunk prefix (Luxembourg, Liechtenstein, Macau) turn year pairs
#: such as "2022 2022" into valid numbers. ``pii.phone_regions`` changes a language's list.
LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB", "IN", "CA", "AU"),
    "zh": ("CN", "TW", "HK", "SG"),
    "ja": ("JP",),
    "ko": ("KR",),
    "ru": ("RU", "BY", "KZ", "UA"),
    "uk": ("UA",),
    "be": ("BY",),
    "kk": ("KZ",),
    "ar": ("EG", "SA", "DZ", "IQ", "MA", "AE"),
    "fa": ("IR", "AF"),
    "he": ("IL",),
    "tr": ("TR",),
    "hi": ("IN",),
    "bn": ("BD", "IN"),
    "ur": ("PK", "IN"),
    "mr": ("IN",),
    "ta": ("IN", "LK"),
    "te": ("IN",),
    "gu": ("IN",),
    "kn": ("IN",),
    "ml": ("IN",),
    "pa": ("IN", "PK"),
    "ne": ("NP",),
    "si": ("LK",),
    "th": ("TH",),
    "vi": ("VN",),
    "id": ("ID",),
    "ms": ("MY",),
    "tl": ("PH",),
    "fr": ("FR", "BE", "CH", "CA"),
    "de": ("DE", "AT", "CH"),
    "nl": ("NL", "BE"),
    "es": ("ES", "MX", "AR", "CO", "CL", "PE"),
    "pt": ("BR", "PT"),
    "it": ("IT", "CH"),
    "ca": ("ES",),
    "eu": ("ES",),
    "gl": ("ES",),
    "pl": ("PL",),
    "cs": ("CZ",),
    "sk": ("SK",),
    "hu": ("HU",),
    "ro": ("RO", "MD"),
    "bg": ("BG",),
    "el": ("GR", "CY"),
    "sr": ("RS", "BA"),
    "hr": ("HR", "BA"),
    "bs": ("BA",),
    "sl": ("SI",),
    "mk": ("MK",),
    "sq": ("AL",),
    "lt": ("LT",),
    "lv": ("LV",),
    "et": ("EE",),
    "fi": ("FI",),
    "sv": ("SE", "FI"),
    "no": ("NO",),
    "nb": ("NO",),
    "nn": ("NO",),
    "da": ("DK",),
    "is": ("IS",),
    "ga": ("IE",),
    "cy": ("GB",),
    "ka": ("GE",),
    "hy": ("AM",),
    "az": ("AZ",),
    "uz": ("UZ",),
    "mn": ("MN",),
    "sw": ("TZ", "KE"),
    "am": ("ET",),
    "af": ("ZA",),
}

#: words just before a number that make it an identifier (order, invoice, ISBN ...), not a
#: phone or card number; lowercase
ID_CUES = (
    "isbn",
    "issn",
    "order",
    "invoice",
    "tracking",
    "ref",
    "reference",
    "sku",
    "serial",
    "commande",
    "bestell",
    "bestellnummer",
    "rechnung",
    "rechnungsnummer",
    "auftragsnummer",
    "kundennummer",
    "artikelnummer",
    "pedido",
    "factura",
    "facture",
    "fattura",
    "fatura",
    "заказ",
    "订单",
    "单号",
    "注文",
    "番号",
    "طلب",
    "الطلب",
    "ऑर्डर",
    "주문번호",
)
#: fewest digits of a phone number (with its area code)
MIN_PHONE_DIGITS = 7
#: fewest digits of a number written without any separator or +CC ("13611778776"): shorter
#: bare runs are more often counts and amounts than phones
MIN_BARE_DIGITS = 9
#: what libphonenumber may accept but text means otherwise: a figure with thousands separators
#: (3.677.472), a decimal (53.365833), two years (2013/2014, 2022 2022)
_NOT_PHONE = re.compile(
    r"[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})+"
    r"|[1-9]\d*[.,]\d+"
    r"|(?:19|20)\d\d\W{0,3}(?:19|20)\d\d"
)
#: a date anywhere in the candidate (2023-11-15, 15.03.2024, 12/05/2023, 14. 01. 2020)
_DATE = re.compile(
    r"(?:19|20)\d\d[-./](?:0?[1-9]|1[0-2])[-./](?:[0-2]?\d|3[01])(?!\d)"
    r"|(?<!\d)(?:[0-2]?\d|3[01])[-./] ?(?:0?[1-9]|1[0-2])[-./] ?(?:19|20)\d\d(?!\d)"
    r"|(?<!\d)(?:[0-2]?\d|3[01])\.(?:0?[1-9]|1[0-2])\.\d\d(?!\d)"
)
_DIGIT = re.compile(r"\d")
#: "no.", "number", "#" ... between a cue and its number ("invoice no. 123")
_NUMBER_WORD = re.compile(r"(?:(?<![a-z])(?:no|nr|number|num|nummer|numéro|número)|n°|№|#|号)$")
#: an IBAN (DE22 1005 0000 0190 0947 29): its groups are no phone number
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[0-9A-Z]{4}){2,7}(?: ?[0-9A-Z]{1,3})?")
#: windows kept per finder with the spans found in them (footers and contact lines repeat)
_CACHE_SIZE = 4096


def regions_for(language: str | None, extra: dict[str, list[str]] | None = None) -> list[str]:
    """The regions whose national formats are tried for a document in ``language``.

    ``extra`` (from the configuration) replaces the built-in list of a language. An unknown
    language or none gets no national format: only ``+CC`` numbers are found then.
    """
    if language is None:
        return []
    if extra and language in extra:
        return list(extra[language])
    return list(LANGUAGE_REGIONS.get(language, ()))


def follows_cue(text: str, start: int, cues: tuple[str, ...]) -> bool:
    """True when one of ``cues`` is the last word before ``start`` (within a few characters).

    A Latin cue must be a whole word ("v" at the end of "rev" is no cue); a cue in another
    script may be glued to the text before it, as Chinese and Japanese write.
    """
    before = text[max(0, start - 24) : start].lower().rstrip(" \u00a0:.：-")
    before = _NUMBER_WORD.sub("", before).rstrip(" \u00a0:.：-")
    for cue in cues:
        if before.endswith(cue):
            head = before[: -len(cue)]
            if not (cue[-1].isascii() and cue[-1].isalpha()) or not head:
                return True
            if not (head[-1].isascii() and head[-1].isalpha()):
                return True
    return False


def glued(text: str, start: int) -> bool:
    """True when the number continues a token: ``bmjopen-2016-011092``, ``10.1136/...``."""
    return start >= 2 and text[start - 1] in "-/._" and text[start - 2].isalnum()


def plausible(raw: str) -> bool:
    """False for what libphonenumber accepts but text rarely means as a phone: too few
    digits, a bare run of digits shorter than :data:`MIN_BARE_DIGITS`, a grouped figure or a
    date."""
    raw = raw.strip()
    digits = len(_DIGIT.findall(raw))
    if digits < MIN_PHONE_DIGITS or _NOT_PHONE.fullmatch(raw) or _DATE.search(raw):
        return False
    return digits >= MIN_BARE_DIGITS or not raw.isdigit()


class PhoneFinder:
    """Finds valid phone numbers in short windows of a text for a list of regions."""

    def __init__(self, regions: Iterable[str]) -> None:
        known = phonenumbers.SUPPORTED_REGIONS
        self.regions = [r for r in dict.fromkeys(regions) if r in known]
        self._cache: dict[str, list[tuple[int, int]]] = {}

    def find(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Spans (in ``text``) of the phone numbers inside ``text[start:end]``."""
        window = text[start:end]
        spans = self._cache.get(window)
        if spans is None:
            spans = self._match(window)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[window] = spans
        return [
            (s + start, e + start) for s, e in spans if not follows_cue(text, s + start, ID_CUES)
        ]

    def _match(self, window: str) -> list[tuple[int, int]]:
        """Spans of valid, plausible numbers in ``window`` for any region; "ZZ" (no region)
        finds the numbers written with their +CC, and runs only when a + is there."""
        if len(_DIGIT.findall(window)) < MIN_PHONE_DIGITS:
            return []
        regions = [*self.regions, "ZZ"] if "+" in window else self.regions
        spans: list[tuple[int, int]] = []
        for region in regions:
            for m in PhoneNumberMatcher(window, region, leniency=Leniency.VALID):
                s, e = m.start, m.end
                if plausible(m.raw_string) and not any(s < fe and fs < e for fs, fe in spans):
                    spans.append((s, e))
        return spans


__all__ = [
    "IBAN",
    "ID_CUES",
    "LANGUAGE_REGIONS",
    "MIN_PHONE_DIGITS",
    "PhoneFinder",
    "follows_cue",
    "glued",
    "plausible",
    "regions_for",
]
