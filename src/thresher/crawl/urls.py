"""URL canonicalisation, fingerprints and trap heuristics: one URL, one spelling, one row."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

__all__ = [
    "TRACKING_PARAMS",
    "canonicalize",
    "fingerprint",
    "host_of",
    "join",
    "looks_like_trap",
    "robots_url",
    "same_site",
]

#: Query parameters that only track the visitor; dropped when ``strip_tracking`` is on.
TRACKING_PARAMS = frozenset(
    {
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "utm_id",
        "utm_name",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
        "ref_src",
        "spm",
    }
)
#: Session identifiers make endless copies of one site; always dropped.
SESSION_PARAMS = frozenset(
    {"jsessionid", "phpsessid", "sessionid", "session_id", "sid", "aspsessionid"}
)

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters allowed to stay literal in a path / query (RFC 3986 pchar + "/" + "?" for query).
_SAFE_PATH = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/%"
)
_SAFE_QUERY = _SAFE_PATH | frozenset(b"?")
_NEEDS_WORK = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")
_SESSION_PATH = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)


def _pct_fix(m: re.Match[str]) -> str:
    byte = int(m.group(1), 16)
    if byte in _UNRESERVED:
        return chr(byte)
    return "%" + m.group(1).upper()


def _encode(part: str, safe: frozenset[int]) -> str:
    """Percent-encode what must be encoded, keep existing escapes (normalised)."""
    if _NEEDS_WORK.search(part) is None:
        return part
    if "%" in part:
        # A '%' not followed by two hex digits is a literal percent sign.
        part = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", part)
        part = _PCT.sub(_pct_fix, part)
    out = []
    for b in part.encode("utf-8", "surrogatepass"):
        if b in safe:
            out.append(chr(b))
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    if "/." not in path and not path.startswith("."):
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if seg == ".":
            if i == len(segments) - 1:
                out.append("")
            continue
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
            continue
        out.append(seg)
    result = "/".join(out)
    if not result.startswith("/"):
        result = "/" + result
    return result


def _host(netloc_host: str) -> str:
    host = netloc_host.lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"invalid host name: {netloc_host!r}") from None
    return host


@lru_cache(maxsize=262144)
def canonicalize(url: str, strip_tracking: bool = True) -> str | None:
    """The canonical spelling of an http(s) URL, or None when it is not a crawlable URL.

    Lower-cases scheme and host (IDNA for non-ASCII hosts), drops default ports, fragments,
    dot segments, empty queries and session ids, normalises percent-encoding (decodes
    unreserved characters, upper-cases escapes, encodes what must be encoded) and, optionally,
    removes tracking parameters.
    """
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        hostname = parts.hostname
        if not hostname:
            return None
        host = _host(hostname)
        port = parts.port
    except ValueError:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if port is not None and str(port) != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    path = parts.path or "/"
    if ";" in path:
        path = _SESSION_PATH.sub("", path)
    path = _remove_dot_segments(_encode(path, _SAFE_PATH))
    query = parts.query
    if query:
        query = _encode(query, _SAFE_QUERY)
        if "=" in query:
            kept = []
            for pair in query.split("&"):
                if not pair:
                    continue
                name = pair.split("=", 1)[0].lower()
                if name in SESSION_PARAMS or (strip_tracking and name in TRACKING_PARAMS):
                    continue
                kept.append(pair)
            query = "&".join(kept)
    return f"{scheme}://{netloc}{path}?{query}" if query else f"{scheme}://{netloc}{path}"


def join(base: str, href: str, strip_tracking: bool = True) -> str | None:
    """Resolve ``href`` against ``base`` and canonicalise; None for non-http(s) targets."""
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        return canonicalize(urljoin(base, href), strip_tracking)
    except ValueError:
        return None


def fingerprint(canonical_url: str) -> int:
    """A signed 64-bit fingerprint of a canonical URL (the seen-set key in SQLite)."""
    digest = hashlib.blake2b(canonical_url.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def host_of(canonical_url: str) -> str:
    """``scheme://host[:port]`` of a canonical URL: the unit of politeness and robots.txt."""
    i = canonical_url.find("/", canonical_url.find("//") + 2)
    return canonical_url if i < 0 else canonical_url[:i]


def robots_url(host: str) -> str:
    """The robots.txt URL of a ``scheme://host[:port]`` origin."""
    return host + "/robots.txt"


def _bare(hostname: str) -> str:
    return hostname[4:] if hostname.startswith("www.") else hostname


def same_site(url: str, site_hosts: frozenset[str]) -> bool:
    """True when the URL's host is one of ``site_hosts`` or a subdomain (``www.`` ignored)."""
    hostname = urlsplit(url).hostname or ""
    hostname = _bare(hostname)
    if hostname in site_hosts:
        return True
    return any(hostname.endswith("." + h) for h in site_hosts)


def site_key(url: str) -> str:
    """The bare host name used by :func:`same_site` (``www.`` removed)."""
    return _bare(urlsplit(url).hostname or "")


_DIGITS = re.compile(r"\d+")
#: a whole segment or query value naming a month: ``2031-01``, ``2031-01-15``, ``2031-01.html``
_YEAR_MONTH = re.compile(
    r"(1[0-9]{3}|2[0-9]{3})-(0[1-9]|1[0-2])(?:-[0-3][0-9])?(?:\.[A-Za-z]{1,5})?"
)
_YEAR_ALONE = re.compile(r"1[0-9]{3}|2[0-9]{3}")
_MONTH_ALONE = re.compile(r"(0?[1-9]|1[0-2])(?:\.[A-Za-z]{1,5})?")


def _calendar_years(segments: list[str], query: str) -> list[int]:
    """Years of the date-like parts of a URL: a ``YYYY-MM`` segment or query value, or a
    ``YYYY`` segment followed by a month segment (``/2031/01``). Digits inside other text
    (a hash such as ``0c2147-10``) are not dates."""
    years = []
    for i, seg in enumerate(segments):
        m = _YEAR_MONTH.fullmatch(seg)
        if m:
            years.append(int(m.group(1)))
        elif (
            _YEAR_ALONE.fullmatch(seg)
            and i + 1 < len(segments)
            and _MONTH_ALONE.fullmatch(segments[i + 1])
        ):
            years.append(int(seg))
    for pair in query.split("&"):
        value = pair.split("=", 1)[-1].replace("%2F", "/").replace("%2f", "/")
        m = _YEAR_MONTH.fullmatch(value.replace("/", "-", 1))
        if m:
            years.append(int(m.group(1)))
    return years


def looks_like_trap(url: str, *, max_length: int, max_segments: int, now_year: int) -> str | None:
    """The reason a URL looks like an endless URL space, or None.

    Catches over-long URLs, deep paths, a path segment repeated three times or more
    (``/a/b/a/b/a/b``), and calendars wandering far into the past or future.
    """
    if len(url) > max_length:
        return "url-too-long"
    start = url.find("/", url.find("//") + 2)
    path_and_query = url[start:] if start >= 0 else "/"
    path = path_and_query.split("?", 1)[0]
    segments = [s for s in path.split("/") if s]
    if len(segments) > max_segments:
        return "path-too-deep"
    if len(segments) >= 3:
        counts: dict[str, int] = {}
        for s in segments:
            c = counts.get(s, 0) + 1
            if c >= 3:
                return "repeating-path-segment"
            counts[s] = c
    query = path_and_query.split("?", 1)[1] if "?" in path_and_query else ""
    for year in _calendar_years(segments, query):
        if year > now_year + 2 or year < now_year - 30:
            return "calendar-trap"
    return None
