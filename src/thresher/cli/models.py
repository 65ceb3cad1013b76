"""Commands that train models used by refine (language model, reference discriminator)."""

from __future__ import annotations

from pathlib import Path

import typer

from thresher.output import lock_folder


def train_lm_command(
    text: list[Path] = typer.Argument(
        ..., help="Reference text: plain text files (one line each) or document files/folders."
    ),
    lang: str = typer.Option(..., "--lang", help="Language code the model is for (e.g. en)."),
    out: Path = typer.Option(..., "-o", "--out", help="Model folder (refine --lm-dir)."),
    order: int = typer.Option(5, "--order", min=2, max=6, help="n-gram order of the KenLM model."),
    vocab_size: int | None = typer.Option(
        None,
        "--vocab-size",
        min=100,
        help="SentencePiece vocabulary; default fits the corpus.",
    ),
    sp_sample: int = typer.Option(
        2_000_000, "--sp-sample", min=1000, help="Lines SentencePiece trains on (random sample)."
    ),
    memory: str = typer.Option("20%", "--memory", help="Memory for lmplz/build_binary (-S)."),
    prune: str | None = typer.Option(
        None, "--prune", help="lmplz --prune thresholds per order, e.g. '0 0 1' for big corpora."
    ),
    estimator: str = typer.Option(
        "auto",
        "--estimator",
        help="Kneser-Ney estimator: auto (lmplz when installed, else builtin), lmplz, builtin.",
    ),
    binary: bool | None = typer.Option(
        None,
        "--binary/--arpa",
        help="KenLM binary (needs build_binary) or plain ARPA; default: binary when possible.",
    ),
) -> None:
    """Train a SentencePiece + Kneser-Ney 5-gram model of language LANG for perplexity scoring.

    Works with no KenLM tools installed (thresher's own estimator, ARPA output); uses lmplz
    and build_binary when they are on PATH (scripts/install-kenlm.sh builds them)."""
    from thresher.errors import ConfigError
    from thresher.refine.lm_train import train_lm

    prune_counts: list[int] | None = None
    if prune:
        try:
            prune_counts = [int(x) for x in prune.replace(",", " ").split()]
        except ValueError:
            raise ConfigError(f"--prune {prune!r}: expected integers, e.g. '0 0 1'") from None
    with lock_folder(out):
        info = train_lm(
            text,
            lang,
            out,
            order=order,
            vocab_size=vocab_size,
            sp_sample=sp_sample,
            memory=memory,
            prune=prune_counts,
            estimator=estimator,
            binary=binary,
        )
    typer.echo(
        f"{lang}: {info.lines} lines, {info.tokens} tokens, vocabulary {info.vocab_size}, "
        f"{info.order}-gram by {info.estimator} -> {out / info.lm_model} ({info.seconds} s)"
    )


def train_classifier_command(
    positive: list[Path] = typer.Option(
        ..., "--positive", help="Reference texts: document files/folders or text, one per line."
    ),
    negative: list[Path] = typer.Option(
        ..., "--negative", help="Other texts (e.g. random crawl pages), same formats."
    ),
    out: Path = typer.Option(
        ..., "-o", "--out", help="Model folder (refine classifier.model_dir)."
    ),
    hidden: int = typer.Option(
        0, "--hidden", min=0, help="Hidden units of an MLP instead of the linear model."
    ),
    epochs: int = typer.Option(20, "--epochs", min=1, help="Passes over the training texts."),
    held_out: float = typer.Option(
        0.1, "--held-out", min=0.0, max=0.5, help="Share of texts kept aside to report accuracy."
    ),
) -> None:
    """Train a reference discriminator (hashed word n-grams) for the refine classifier step."""
    from thresher.refine.classifier import train_classifier

    with lock_folder(out):
        info = train_classifier(
            positive, negative, out, hidden=hidden, epochs=epochs, held_out=held_out
        )
    typer.echo(
        f"{info.positive} positive, {info.negative} negative; held-out accuracy "
        f"{info.accuracy} on {info.held_out} texts -> {out} ({info.seconds} s)"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    app.command("train-lm")(train_lm_command)
    app.command("train-classifier")(train_classifier_command)
