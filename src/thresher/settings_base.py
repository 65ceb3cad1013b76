"""Base class for every configuration section: unknown keys are errors, values are validated."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A YAML section. ``extra="forbid"`` turns a typo into an error that names the key."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
