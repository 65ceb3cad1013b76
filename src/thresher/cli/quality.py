"""Commands of learned quality scores: ``annotate`` (a model scores a sample of documents),
``train-quality`` (a classifier from those scores, or DCLM's positive/negative files), and
the ``refine`` options of the quality_model step (docs/train-ready.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from thresher.errors import ConfigError, InputError


def annotate_command(
    inputs: list[str] = typer.Argument(..., help="Document files or folders to sample from."),
    out: str = typer.Option(..., "-o", "--out", help="Output folder of annotated documents."),
    sample: int = typer.Option(
        1000, "--sample", min=1, help="Documents to annotate, stratified by language."
    ),
    prompt: str = typer.Option(
        "edu",
        "--prompt",
        help="edu (educational value, 0-5), quality (general quality, 0-5) or a prompt file "
        "declaring its score range (docs/train-ready.md).",
    ),
    base_url: str = typer.Option(
        ..., "--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1"
    ),
    model: str = typer.Option(..., "--llm-model", help="Model name to ask."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample (same seed, same sample)."),
    max_chars: int = typer.Option(
        8000, "--max-chars", min=100, help="Characters of a document sent to the model."
    ),
    max_in_flight: int = typer.Option(8, "--llm-max-in-flight", min=1, help="Requests at once."),
    per_minute: int = typer.Option(
        0, "--llm-per-minute", min=0, help="Requests started per minute at most (0: any)."
    ),
    timeout: float = typer.Option(120.0, "--llm-timeout", min=0.1, help="Seconds per request."),
    reasks: int = typer.Option(
        1, "--llm-reasks", min=0, help="Times an answer with no usable score is asked again."
    ),
    price_input: float | None = typer.Option(
        None, "--llm-price-input", min=0, help="Price of a million prompt tokens (cost estimate)."
    ),
    price_output: float | None = typer.Option(
        None, "--llm-price-output", min=0, help="Price of a million completion tokens."
    ),
    cache: str | None = typer.Option(
        None, "--llm-cache", help="Response cache folder (default $XDG_CACHE_HOME/thresher/llm)."
    ),
    no_cache: bool = typer.Option(False, "--no-llm-cache", help="Neither read nor write it."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace the output of an earlier run with other settings."
    ),
    workers: int | None = typer.Option(None, "--workers", "-w", min=1, help="Shards at once."),
) -> None:
    """Ask a model to score a sample of documents (FineWeb-Edu's annotation step)."""
    from thresher.execute.config import ExecutorConfig
    from thresher.execute.stage import run_stage
    from thresher.llm.config import LLMConfig
    from thresher.progress import report
    from thresher.refine.annotate import summary_line
    from thresher.refine.annotate_job import AnnotateJob
    from thresher.refine.annotate_prompts import load_prompt
    from thresher.settings_base import checked
    from thresher.stats import StepStats
    from thresher.store.readers import iter_document_files

    chosen = load_prompt(prompt)
    llm = checked(
        LLMConfig,
        {
            "base_url": base_url, "model": model, "max_in_flight": max_in_flight,
            "per_minute": per_minute, "timeout": timeout, "reasks": reasks,
            "price_input": price_input, "price_output": price_output, "cache": cache,
            "use_cache": not no_cache, "structured": "auto", "max_tokens": 512,
        },
        {"base_url": "--llm-base-url", "model": "--llm-model"},
        "annotate",
    )  # fmt: skip
    files = [str(f) for f in iter_document_files(inputs)]
    if not files:
        raise InputError(f"{', '.join(inputs)}: no document files (.jsonl[.gz|.zst], .parquet)")
    job = AnnotateJob(inputs, files, llm, chosen, sample=sample, seed=seed, max_chars=max_chars)
    got: list[StepStats] = []
    with report("annotate") as rep:
        result = run_stage(
            job,
            out,
            executor=ExecutorConfig(workers=workers or 1),
            overwrite=overwrite,
            reporter=rep,
            stats=got,
        )
    if result.skipped:
        print(f"{out}: already complete ({result.documents} documents); nothing to do")
        return
    st = next((s for s in result.stats or got if s.name == "annotate"), StepStats("annotate"))
    print(f"{result.documents} annotated documents written to {out}")
    print(summary_line(st, llm), file=sys.stderr)


def train_quality_command(
    annotations: list[Path] = typer.Argument(
        None, help="Folders or files written by thresher annotate (metadata.annotation.score)."
    ),
    out: Path = typer.Option(..., "-o", "--out", help="Model folder (refine --quality-model)."),
    positive: list[Path] = typer.Option(
        None, "--positive", help="DCLM recipe: texts to keep (documents, or text one per line)."
    ),
    negative: list[Path] = typer.Option(
        None, "--negative", help="DCLM recipe: texts to drop (same formats)."
    ),
    target: str = typer.Option(
        "binary",
        "--target",
        help="binary: P(score >= --positive-from); regression: the annotation score itself.",
    ),
    positive_from: float = typer.Option(
        3.0, "--positive-from", help="Annotation score from which a document is positive."
    ),
    held_out: float = typer.Option(
        0.2, "--held-out", min=0.0, max=0.5, help="Share kept aside for the metrics."
    ),
    c: float = typer.Option(10.0, "--c", min=1e-6, help="Inverse regularisation strength."),
    seed: int = typer.Option(0, "--seed", help="Seed of the held-out split."),
) -> None:
    """Train a quality classifier from annotations, or from --positive/--negative files."""
    from thresher.output import lock_folder
    from thresher.refine.quality_train import annotated_set, labelled_set, train_quality

    if positive or negative:
        if annotations:
            raise ConfigError("give annotation folders or --positive/--negative, not both")
        if not (positive and negative):
            raise ConfigError("--positive and --negative go together")
        data = labelled_set(positive, negative)
    elif annotations:
        data = annotated_set(annotations)
    else:
        raise ConfigError("give annotation folders (thresher annotate) or --positive/--negative")
    with lock_folder(out):
        report = train_quality(
            data, out, target=target, positive_from=positive_from, held_out=held_out, c=c,
            seed=seed,
        )  # fmt: skip
    print(report.line(out))


def quality_options(
    cfg: Any,
    model_dir: Path | None,
    threshold: float | None,
    top_fraction: float | None,
    bucket_by: str | None,
) -> Any:
    """``refine``'s RefineConfig with the quality options laid over it (checked)."""
    from thresher.refine.quality_score import QualityModelConfig
    from thresher.settings_base import checked, given

    options = given(
        {
            "model_dir": str(model_dir) if model_dir is not None else None,
            "threshold": threshold,
            "top_fraction": top_fraction,
        }
    )
    if options:
        data = {k: getattr(cfg.quality_model, k) for k in QualityModelConfig.model_fields}
        section = checked(
            QualityModelConfig,
            data | options | {"enabled": True},
            {
                "model_dir": "--quality-model",
                "threshold": "--quality-threshold",
                "top_fraction": "--quality-top-fraction",
            },
            "refine.quality_model",
        )
        cfg = cfg.model_copy(update={"quality_model": section})
    if bucket_by is not None:
        if bucket_by not in ("perplexity", "quality"):
            raise ConfigError(f"--bucket-by {bucket_by!r}: perplexity or quality")
        cfg = cfg.model_copy(update={"bucket_by": bucket_by})
    if cfg.quality_model.enabled and cfg.quality_model.model_dir is None:
        raise ConfigError("--quality-model: needed with the other --quality options")
    if cfg.bucket_by == "quality" and not cfg.quality_model.enabled:
        raise ConfigError("--bucket-by quality needs --quality-model")
    return cfg


def quality_lines(stats: list[Any]) -> list[str]:
    """Summary lines of the quality_model step: the cut-off per language, what it kept."""
    from thresher.refine.quality_score import cutoffs_from_counters

    st = next((s for s in stats if s.name == "quality_model"), None)
    if st is None:
        return []
    cuts = cutoffs_from_counters(st.counters)
    shown = ", ".join(f"{k} {v:.3f}" for k, v in cuts.items())
    line = f"quality_model: kept {st.kept} of {st.seen}"
    return [line + (f"; cut-offs {shown}" if shown else "; no cut-off (scores recorded)")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    app.command("annotate")(annotate_command)
    app.command("train-quality")(train_quality_command)
