"""The options every command that runs a stage on the stage runner shares: where its shards
run (``--executor``, ``--ray-address``, ``--workers``)."""

from __future__ import annotations

from typing import Annotated

import typer

ExecutorKind = Annotated[
    str | None,
    typer.Option("--executor", help="Where shards run: local or ray (default from config: local)."),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address", help="Ray cluster (default: RAY_ADDRESS, else a local instance)."
    ),
]
Workers = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1, help="Shards at once (default from config: 1)."),
]
