"""Base class for every configuration section: unknown keys are errors, values are validated;
and how command-line options are laid over a section (one checked merge for every command)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from thresher.errors import ConfigError


class Section(BaseModel):
    """A YAML section. ``extra="forbid"`` turns a typo into an error that names the key."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


S = TypeVar("S", bound=BaseModel)


def given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The options that were given: None, False (a flag left off) and [] are not."""
    return {k: v for k, v in values.items() if v is not None and v is not False and v != []}


def with_options(section: S, options: Mapping[str, str], where: str, **values: Any) -> S:
    """``section`` with the command-line ``values`` that were given laid over it, checked
    (every field is kept, the ones left out of dumps too); see :func:`checked`."""
    data = {name: getattr(section, name) for name in type(section).model_fields}
    return checked(type(section), data | given(values), options, where)


def checked(
    model: type[S],
    data: Mapping[str, Any],
    options: Mapping[str, str],
    where: str,
    missing: str = "is required",
) -> S:
    """``model`` validated from ``data``; a bad value is one ConfigError naming its option
    (``options``: field → option, e.g. ``{"kind": "--kind"}``), or the YAML key under
    ``where`` (e.g. ``extract.cc``) for a field no option sets; ``missing`` says what a
    missing field is."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        option = options.get(name) or f"{where}.{name.rstrip('_')}"
        if err["type"] == "missing":
            what = missing
        else:
            what = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            if isinstance(value, str | int | float):
                what += f" (got {value!r})"
        raise ConfigError(f"{option}: {what}") from None
