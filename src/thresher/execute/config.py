"""Settings of the executor (the YAML ``executor:`` section, ``--executor``/``--ray-address``).

One section for every stage that runs shards (``extract``, ``refine``, and both in ``run``).
The older per-stage keys ``refine.workers``, ``refine.executor`` and ``extract.workers`` still
work: :func:`resolve_executor` uses them when the ``executor:`` section leaves a key unset.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from thresher.errors import ConfigError
from thresher.settings_base import Section

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20,
          "gib": 2**30}  # fmt: skip


def parse_bytes(value: Any) -> int | None:
    """``2GB``, ``512MiB``, ``1000000`` → bytes (``None`` stays ``None``)."""
    if value is None or isinstance(value, int):
        return value
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
    if m is None or m.group(2).lower() not in _UNITS:
        raise ValueError(f"not a size: {value!r} (give bytes, or a number with KB/MB/GB/MiB/GiB)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


class ExecutorConfig(Section):
    """Where the shards of extract and refine run: this machine's processes, or Ray."""

    kind: Literal["local", "ray"] = Field(
        "local", description="local: this process or a local pool; ray: Ray tasks"
    )
    workers: int = Field(
        1,
        ge=1,
        description="shards run at once (local: processes; ray: tasks in flight, and the CPUs "
        "of the local Ray instance thresher starts when no address is given)",
    )
    address: str | None = Field(
        None,
        description="Ray cluster to connect to (e.g. ray://head:10001 or auto); default: "
        "RAY_ADDRESS, else a local Ray instance is started for the run",
    )
    num_cpus_per_task: float = Field(1, gt=0, description="CPUs Ray reserves for each shard")
    memory_per_task: int | None = Field(
        None,
        description="memory Ray reserves for each shard (bytes, or e.g. 2GB); null: none. "
        "Ray schedules no more shards on a node than its memory holds",
    )
    max_retries: int = Field(
        3,
        ge=0,
        description="times Ray runs a shard again when its worker process or node is lost "
        "(an error of the shard's input is never retried)",
    )

    @field_validator("memory_per_task", mode="before")
    @classmethod
    def _bytes(cls, value: Any) -> int | None:
        return parse_bytes(value)


def resolve_executor(
    section: ExecutorConfig | None = None,
    *,
    legacy: dict[str, Any] | None = None,
    **overrides: Any,
) -> ExecutorConfig:
    """The executor settings in force: command-line ``overrides`` (``None`` ignored), then the
    keys set in the ``executor:`` section, then the older per-stage keys in ``legacy``
    (``{"kind": ..., "workers": ...}``, ``None`` ignored), then the defaults."""
    section = section or ExecutorConfig()
    data: dict[str, Any] = {k: v for k, v in (legacy or {}).items() if v is not None}
    data.update({k: getattr(section, k) for k in section.model_fields_set})
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ExecutorConfig.model_validate(data)
    except ValidationError as e:
        from thresher.config_file import format_validation_error

        raise ConfigError(format_validation_error(e, "executor")) from None


def legacy_keys(stage: Section) -> dict[str, Any]:
    """The executor keys a stage section sets itself (``workers``, ``executor``)."""
    found: dict[str, Any] = {}
    if "workers" in stage.model_fields_set:
        found["workers"] = getattr(stage, "workers")  # noqa: B009 - not every stage has it
    if "executor" in stage.model_fields_set:
        found["kind"] = getattr(stage, "executor")  # noqa: B009
    return found


def load_executor(
    path: str | Path | None, *, legacy: dict[str, Any] | None = None, **overrides: Any
) -> ExecutorConfig:
    """The executor settings of a command: the ``executor:`` section of a pipeline YAML file
    (when ``path`` holds one), the older stage keys in ``legacy``, then the command's
    ``overrides`` (``--executor``, ``--ray-address``, ``--workers``; ``None`` ignored)."""
    from thresher.config_file import format_validation_error, is_pipeline_file, read_yaml

    section = ExecutorConfig()
    if path is not None:
        raw = read_yaml(path)
        if is_pipeline_file(raw):
            try:
                section = ExecutorConfig.model_validate(raw.get("executor") or {})
            except ValidationError as e:
                raise ConfigError(format_validation_error(e, str(path), "executor")) from None
    return resolve_executor(section, legacy=legacy, **overrides)
