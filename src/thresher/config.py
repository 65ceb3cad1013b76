"""The pipeline configuration: one YAML file with ``crawl``, ``extract``, ``refine``,
``output`` and ``executor`` sections, validated by pydantic models with defaults.

Each stage defines its own section model next to its code (``thresher/<stage>/config.py``);
this module composes them and turns validation failures into one-line errors that name the
file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import Field, ValidationError

from thresher.crawl.config import CrawlConfig
from thresher.errors import ConfigError
from thresher.execute.config import ExecutorConfig
from thresher.extract.config import ExtractConfig
from thresher.refine.config import RefineConfig
from thresher.settings_base import Section
from thresher.store.config import OutputConfig

__all__ = [
    "CrawlConfig",
    "ExtractConfig",
    "OutputConfig",
    "PipelineConfig",
    "RefineConfig",
    "load_config",
    "load_section",
]

M = TypeVar("M", bound=Section)


class PipelineConfig(Section):
    """A whole ``thresher run`` pipeline: crawl → extract → refine → output."""

    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    refine: RefineConfig = Field(default_factory=RefineConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)


def format_validation_error(exc: ValidationError, source: str, prefix: str = "") -> str:
    """One line naming the file (``source``), the key and what is wrong with it."""
    return _format_error(exc, source, prefix)


def _format_error(exc: ValidationError, source: str, prefix: str = "") -> str:
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


def load_config(path: str | Path) -> PipelineConfig:
    """Load and validate a pipeline YAML file."""
    data = read_yaml(path)
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_error(e, str(path))) from None


def load_section(model: type[M], path: str | Path | None, section: str, **overrides: Any) -> M:
    """Load one section (e.g. ``refine``) from a YAML file, then apply command-line overrides.

    The file may hold either the whole pipeline (the section is picked out) or just the
    section's keys. Overrides whose value is ``None`` are ignored.
    """
    data: dict[str, Any] = {}
    source = "<options>"
    if path is not None:
        source = str(path)
        raw = read_yaml(path)
        sections = set(PipelineConfig.model_fields)
        if raw and set(raw) <= sections:
            data = dict(raw.get(section) or {})
            prefix = section
        else:
            data = raw
            prefix = ""
    else:
        prefix = ""
    for key, value in overrides.items():
        if value is not None:
            data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_error(e, source, prefix)) from None
