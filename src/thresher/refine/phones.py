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
LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB", "IN", "CA", "AU", "NG", "PH", "IE", "NZ", "ZA", "SG"),
    "zh": ("CN", "TW", "HK", "SG", "MO"),
    "ja": ("JP",),
    "ko": ("KR",),
    "ru": ("RU", "BY", "KZ", "UA", "KG"),
    "uk": ("UA",),
    "be": ("BY",),
    "kk": ("KZ",),
    "ar": ("EG", "SA", "DZ", "IQ", "MA", "AE", "SY", "JO", "TN", "LB", "KW", "QA", "OM", "LY"),
    "fa": ("IR", "AF"),
    "he": ("IL",),
    "tr": ("TR", "CY"),
    "hi": ("IN",),
    "bn": ("BD", "IN"),
    "ur": ("PK", "IN"),
    "mr": ("IN",),
    "ta": ("IN", "LK", "SG"),
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
    "ms": ("MY", "BN", "SG"),
    "tl": ("PH",),
    "fr": ("FR", "BE", "CH", "CA", "LU", "MA", "SN", "CI", "TN", "DZ"),
    "de": ("DE", "AT", "CH", "LU", "LI", "BE"),
    "nl": ("NL", "BE", "SR"),
    "es": ("ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU", "BO", "DO", "US", "UY"),
    "pt": ("BR", "PT", "AO", "MZ"),
    "it": ("IT", "CH", "SM"),
    "ca": ("ES", "AD"),
    "eu": ("ES",),
    "gl": ("ES",),
    "pl": ("PL",),
    "cs": ("CZ",),
    "sk": ("SK",),
    "hu": ("HU",),
    "ro": ("RO", "MD"),
    "bg": ("BG",),
    "el": ("GR", "CY"),
    "sr": ("RS", "BA", "ME"),
    "hr": ("HR", "BA"),
    "bs": ("BA",),
    "sl": ("SI",),
    "mk": ("MK",),
    "sq": ("AL", "XK"),
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
    "rechnung",
    "pedido",
    "factura",
    "заказ",
    "订单",
    "单号",
    "注文",
    "番号",
    "طلب",
)
#: shortest run of digits a phone number (with its area code) has
MIN_PHONE_DIGITS = 7
_DIGIT = re.compile(r"\d")
#: "no.", "number", "#" ... between a cue and its number ("invoice no. 123")
_NUMBER_WORD = re.compile(r"(?:(?<![a-z])(?:no|nr|number|num|nummer|numéro|número)|n°|№|#|号)$")


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


class PhoneFinder:
    """Finds valid phone numbers in short windows of a text for a list of regions."""

    def __init__(self, regions: Iterable[str]) -> None:
        known = phonenumbers.SUPPORTED_REGIONS
        #: "ZZ" (unknown region) finds numbers written with their +CC only
        self.regions = [r for r in dict.fromkeys(regions) if r in known] + ["ZZ"]

    def find(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Spans (in ``text``) of the phone numbers inside ``text[start:end]``."""
        window = text[start:end]
        if len(_DIGIT.findall(window)) < MIN_PHONE_DIGITS:
            return []
        spans: list[tuple[int, int]] = []
        for region in self.regions:
            for m in PhoneNumberMatcher(window, region, leniency=Leniency.VALID):
                s, e = m.start + start, m.end + start
                if any(s < fe and fs < e for fs, fe in spans) or follows_cue(text, s, ID_CUES):
                    continue
                spans.append((s, e))
        return spans


__all__ = [
    "ID_CUES",
    "LANGUAGE_REGIONS",
    "MIN_PHONE_DIGITS",
    "PhoneFinder",
    "follows_cue",
    "regions_for",
]
