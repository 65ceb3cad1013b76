"""Commands over finished corpora of the ship stage: ``diff`` (what changed between two
versions)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def _diff(
    a: Path = typer.Argument(..., help="The older corpus folder (with its manifest.json)."),
    b: Path = typer.Argument(..., help="The newer corpus folder."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object (added, removed, changed, per folder)."
    ),
    partition_docs: int = typer.Option(
        2_000_000,
        "--partition-docs",
        min=1,
        help="Documents compared at once (memory: about 100 bytes each).",
    ),
    tmp_dir: Path | None = typer.Option(
        None, "--tmp-dir", help="Where the id/text hashes are spooled (default: system temp)."
    ),
) -> None:
    """Documents added, removed and changed (same id, other text) from corpus A to corpus B."""
    from thresher.ship.diff import diff

    result = diff(a, b, partition_docs=partition_docs, work_dir=tmp_dir)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{a} → {b}")
    for col in (
        "folder",
        "before",
        "after",
        "added",
        "removed",
        "changed",
        "moved in",
        "moved out",
    ):
        table.add_column(col, justify="left" if col == "folder" else "right")
    for name, c in sorted(result.folders.items()):
        table.add_row(name, *(f"{v:,}" for v in c.to_dict().values()))
    table.add_section()
    table.add_row(
        "total", *(f"{v:,}" for v in (result.before, result.after, result.added, result.removed,
                                      result.changed, result.moved, result.moved))
    )  # fmt: skip
    console = Console()
    console.print(table)
    line = (
        f"added {result.added:,}, removed {result.removed:,}, changed {result.changed:,}, "
        f"moved {result.moved:,}, unchanged {result.unchanged:,}"
    )
    if result.duplicate_ids:
        line += f" ({result.duplicate_ids:,} repeated ids counted once)"
    console.print(line)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    app.command("diff")(_diff)
