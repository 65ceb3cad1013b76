"""The instruction template of ``thresher sft --template FILE``: Python ``str.format`` syntax
(``{title}``, ``{question}``; literal braces doubled), checked against the known fields before
anything is read or written: no attribute or index access, no replacement field inside a
format spec, widths and precisions bounded (``{text:>99999999999}`` would allocate gigabytes
for every example)."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

from thresher.errors import ConfigError

#: the fields a template may use, and what they hold
FIELDS: dict[str, str] = {
    "title": "the thread's title (empty when unknown)",
    "question": "the first post's text",
    "author": "the asker's name",
    "url": "the first page of the thread",
    "thread": "the thread's id",
    "date": "when the question was posted (ISO 8601, empty when unknown)",
    "language": "the language of the example (empty without --languages)",
    "source": "the recipe or source name",
}

#: the widest padding a format spec may ask for (characters)
MAX_WIDTH = 1000
#: the largest precision (for text: cut to this many characters)
MAX_PRECISION = 1_000_000
#: the largest template file read
MAX_TEMPLATE_BYTES = 1 << 20

#: ``[[fill]align]`` at the start of a format spec (the fill may be a digit)
_FILL_ALIGN = re.compile(r"^(?:.[<>=^]|[<>=^])", re.S)


class Template:
    """A checked template; :meth:`render` fills it from one thread's values."""

    def __init__(self, text: str, where: str = "template") -> None:
        if not text.strip():
            raise ConfigError(f"{where}: the template is empty")
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as e:
            raise ConfigError(f"{where}: not a str.format template: {e}") from None
        for _, name, spec, _ in parsed:
            if name is None:
                continue
            if name == "" or name.isdigit():
                raise ConfigError(f"{where}: use field names, not positional {{}} fields")
            root = name.split(".", 1)[0].split("[", 1)[0]
            if root not in FIELDS or root != name:
                raise ConfigError(
                    f"{where}: the template references {{{name}}}, which is not a field"
                    f" (fields: {', '.join(FIELDS)}; write {{{{ and }}}} for literal braces)"
                )
            _check_spec(name, spec or "", where)
        self.text = text
        self.render(dict.fromkeys(FIELDS, "x"))  # a format spec that cannot fit fails here

    @classmethod
    def from_file(cls, path: str | Path) -> Template:
        p = Path(path)
        try:
            if p.stat().st_size > MAX_TEMPLATE_BYTES:
                raise ConfigError(f"{p}: the template is larger than {MAX_TEMPLATE_BYTES} bytes")
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{p}: template file not found") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"{p}: cannot read the template: {e}") from None
        return cls(text, str(p))

    def render(self, values: dict[str, Any]) -> str:
        try:
            return self.text.format(**{k: ("" if v is None else v) for k, v in values.items()})
        except (ValueError, KeyError, IndexError) as e:  # a format spec that does not fit
            raise ConfigError(f"template: cannot be filled: {e}") from None


def _check_spec(name: str, spec: str, where: str) -> None:
    """Refuse a replacement field nested in the format spec of ``{name:spec}`` (its value
    would choose the width at render time) and widths or precisions past the limits."""
    if "{" in spec or "}" in spec:
        raise ConfigError(
            f"{where}: {{{name}:{spec}}}: a replacement field inside a format spec is not "
            "allowed (write {{ and }} for literal braces)"
        )
    rest = _FILL_ALIGN.sub("", spec, count=1)
    width, _, precision = rest.partition(".")
    for label, digits, limit in (
        ("width", re.sub(r"\D", "", width), MAX_WIDTH),
        ("precision", re.sub(r"\D", "", precision), MAX_PRECISION),
    ):
        if digits and (len(digits) > 12 or int(digits) > limit):
            raise ConfigError(f"{where}: {{{name}:{spec}}}: a {label} over {limit} is not allowed")
