"""The schema and the model's answers: load and check a JSON Schema, pull the JSON out of an
answer (code fences, prose around it), validate it with ``jsonschema``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from thresher.errors import ConfigError

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.S)


class BadAnswer(ValueError):
    """An answer that holds no JSON or JSON the schema refuses; the message says which."""


def load_schema(source: str | Path | dict[str, Any]) -> dict[str, Any]:
    """A checked JSON Schema from a file path (JSON, or YAML by extension) or an inline object;
    ConfigError in one line when it is missing, not JSON or not a valid schema."""
    if isinstance(source, dict):
        schema: Any = source
        name = "llm.schema"
    else:
        path = Path(source)
        name = str(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{name}: schema file does not exist") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"{name}: cannot read the schema: {e}") from None
        try:
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                schema = yaml.safe_load(raw)
            else:
                schema = json.loads(raw)
        except Exception as e:  # json.JSONDecodeError, yaml.YAMLError
            line = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ConfigError(f"{name}: not valid JSON: {line}") from None
    if not isinstance(schema, dict):
        raise ConfigError(f"{name}: a JSON Schema must be an object, not {type(schema).__name__}")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "<root>"
        raise ConfigError(f"{name}: not a valid JSON Schema at {where}: {e.message}") from None
    return schema


def relaxed(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema one chunk of a long page is held to: the top level's ``required`` dropped
    (a part of a page may lack the title); the merged record is held to the full schema."""
    if "required" not in schema:
        return schema
    return {k: v for k, v in schema.items() if k != "required"}


def find_json(text: str) -> Any:
    """The JSON value of an answer: the whole answer, else a fenced block, else the first
    object or array in the prose. BadAnswer when there is none."""
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    for block in _FENCE.findall(text):
        try:
            return json.loads(block.strip())
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for m in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        return value
    raise BadAnswer("the answer holds no JSON value")


def check_record(value: Any, schema: dict[str, Any]) -> None:
    """Raise BadAnswer with the most relevant validation error when ``value`` breaks ``schema``."""
    cls = jsonschema.validators.validator_for(schema)
    error = best_match(cls(schema).iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
        raise BadAnswer(f"{'at ' + where + ': ' if where else ''}{message}")


def parse_answer(text: str, schema: dict[str, Any]) -> Any:
    """The validated JSON value of an answer; BadAnswer says what is wrong."""
    value = find_json(text)
    check_record(value, schema)
    return value
