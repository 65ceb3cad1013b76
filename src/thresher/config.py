"""The pipeline configuration: one YAML file with ``crawl``, ``extract``, ``refine``,
``output`` and ``executor`` sections, validated by pydantic models with defaults.

Each stage defines its own section model next to its code (``thresher/<stage>/config.py``);
this module composes them; :mod:`thresher.config_file` reads the file and turns validation
failures into one-line errors that name the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, ValidationError

from thresher.config_file import format_validation_error, is_pipeline_file, read_yaml
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
    "format_validation_error",
    "load_config",
    "load_section",
    "read_yaml",
]

M = TypeVar("M", bound=Section)


class PipelineConfig(Section):
    """A whole ``thresher run`` pipeline: crawl → extract → refine → output."""

    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    refine: RefineConfig = Field(default_factory=RefineConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)


def load_config(path: str | Path) -> PipelineConfig:
    """Load and validate a pipeline YAML file."""
    data = read_yaml(path)
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, str(path))) from None


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
        if is_pipeline_file(raw):
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
        raise ConfigError(format_validation_error(e, source, prefix)) from None
