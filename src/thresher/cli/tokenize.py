"""``thresher tokenize``: a corpus to shuffled, fixed-size shards of token ids
(docs/train-ready.md)."""

from __future__ import annotations

from pathlib import Path

import typer


def _tokenize(
    corpus: str = typer.Argument(..., help="A refine output folder (or document files)."),
    out: str = typer.Option(..., "-o", "--out", help="Output folder (or s3://... URL)."),
    tokenizer: Path = typer.Option(
        ..., "--tokenizer", help="A Hugging Face `tokenizers` JSON file (tokenizer.json)."
    ),
    fmt: str = typer.Option(
        "numpy", "--format", help="numpy (.tokens + .offsets.npy) or megatron (.bin + .idx)."
    ),
    shard_tokens: int = typer.Option(
        1 << 27, "--shard-tokens", min=1, help="Most tokens in one shard (whole documents)."
    ),
    eos: str | None = typer.Option(
        None, "--eos", help="The token put after every document (default </s> or <|endoftext|>)."
    ),
    eos_id: int | None = typer.Option(None, "--eos-id", help="The EOS token by its id."),
    mix: str | None = typer.Option(
        None, "--mix", help="Languages by token share, as en:0.7,de:0.3 (others left out)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the shuffle and of the mix."),
    executor: str = typer.Option(
        "local", "--executor", help="Where parts are tokenized: local or ray."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Parts tokenized at once."),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="Ray cluster (default: RAY_ADDRESS, else a local one)."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace the output of another run in the folder."
    ),
) -> None:
    """Tokenize a corpus into shuffled shards of token ids, EOS between documents."""
    from thresher.errors import ConfigError
    from thresher.execute.config import ExecutorConfig
    from thresher.ship.tokens.mix import parse_mix
    from thresher.ship.tokens.run import TokenizeSettings, tokenize_corpus

    if executor not in ("local", "ray"):
        raise ConfigError(f"--executor {executor}: choose local or ray")

    settings = TokenizeSettings(
        tokenizer=str(tokenizer),
        format=fmt,
        shard_tokens=shard_tokens,
        eos=eos,
        eos_id=eos_id,
        mix=parse_mix(mix) if mix else None,
        seed=seed,
    )
    where = ExecutorConfig(kind=executor, workers=workers, address=ray_address)  # type: ignore[arg-type]
    result = tokenize_corpus(corpus, out, settings, executor=where, overwrite=overwrite)
    if result.skipped:
        print(f"{result.out}: already holds this run ({result.tokens:,} tokens); nothing to do")
        return
    print(
        f"{result.documents:,} documents, {result.tokens:,} tokens in {result.shards:,} "
        f"shards -> {result.out}"
    )
    for folder, v in sorted(result.by_folder.items()):
        print(f"  {folder}: {v['documents']:,} documents, {v['tokens']:,} tokens")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    app.command("tokenize")(_tokenize)
