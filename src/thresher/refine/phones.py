"""Phone numbers in the national formats of the countries where a document's language is
spoken, found with ``phonenumbers`` (Google's libphonenumber data), plus international ``+CC``
numbers in every document.

The language id (refine's ``langid`` step runs before PII) picks the regions; a number must be
*valid* for one of them (right length and number range), which keeps order numbers, dates
and ISBNs out. Only short windows around runs of digits reach the matcher. Three additions:
a number right after a phone word (``Tel.``, ``Fax``, ``Handy``, ``电话`` ...: :data:`PHONE_CUES`)
is a phone when it is shaped like one, valid or not; an extension (``x4587``, ``ext. 12``,
``poste 215``) belongs to its number; a ``+CC`` number needs only a possible length.
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

#: regions tried for a document without a language (langid off) or of a language without
#: regions of its own, unless ``pii.default_phone_regions`` says otherwise: the most populous
#: countries with many web pages, whose national formats rarely take years or counts
FALLBACK_REGIONS: tuple[str, ...] = ("US", "GB", "IN", "DE", "FR", "ES", "BR", "CN", "RU")

#: words just before a number that make it a phone number (lowercase): valid or not for the
#: regions tried, a phone-shaped number after one of them is redacted
PHONE_CUES = (
    "phone",
    "telephone",
    "tel",
    "call",
    "dial",
    "fax",
    "mobile",
    "mob",
    "cell",
    "cellphone",
    "hotline",
    "helpline",
    "landline",
    "whatsapp",
    "sms",
    "telefon",
    "telefax",
    "handy",
    "mobil",
    "mobilnummer",
    "rufnummer",
    "téléphone",
    "tél",
    "portable",
    "teléfono",
    "telefono",
    "tfno",
    "tlf",
    "móvil",
    "movil",
    "celular",
    "cellulare",
    "cel",
    "cell",
    "telefone",
    "telemóvel",
    "telefoon",
    "mobiel",
    "kom",
    "komórka",
    "telefonu",
    "телефон",
    "тел",
    "моб",
    "факс",
    "電話",
    "电话",
    "手机",
    "手機",
    "传真",
    "傳真",
    "携帯",
    "전화",
    "전화번호",
    "휴대폰",
    "팩스",
    "هاتف",
    "الهاتف",
    "جوال",
    "फ़ोन",
    "फोन",
    "मोबाइल",
)
#: words between a cue and its number ("call us at ...", "the build is ...")
_CONNECTOR = re.compile(
    r"(?:(?<![a-z])(?:us|me)\s+)?(?<![a-z])(?:at|on|au|al|unter|is|was|ist|est)$"
)
#: a number's extension (``x4587``, ``ext. 12``, ``poste 215``), right after it
EXTENSION = re.compile(
    r"[ \u00a0]?,?[ \u00a0]?(?:ext(?:ension|n)?\.?|x|poste|durchwahl|anexo|ramal|interno|доб\.?"
    r"|内線|分机|转)[ \u00a0]?:?[ \u00a0]?\d{1,6}(?!\d|[ \u00a0./-]\d)",
    re.IGNORECASE,
)
#: a phone-shaped run: digits with at most one separator (and spaces) between two of them,
#: an optional + or ( first
_PHONE_SHAPE = re.compile(r"[+(（]?\d(?:[ \u00a0]?[.()（）/\-–]?[ \u00a0]?\d)*")
#: most digits of a phone number (E.164 allows 15)
MAX_PHONE_DIGITS = 15

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
    "sn",
    "s/n",
    "imei",
    "meid",
    "ean",
    "ean-13",
    "ean-8",
    "upc",
    "upc-a",
    "gtin",
    "isbn-10",
    "isbn-13",
    "dhl",
    "ups",
    "fedex",
    "usps",
    "colis",
    "sendung",
    "sendungsnummer",
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
#: an extension libphonenumber included in a match: from its first letter or # on
_LETTER_TAIL = re.compile(r"[^0-9)）]*[A-Za-z#].*$", re.DOTALL)
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


def follows_cue(text: str, start: int, cues: tuple[str, ...], connectors: bool = False) -> bool:
    """True when one of ``cues`` is the last word before ``start`` (within a few characters;
    with ``connectors``, "at", "on", "us at" ... may come between).

    A Latin cue must be a whole word ("v" at the end of "rev" is no cue); a cue in another
    script may be glued to the text before it, as Chinese and Japanese write.
    """
    before = text[max(0, start - 32) : start].lower().rstrip(" \u00a0:.：-(（")
    before = _NUMBER_WORD.sub("", before).rstrip(" \u00a0:.：-")
    if connectors:
        before = _CONNECTOR.sub("", before).rstrip(" \u00a0:.：-")
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


def cued_plausible(raw: str) -> bool:
    """A phone-shaped run after a phone word: 7-15 digits, no grouped figure, no date."""
    digits = len(_DIGIT.findall(raw))
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        return False
    core = raw.lstrip("+(（")
    return not (_NOT_PHONE.fullmatch(core) or _DATE.search(core))


class PhoneFinder:
    """Finds valid phone numbers in short windows of a text for a list of regions."""

    def __init__(self, regions: Iterable[str]) -> None:
        known = phonenumbers.SUPPORTED_REGIONS
        self.regions = [r for r in dict.fromkeys(regions) if r in known]
        self._cache: dict[str, list[tuple[int, int]]] = {}

    def find(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Spans (in ``text``) of the phone numbers inside ``text[start:end]``, each with its
        extension when one follows."""
        window = text[start:end]
        spans = self._cache.get(window)
        if spans is None:
            spans = self._match(window)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[window] = spans
        found = [(s + start, e + start) for s, e in spans]
        for m in _PHONE_SHAPE.finditer(text, start, end):
            s, e = m.span()
            if cued_plausible(m.group(0)) and follows_cue(text, s, PHONE_CUES, connectors=True):
                inside = [(fs, fe) for fs, fe in found if fs < e and s < fe]
                found = [span for span in found if span not in inside]
                found.append((min([s, *(f[0] for f in inside)]), max([e, *(f[1] for f in inside)])))
        out = []
        for s, e in sorted(found):
            if follows_cue(text, s, ID_CUES):
                continue
            ext = EXTENSION.match(text, e)
            out.append((s, ext.end() if ext else e))
        return out

    def _match(self, window: str) -> list[tuple[int, int]]:
        """Spans of valid, plausible numbers in ``window`` for any region; "ZZ" (no region)
        finds the numbers written with their +CC (a possible length is enough for those), and
        runs only when a + is there. An extension the matcher took is cut off (:meth:`find`
        adds extensions back, in more languages)."""
        if len(_DIGIT.findall(window)) < MIN_PHONE_DIGITS:
            return []
        spans: list[tuple[int, int]] = []
        passes = [(r, Leniency.VALID) for r in self.regions]
        if "+" in window:
            passes.append(("ZZ", Leniency.POSSIBLE))
        for region, leniency in passes:
            for m in PhoneNumberMatcher(window, region, leniency=leniency):
                raw = _LETTER_TAIL.sub("", m.raw_string)
                s, e = m.start, m.start + len(raw)
                if plausible(raw) and not any(s < fe and fs < e for fs, fe in spans):
                    spans.append((s, e))
        return spans


__all__ = [
    "EXTENSION",
    "FALLBACK_REGIONS",
    "IBAN",
    "ID_CUES",
    "LANGUAGE_REGIONS",
    "MIN_PHONE_DIGITS",
    "PHONE_CUES",
    "PhoneFinder",
    "cued_plausible",
    "follows_cue",
    "glued",
    "plausible",
    "regions_for",
]
