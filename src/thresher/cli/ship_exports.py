"""Commands that export a finished corpus for training and retrieval: ``sft`` and ``chunks``."""

from __future__ import annotations

from pathlib import Path

import typer

from thresher.cli.fields import DateField, IdField, TextField, TitleField, UrlField, fields_from
from thresher.cli.run_options import ExecutorKind, RayAddress, Workers
from thresher.stats import StepStats


def _skips(stats: list[StepStats]) -> str:
    parts = [f"{k} {v}" for s in stats for k, v in sorted(s.dropped.items())]
    return f" (skipped: {', '.join(parts)})" if parts else ""


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""

    @app.command("sft")
    def sft_cmd(
        inputs: list[str] = typer.Argument(
            ..., help="Documents written by `thresher extract --recipe` (files or folders)."
        ),
        out: str = typer.Option(
            ..., "-o", "--out", help="Output folder (JSONL + manifest; or an s3:// URL)."
        ),
        fmt: str = typer.Option(
            "alpaca",
            "--format",
            help="alpaca (instruction, input, output) or messages (user/assistant turns).",
        ),
        template: Path | None = typer.Option(
            None,
            "--template",
            help="File with a str.format template of the instruction; fields: title, question,"
            " author, url, thread, date, language, source ({{ }} for literal braces).",
        ),
        min_question: int = typer.Option(
            10, "--min-question-chars", help="Skip questions shorter than this."
        ),
        min_answer: int = typer.Option(
            10, "--min-answer-chars", help="Skip answers shorter than this."
        ),
        languages: str | None = typer.Option(
            None,
            "--languages",
            help="Comma-separated fastText lid.176 codes (en,de) to keep; default: all.",
        ),
        min_language_score: float = typer.Option(
            0.5, "--min-language-score", help="Language id score needed with --languages."
        ),
        buckets: str | None = typer.Option(
            None,
            "--buckets",
            help="Comma-separated perplexity buckets (head,middle,tail) to keep; threads"
            " whose first post has no bucket are kept.",
        ),
        no_dedup: bool = typer.Option(
            False, "--no-dedup", help="Keep exact duplicates (normalised question + answer)."
        ),
        no_near_dedup: bool = typer.Option(
            False, "--no-near-dedup", help="Keep near duplicates (MinHash LSH)."
        ),
        no_meta: bool = typer.Option(
            False, "--no-meta", help="Leave out the 'meta' object (thread, url, answer rule)."
        ),
        overwrite: bool = typer.Option(
            False, "--overwrite", help="Replace the output of an earlier run with other inputs."
        ),
    ) -> None:
        """Forum threads to instruction-tuning JSONL: the first post is the question, the
        accepted (else highest-scored, else first other author's) reply the answer."""
        from thresher.ship.sft import SftConfig, export_sft

        config = SftConfig(
            format=fmt,  # type: ignore[arg-type]  # checked by SftConfig.check
            template_path=str(template) if template is not None else None,
            min_question_chars=min_question,
            min_answer_chars=min_answer,
            languages=_list(languages),
            min_language_score=min_language_score,
            buckets=_list(buckets),
            dedup=not no_dedup,
            near_dedup=not no_near_dedup,
            meta=not no_meta,
        )
        n, stats, done = export_sft(inputs, out, config, overwrite=overwrite)
        if done:
            print(f"{out}: already complete ({n} examples)")
            return
        threads = stats[-1].seen
        print(f"wrote {n} examples from {threads} threads to {out}{_skips(stats[-1:])}")

    @app.command("chunks")
    def chunks_cmd(
        inputs: list[str] = typer.Argument(..., help="Document files or folders."),
        out: str = typer.Option(
            ..., "-o", "--out", help="Output folder (chunks + manifest; or an s3:// URL)."
        ),
        max_tokens: int = typer.Option(
            512,
            "--max-tokens",
            help="Most tokens in a chunk. Tokens are approximate and offline: each run of"
            " letters/digits and each other non-space character is one token.",
        ),
        overlap: int = typer.Option(
            0, "--overlap", help="Tokens of the previous chunk repeated when a section goes on."
        ),
        fmt: str = typer.Option("jsonl", "--format", help="jsonl or parquet."),
        overwrite: bool = typer.Option(
            False, "--overwrite", help="Replace the output of an earlier run with other inputs."
        ),
        text_field: TextField = None,  # records of another layout (docs/datasets.md)
        id_field: IdField = None,
        url_field: UrlField = None,
        title_field: TitleField = None,
        date_field: DateField = None,
        workers: Workers = None,
        executor: ExecutorKind = None,
        ray_address: RayAddress = None,
    ) -> None:
        """Documents to retrieval chunks along their Markdown structure (headings, paragraphs,
        lists, code), with heading path, position, images and links. Each input file is a
        shard: a killed run resumes, and --executor ray runs them on Ray."""
        from thresher.execute.config import resolve_executor
        from thresher.ship.chunks import export_chunks

        fields = fields_from(text_field, id_field, url_field, title_field, date_field)
        where = resolve_executor(kind=executor, address=ray_address, workers=workers)
        n, stats, done = export_chunks(
            inputs, out, max_tokens=max_tokens, overlap=overlap, fmt=fmt, overwrite=overwrite,
            fields=fields, executor=where,
        )  # fmt: skip
        if done:
            print(f"{out}: already complete ({n} chunks)")
            return
        print(f"wrote {n} chunks of {stats[-1].kept} documents to {out}{_skips(stats)}")


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []
