"""robots.txt per RFC 9309, matching the way Google's reference parser does.

Groups start at ``user-agent`` lines; consecutive ``user-agent`` lines share one group and
groups for the same agent are merged. A crawler obeys the groups naming its product token
(case-insensitive, the value's leading ``[A-Za-z_-]`` run), else the ``*`` groups. The longest
matching pattern wins and ``allow`` wins a tie; ``*`` matches any run of characters and a final
``$`` anchors the end. Patterns are percent-encoded (UTF-8) before matching, paths are
compared as sent. Common misspellings of the directives are accepted, as Google does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "MAX_ROBOTS_BYTES",
    "RobotsRules",
    "WildcardPattern",
    "checkable_url",
    "compile_pattern",
    "escape_pattern",
    "parse_robots",
    "product_token",
    "skip_bom",
    "url_path",
]

#: How much of a robots.txt is parsed (RFC 9309 asks for at least 500 KiB).
MAX_ROBOTS_BYTES = 512 * 1024
#: Longer lines are cut here (Google: 8 × the longest URL a browser takes).
MAX_LINE_BYTES = 2083 * 8

_USER_AGENT = {"user-agent", "useragent", "user agent"}
_ALLOW = {"allow"}
_DISALLOW = {"disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw"}
_SITEMAP = {"sitemap", "site-map"}
_CRAWL_DELAY = {"crawl-delay", "crawl_delay", "crawldelay"}
_TOKEN = re.compile(r"[A-Za-z_-]*")
_HEX = re.compile(rb"%([0-9A-Fa-f]{2})")
_BOM = b"\xef\xbb\xbf"


def product_token(user_agent: str) -> str:
    """The product token of a User-Agent string (``thresher/0.1 (+url)`` → ``thresher``)."""
    m = _TOKEN.match(user_agent.strip())
    return m.group(0) if m else ""


def escape_pattern(raw: bytes) -> str:
    """Percent-encode non-ASCII bytes and upper-case existing escapes, as Google does."""
    if all(b < 0x80 for b in raw) and b"%" not in raw:
        return raw.decode("ascii")
    raw = _HEX.sub(lambda m: b"%" + m.group(1).upper(), raw)
    return "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw)


class WildcardPattern:
    """A robots.txt path pattern (``*`` any run of characters, a final ``$`` the end), matched
    in linear passes: the literal pieces between stars are found left to right, each at its
    first place after the previous one. Greedy leftmost search is exact for such patterns and
    never backtracks, so ``/******x`` against a long path costs O(path × pattern) at worst,
    where a regex took minutes."""

    __slots__ = ("anchored", "first", "last", "middle", "stars")

    def __init__(self, pattern: str) -> None:
        self.anchored = pattern.endswith("$")
        body = pattern[:-1] if self.anchored else pattern
        pieces = body.split("*")
        self.stars = len(pieces) > 1
        self.first = pieces[0]
        self.last = pieces[-1] if self.stars else ""
        # Empty pieces (runs of stars) change nothing.
        self.middle = tuple(p for p in pieces[1:-1] if p)

    def match(self, path: str) -> bool:
        """True when the pattern matches ``path`` from its start."""
        if not self.stars:
            return path == self.first if self.anchored else path.startswith(self.first)
        if not path.startswith(self.first):
            return False
        pos = len(self.first)
        end = len(path)
        if self.anchored:
            end -= len(self.last)
            if end < pos or not path.endswith(self.last):
                return False
        for piece in self.middle:
            at = path.find(piece, pos, end)
            if at < 0:
                return False
            pos = at + len(piece)
        return self.anchored or path.find(self.last, pos) >= 0


@dataclass(slots=True)
class _Rule:
    allow: bool
    pattern: str
    matcher: WildcardPattern | None  # None: a plain prefix

    def match_len(self, path: str) -> int:
        """The pattern length when it matches ``path``, else -1."""
        if self.matcher is None:
            return len(self.pattern) if path.startswith(self.pattern) else -1
        return len(self.pattern) if self.matcher.match(path) else -1


def compile_pattern(pattern: str) -> WildcardPattern | None:
    """The matcher of a pattern with ``*`` or a final ``$``; None for a plain prefix."""
    if "*" not in pattern and not pattern.endswith("$"):
        return None
    return WildcardPattern(pattern)


@dataclass
class _Group:
    agents: list[str] = field(default_factory=list)
    rules: list[_Rule] = field(default_factory=list)
    crawl_delay: float | None = None


def _first_of(text: str, chars: str, start: int) -> int:
    hits = [i for i in (text.find(c, start) for c in chars) if i >= 0]
    return min(hits) if hits else -1


def url_path(url: str) -> str:
    """The path, parameters and query of a URL (``/`` when empty), as robots rules see it.

    Works on what the caller gives, scheme or not (``example.com/a?b`` → ``/a?b``), without
    decoding or re-encoding anything; the fragment is dropped.
    """
    start = 2 if url.startswith("//") else 0
    early = _first_of(url, "/?;", start)
    scheme_end = url.find("://", start)
    authority = start if scheme_end < 0 or 0 <= early < scheme_end else scheme_end + 3
    begin = _first_of(url, "/?;", authority)
    if begin < 0:
        return "/"
    hash_at = url.find("#", start)
    if 0 <= hash_at < begin:
        return "/"
    path = url[begin : hash_at if hash_at >= 0 else len(url)]
    return path if path.startswith("/") else "/" + path


@dataclass
class RobotsRules:
    """Parsed robots.txt: rule groups, sitemaps, and the verdict for an agent and URL."""

    groups: list[_Group] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    allow_all: bool = False
    disallow_all: bool = False

    @classmethod
    def allowing_all(cls) -> RobotsRules:
        """Rules for a site whose robots.txt is missing (4xx): everything may be fetched."""
        return cls(allow_all=True)

    @classmethod
    def disallowing_all(cls) -> RobotsRules:
        """Rules for a site whose robots.txt is unreachable (5xx, network): nothing may be."""
        return cls(disallow_all=True)

    def _groups_for(self, agent: str) -> tuple[list[_Group], bool]:
        token = agent.lower()
        specific = [g for g in self.groups if any(a.lower() == token for a in g.agents if a != "*")]
        if specific:
            return specific, True
        return [g for g in self.groups if "*" in g.agents], False

    def allowed(self, agent: str, url_or_path: str) -> bool:
        """May ``agent`` (a product token) fetch this URL (or ``/path?query``)?"""
        if self.allow_all:
            return True
        if self.disallow_all:
            return False
        path = url_path(url_or_path)
        groups, _ = self._groups_for(agent)
        best_allow = -1
        best_disallow = -1
        for g in groups:
            for rule in g.rules:
                n = rule.match_len(path)
                if n < 0:
                    continue
                if rule.allow:
                    best_allow = max(best_allow, n)
                else:
                    best_disallow = max(best_disallow, n)
        # An empty pattern matches with length 0 and decides nothing.
        if best_disallow <= 0:
            return True
        return best_allow >= best_disallow

    def crawl_delay(self, agent: str) -> float | None:
        """The ``crawl-delay`` of the group that applies to ``agent`` (seconds), if any."""
        groups, _ = self._groups_for(agent)
        delays = [g.crawl_delay for g in groups if g.crawl_delay is not None]
        return max(delays) if delays else None


def _split_line(line: bytes) -> tuple[str, bytes] | None:
    """Key and value of one line (comments and surrounding whitespace removed)."""
    hash_at = line.find(b"#")
    if hash_at >= 0:
        line = line[:hash_at]
    line = line.strip(b" \t\v\f")
    if not line:
        return None
    colon = line.find(b":")
    if colon >= 0:
        key, value = line[:colon], line[colon + 1 :]
    else:
        # Forgotten colon: accepted when the line is exactly two whitespace-separated words.
        fields_ = line.split()
        if len(fields_) != 2:
            return None
        key, value = fields_
    key_s = key.strip(b" \t").decode("latin-1").lower()
    return key_s, value.strip(b" \t")


def skip_bom(data: bytes) -> bytes:
    """``data`` without a leading UTF-8 byte-order mark, or a leading part of one (``EF``,
    ``EF BB``), as Google's parser skips it; a BOM anywhere else is left alone."""
    n = 0
    while n < len(_BOM) and data[n : n + 1] == _BOM[n : n + 1]:
        n += 1
    return data[n:]


def checkable_url(url: str) -> bool:
    """True for what a robots.txt verdict can be given on: an absolute URL with a host
    (``scheme://host[:port]/...``) or a path (``/...``), without spaces or control
    characters and with a numeric port."""
    if not url or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return False
    if url.startswith("/") and not url.startswith("//"):
        return True
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return bool(parts.scheme and parts.hostname)


def parse_robots(data: bytes | str) -> RobotsRules:
    """Parse a robots.txt body (bytes beyond :data:`MAX_ROBOTS_BYTES` are ignored)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = skip_bom(data[:MAX_ROBOTS_BYTES])
    rules = RobotsRules()
    current: _Group | None = None
    in_agents = False  # the previous meaningful line was a user-agent line
    for raw in re.split(rb"\r\n|\r|\n", data):
        kv = _split_line(raw[:MAX_LINE_BYTES])
        if kv is None:
            continue
        key, value = kv
        if key in _USER_AGENT:
            text = value.decode("utf-8", "replace")
            if text.startswith("*") and (len(text) == 1 or text[1] in " \t"):
                agent = "*"
            else:
                agent = product_token(text)
            if current is None or not in_agents:
                current = _Group()
                rules.groups.append(current)
            if agent:
                current.agents.append(agent)
            in_agents = True
        elif key in _SITEMAP:
            url = value.decode("utf-8", "replace").strip()
            if url:
                rules.sitemaps.append(url)
        elif key in _ALLOW or key in _DISALLOW:
            in_agents = False
            if current is None:
                continue  # rules before any user-agent line belong to nobody
            pattern = escape_pattern(value)
            allow = key in _ALLOW
            current.rules.append(_Rule(allow, pattern, compile_pattern(pattern)))
            if allow and (pattern.endswith("/index.html") or pattern.endswith("/index.htm")):
                # Google: allowing a directory's index page allows the directory itself.
                bare = pattern[: pattern.rfind("/") + 1] + "$"
                current.rules.append(_Rule(True, bare, compile_pattern(bare)))
        elif key in _CRAWL_DELAY:
            if current is None:
                continue
            try:
                delay = float(value.decode("ascii", "replace"))
            except ValueError:
                continue
            if delay >= 0 and delay == delay:  # not NaN
                current.crawl_delay = delay
        else:
            # Unknown directives neither end a user-agent run nor start a group.
            continue
    return rules
