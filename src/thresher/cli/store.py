"""Commands over finished output folders: ``verify``, ``export`` and ``report``."""

from __future__ import annotations

from pathlib import Path

import typer

from thresher.cli.fields import DateField, IdField, TextField, TitleField, UrlField, fields_from
from thresher.errors import VerifyError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""

    @app.command("verify")
    def verify_cmd(
        folder: str = typer.Argument(
            ...,
            help="Output folder; every manifest under it is checked. An object-store URL "
            "(s3://bucket/corpus) checks the folder's committed manifest.",
        ),
        no_count: bool = typer.Option(
            False, "--no-count", help="Check sizes and SHA-256 only, do not count documents."
        ),
    ) -> None:
        """Check every part against its manifest (size, SHA-256, document count)."""
        from thresher.store import find_manifests, verify
        from thresher.store.remote import is_remote

        roots: list[str | Path]
        if is_remote(folder):
            roots = [folder]
        else:
            if not Path(folder).is_dir():
                raise VerifyError(f"{folder}: no such folder")
            roots = list(find_manifests(folder))
            if not roots:
                raise VerifyError(f"{folder}: no manifest.json found")
        from rich.console import Console

        console = Console()
        bad = 0
        for root in roots:
            res = verify(root, count=not no_count)
            if res.ok:
                console.print(
                    f"[green]ok[/]   {res.manifest}: {res.parts} parts, {res.documents} documents"
                )
            else:
                bad += 1
                console.print(f"[red]FAIL[/] {res.manifest}: {len(res.problems)} problem(s)")
                for problem in res.problems:
                    console.print(f"       {problem}")
        if bad:
            raise typer.Exit(1)

    @app.command("report")
    def report_cmd(
        folder: Path = typer.Argument(..., help="Output folder of a crawl, extract or refine run."),
        out: Path | None = typer.Option(
            None, "-o", "--out", help="HTML file to write (default: FOLDER/report.html)."
        ),
    ) -> None:
        """Write an HTML report (counts, drops by reason, distributions) of a corpus or crawl."""
        from thresher.report import build_report

        path = build_report(folder, out)
        print(f"report written to {path}")

    @app.command("export")
    def export_cmd(
        inputs: list[str] = typer.Argument(..., help="Document files or folders."),
        out: Path = typer.Option(
            ...,
            "-o",
            "--out",
            help="File to write; its extension chooses the format (.json, .jsonl, .csv, "
            ".parquet, .xml, .avro).",
        ),
        fmt: str | None = typer.Option(
            None,
            "--format",
            "-f",
            help="json (one array), jsonl, csv, parquet, xml or avro, whatever the file's name.",
        ),
        text_field: TextField = None,  # records of another layout (docs/datasets.md)
        id_field: IdField = None,
        url_field: UrlField = None,
        title_field: TitleField = None,
        date_field: DateField = None,
    ) -> None:
        """Export documents to one file: JSON, JSONL, CSV, Parquet, XML or Avro."""
        from thresher.stats import StepStats
        from thresher.store.export import export

        stats = StepStats("read")
        fields = fields_from(text_field, id_field, url_field, title_field, date_field)
        n = export(inputs, out, fmt, stats, fields=fields)
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(stats.dropped.items()))
        print(f"wrote {n} documents to {out}" + (f" (skipped: {skipped})" if skipped else ""))
