"""Reading a configuration YAML file, and one-line validation errors naming the file and key.

Below every stage's section model, so a stage reads its own section of a pipeline file
(``executor:``, a recipe) without importing the composed :mod:`thresher.config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from thresher.errors import ConfigError

#: the top-level sections of a pipeline file (the fields of ``thresher.config.PipelineConfig``)
PIPELINE_SECTIONS = frozenset({"crawl", "extract", "refine", "output", "executor"})


def format_validation_error(exc: ValidationError, source: str, prefix: str = "") -> str:
    """One line naming the file (``source``), the key and what is wrong with it."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{source}: {loc or '<root>'}: {msg}{tail}"


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, raising :class:`ConfigError` with the file name on any problem."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{p}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{p}:{where}: invalid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the top level must be a mapping of sections")
    return data


def is_pipeline_file(data: dict[str, Any]) -> bool:
    """Whether a file's mapping is a whole pipeline (only section keys), not one section."""
    return bool(data) and set(data) <= PIPELINE_SECTIONS
