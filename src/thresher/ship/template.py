"""The instruction template of ``thresher sft --template FILE``: Python ``str.format`` syntax
(``{title}``, ``{question}``; literal braces doubled), checked against the known fields before
anything is read or written."""

from __future__ import annotations

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


class Template:
    """A checked template; :meth:`render` fills it from one thread's values."""

    def __init__(self, text: str, where: str = "template") -> None:
        if not text.strip():
            raise ConfigError(f"{where}: the template is empty")
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as e:
            raise ConfigError(f"{where}: not a str.format template: {e}") from None
        for _, name, _, _ in parsed:
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
        self.text = text
        self.render(dict.fromkeys(FIELDS, "x"))  # a format spec that cannot fit fails here

    @classmethod
    def from_file(cls, path: str | Path) -> Template:
        p = Path(path)
        try:
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
