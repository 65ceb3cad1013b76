"""TDMRep site-wide rules: ``/.well-known/tdmrep.json`` of the W3C TDM Reservation Protocol.

The file is a JSON array of rules ``{"location": PATTERN, "tdm-reservation": 0|1,
"tdm-policy": URL}``. Locations are path patterns with robots.txt syntax (``*`` for any run of
characters, a final ``$`` to anchor the end), matched case-sensitively against the URL's path
and query. The most specific matching location (the longest pattern; the earlier rule on a
tie) decides; a URL no rule matches has no reservation. A ``tdm-reservation`` other than 0 or 1
is a protocol error and leaves the reservation unset for the URLs that rule matches.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from thresher.crawl.robots import WildcardPattern, compile_pattern, escape_pattern, url_path

__all__ = ["MAX_TDMREP_BYTES", "TDMREP_PATH", "TdmRep", "TdmRule", "parse_tdmrep"]

#: Where the file lives on every origin.
TDMREP_PATH = "/.well-known/tdmrep.json"
#: Larger files are not read (the host is treated as having no file-level reservation).
MAX_TDMREP_BYTES = 256 * 1024
#: Rules beyond this many are ignored (each URL is matched against them all at worst).
MAX_TDMREP_RULES = 10_000

_UNRESERVED_ESCAPE = re.compile(r"%(2[DdEe]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])")


def _normalise(pattern: str) -> str:
    """Percent-encode like the crawler's canonical URLs: unreserved characters decoded,
    other escapes upper-case, non-ASCII as UTF-8 escapes."""
    escaped = escape_pattern(pattern.encode("utf-8"))
    return _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), escaped)


@dataclass(slots=True)
class TdmRule:
    """One rule of a tdmrep.json: a location pattern and its declaration."""

    location: str
    reservation: int | None  # 1 reserved, 0 not reserved, None unset (protocol error)
    policy: str | None
    matcher: WildcardPattern | None  # None: a plain prefix

    def matches(self, path: str) -> bool:
        if self.matcher is None:
            return path.startswith(self.location)
        return self.matcher.match(path)


@dataclass
class TdmRep:
    """The parsed rules of one origin, most specific first; ``ignored`` counts unusable rules."""

    rules: list[TdmRule] = field(default_factory=list)
    ignored: int = 0

    def match(self, url_or_path: str) -> TdmRule | None:
        """The rule that decides this URL (or ``/path?query``), or None."""
        if not self.rules:
            return None
        path = url_path(url_or_path)
        for rule in self.rules:
            if rule.matches(path):
                return rule
        return None

    def reserved(self, url_or_path: str) -> TdmRule | None:
        """The deciding rule when it reserves TDM rights for this URL, else None."""
        rule = self.match(url_or_path)
        return rule if rule is not None and rule.reservation == 1 else None


def _reservation(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value.strip())
    return None


def _location(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    loc = value.strip()
    if loc.lower().startswith(("http://", "https://")):
        loc = url_path(loc)  # a full URL: its path is what can match
    elif not loc.startswith(("/", "*")):
        loc = "/" + loc
    return _normalise(loc)


def parse_tdmrep(data: bytes) -> TdmRep:
    """Parse a tdmrep.json body; raises ``ValueError`` naming the problem when it is unusable."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e.msg} at line {e.lineno}") from None
    if not isinstance(doc, list):
        raise ValueError(f"not a JSON array of rules but {type(doc).__name__}")
    out = TdmRep()
    ranked: list[tuple[int, int, TdmRule]] = []
    for index, item in enumerate(doc[:MAX_TDMREP_RULES]):
        if not isinstance(item, dict):
            out.ignored += 1
            continue
        fields = {str(k).strip().lower(): v for k, v in item.items()}
        location = _location(fields.get("location"))
        if location is None:
            out.ignored += 1
            continue
        reservation = _reservation(fields.get("tdm-reservation"))
        if reservation is None:
            out.ignored += 1  # counted, yet it still decides its URLs (as "unset")
        policy = fields.get("tdm-policy")
        rule = TdmRule(
            location,
            reservation,
            policy.strip() if isinstance(policy, str) and policy.strip() else None,
            compile_pattern(location),
        )
        ranked.append((-len(location), index, rule))
    out.ignored += max(0, len(doc) - MAX_TDMREP_RULES)
    out.rules = [rule for _, _, rule in sorted(ranked, key=lambda t: (t[0], t[1]))]
    return out
