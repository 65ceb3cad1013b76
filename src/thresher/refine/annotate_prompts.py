"""The prompts ``thresher annotate`` asks a model with: a built-in educational-value prompt (the
FineWeb-Edu recipe: 0–5 points, one added per criterion met), a built-in general-quality
prompt (0–5), or the user's own prompt file, which declares its score range.

A prompt file is text with a small YAML header between ``---`` lines::

    ---
    name: legal          # what metadata.annotation.prompt will say (default: the file's stem)
    min: 0
    max: 10
    ---
    Rate how useful the extract below is to a lawyer ...

thresher appends the answer rules (a JSON object with ``rationale`` and ``score``) itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thresher.errors import ConfigError

EDU = """\
Below is an extract from a web page. Judge its educational value: how useful it would be for \
teaching pupils from primary school up to the end of grade school. Score it with the additive \
5-point system below, adding one point for each step the extract reaches:

- Add 1 point if the extract gives some basic information on a topic taught at school, even \
when advertising, navigation or other unrelated text surrounds it.
- Add another point if it touches on things a school teaches but does not follow a curriculum \
closely: it mixes teaching material with other text, skims a topic, or is loosely organised.
- Add a third point if it suits teaching and introduces key ideas of a school subject \
coherently, even if it is incomplete, strays a little, or goes beyond what grade-school \
pupils can follow: like the opening of a textbook section or a basic tutorial.
- Add a fourth point if it is clearly useful for teaching at grade-school level or below, \
written clearly and consistently, with substantial content (explanations, worked examples, \
exercises) and little that is off topic: like a textbook chapter or a good tutorial.
- Add a fifth point if its educational value is outstanding: it reasons step by step, is easy \
to follow, treats its subject thoroughly and holds nothing unsuited to the pupils.

The score is the total of the points awarded, from 0 to 5. Examine the extract, justify your \
total score in up to 100 words, then give the score."""

QUALITY = """\
Below is an extract from a web page. Judge how useful it would be as training text for a \
language model, using the additive 5-point scoring system described below:

- Add 1 point if the extract is mostly natural language written for people (not menus, \
lists of links, code dumps, keyword lists or machine-generated filler).
- Add another point if it is coherent: sentences connect, and the text stays on a topic.
- Award a third point if it is well written: correct spelling and grammar, clear structure, \
little boilerplate, advertising or navigation text.
- Grant a fourth point if it is informative: it explains, argues, narrates or instructs with \
some substance, rather than only announcing, selling or linking.
- Bestow a fifth point if it is excellent: accurate, thorough and the kind of text an editor \
would publish, with nothing that would harm a model trained on it (spam, hate, explicit \
content, personal data).

The score is the total of the points awarded, from 0 to 5. Examine the extract, justify your \
total score in up to 100 words, then give the score."""

#: the header keys a prompt file may have
_HEADER_KEYS = {"name", "min", "max"}


@dataclass(frozen=True)
class Prompt:
    """What to ask and the range the score must fall in (inclusive)."""

    name: str
    text: str
    low: float
    high: float

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of one answer (sent as response_format while the server takes it)."""
        return {
            "type": "object",
            "properties": {
                "rationale": {"type": "string"},
                "score": {"type": "number", "minimum": self.low, "maximum": self.high},
            },
            "required": ["score"],
        }

    def describe(self) -> dict[str, Any]:
        """What the model file's JSON and the manifest record of the prompt."""
        return {"name": self.name, "min": self.low, "max": self.high}


BUILT_IN = {
    "edu": Prompt("edu", EDU, 0, 5),
    "quality": Prompt("quality", QUALITY, 0, 5),
}


def load_prompt(spec: str | Path) -> Prompt:
    """``edu``, ``quality`` or a prompt file (see the module docstring); a bad file is one
    ConfigError line naming it and what is wrong."""
    if str(spec) in BUILT_IN:
        return BUILT_IN[str(spec)]
    path = Path(spec)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"--prompt {spec}: neither a built-in prompt (edu, quality) nor an existing file"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the prompt: {e}") from None
    header, body = _split_header(raw, path)
    low, high = _number(header, "min", path), _number(header, "max", path)
    if low >= high:
        raise ConfigError(f"{path}: min ({low:g}) must be below max ({high:g})")
    if not body.strip():
        raise ConfigError(f"{path}: the prompt after the header is empty")
    name = str(header.get("name") or path.stem)
    return Prompt(name, body.strip(), low, high)


def _split_header(raw: str, path: Path) -> tuple[dict[str, Any], str]:
    import yaml

    lines = raw.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ConfigError(
            f"{path}: a prompt file starts with a header declaring its score range "
            "('---', 'min: 0', 'max: 5', '---')"
        )
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise ConfigError(f"{path}: the header has no closing '---' line")
    try:
        header = yaml.safe_load("".join(lines[1:end])) or {}
    except yaml.YAMLError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConfigError(f"{path}: the header is not YAML: {first}") from None
    if not isinstance(header, dict):
        raise ConfigError(f"{path}: the header must be 'key: value' lines")
    unknown = sorted(set(map(str, header)) - _HEADER_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown header key {unknown[0]!r} (name, min, max)")
    return header, "".join(lines[end + 1 :])


def _number(header: dict[str, Any], key: str, path: Path) -> float:
    value = header.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{path}: the header needs '{key}:' as a number (the score range)")
    return float(value)
