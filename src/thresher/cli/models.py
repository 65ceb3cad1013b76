"""Commands that train models used by refine (language model, reference discriminator)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
