"""Train the perplexity model of one language: SentencePiece unigram + a Kneser-Ney n-gram.

The reference text (plain text lines, or document files whose ``text`` is cut into lines) is
normalised as for scoring, a SentencePiece unigram model is trained on (a sample of) it, and
the whole text, cut into pieces, goes to a modified Kneser-Ney estimator: KenLM's ``lmplz``
when it is installed (``scripts/install-kenlm.sh``), else thresher's own
(:mod:`thresher.refine.kneser_ney`, the same estimate in memory, up to
:data:`BUILTIN_MAX_TOKENS` tokens). The ARPA file becomes a KenLM binary when ``build_binary``
is installed; otherwise the ARPA file is the model (the ``kenlm`` module loads both).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from thresher.errors import ConfigError, InputError, ThresherError
from thresher.refine.lm import LM_SUFFIXES, META_SUFFIX, SP_SUFFIX, import_module, normalize_for_lm

#: SentencePiece's vocabulary for a large corpus (as CCNet's models).
MAX_VOCAB = 65536
#: Below this the unigram model is too coarse to be useful.
MIN_VOCAB = 256
#: Stop counting distinct words past this many (only used to size the vocabulary).
_DISTINCT_CAP = 4_000_000
#: Characters counted to size the vocabulary: those of the first this many lines.
_CHAR_LINES = 200_000
#: Corpora above this many tokens go to lmplz only: the built-in estimator holds every n-gram
#: in memory, about 440 bytes per token at order 5 on diverse prose (1.7 GB peak for 4M
#: tokens in bench/lm), so about 4.5 GB here.
BUILTIN_MAX_TOKENS = 10_000_000
#: SentencePiece's character coverage: 0.9995 for scripts with thousands of characters (its
#: authors' advice for Chinese and Japanese), else nearly every character is kept.
CJK_COVERAGE = 0.9995
DEFAULT_COVERAGE = 0.9999
ESTIMATORS = ("auto", "lmplz", "builtin")


class ModelTrainingError(ThresherError):
    """An external trainer (lmplz, build_binary, SentencePiece) failed."""


@dataclass
class LmInfo:
    """What was trained, written next to the model as ``L.json``."""

    language: str
    lines: int
    words: int
    distinct_words: int
    tokens: int
    vocab_size: int
    character_coverage: float
    order: int
    estimator: str
    lm_format: str
    sp_model: str
    lm_model: str
    seconds: float
    discounts: list[list[float]] = field(default_factory=list)
    fallback_discount_orders: list[int] = field(default_factory=list)


def find_tool(name: str) -> str | None:
    """Path of a KenLM tool (``lmplz``, ``build_binary``) on PATH, or None."""
    return shutil.which(name)


def iter_text_lines(paths: Iterable[str | Path]) -> Iterator[str]:
    """Lines of plain text files (gzip/zstd by magic bytes) or of document files' ``text``."""
    from thresher.store import read_documents
    from thresher.store.formats import format_of, open_binary_reader

    for p in paths:
        path = Path(p)
        if path.is_dir() or format_of(path) is not None:
            for doc in read_documents(path):
                yield from doc.text.split("\n")
            continue
        if not path.is_file():
            raise InputError(f"{path}: no such file or folder")
        try:
            with io.BufferedReader(open_binary_reader(path), 1 << 20) as f:  # type: ignore[arg-type]
                for raw in f:
                    yield raw.decode("utf-8", errors="replace")
        except (OSError, EOFError) as e:
            raise InputError(f"{path}: cannot read: {e}") from None


def auto_vocab_size(distinct_words: int, required_chars: int = 0) -> int:
    """A vocabulary fitting the corpus: a quarter of its distinct words, and room for every
    character SentencePiece must keep plus half as many longer pieces; 256 to 65,536."""
    by_chars = required_chars + required_chars // 2 if required_chars else 0
    return max(MIN_VOCAB, min(MAX_VOCAB, max(distinct_words // 4, by_chars)))


def is_cjk(char: str) -> bool:
    """A Han, kana or Hangul character (scripts written with thousands of characters)."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x3134F  # extensions B-G
    )


def character_coverage(chars: Counter[str]) -> float:
    """SentencePiece's ``character_coverage`` for text with these character counts."""
    total = sum(chars.values())
    cjk = sum(n for c, n in chars.items() if is_cjk(c))
    return CJK_COVERAGE if total and cjk / total > 0.2 else DEFAULT_COVERAGE


def required_characters(chars: Counter[str], coverage: float) -> int:
    """How many of the most frequent characters cover ``coverage`` of all (SentencePiece keeps
    those as pieces of their own, and refuses a vocabulary smaller than that)."""
    total = sum(chars.values())
    need = coverage * total
    seen = kept = 0
    for _, n in chars.most_common():
        if seen >= need:
            break
        seen += n
        kept += 1
    return kept + 3  # <unk>, <s>, </s>


def choose_estimator(estimator: str, tokens: int, prune: list[int] | None) -> str:
    """``lmplz`` or ``builtin`` for a corpus of ``tokens`` (``auto``: lmplz when installed)."""
    if estimator not in ESTIMATORS:
        raise ConfigError(f"--estimator {estimator!r}: expected one of {', '.join(ESTIMATORS)}")
    have_lmplz = find_tool("lmplz") is not None
    if estimator == "auto":
        estimator = "lmplz" if have_lmplz or prune else "builtin"
    if estimator == "lmplz" and not have_lmplz:
        why = " (--prune needs it)" if prune else ""
        raise ConfigError(
            f"lmplz not found{why}: install KenLM's tools with scripts/install-kenlm.sh, "
            "or use --estimator builtin"
        )
    if estimator == "builtin":
        if prune:
            raise ConfigError("--prune needs lmplz; the built-in estimator does not prune")
        if tokens > BUILTIN_MAX_TOKENS:
            raise ConfigError(
                f"{tokens:,} tokens: above the built-in estimator's {BUILTIN_MAX_TOKENS:,} "
                "(it holds every n-gram in memory); install lmplz with scripts/install-kenlm.sh"
            )
    return estimator


def _last_line(log_path: Path) -> str:
    lines = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "(no output)"


def _run(cmd: list[str], log_path: Path, stdin_path: Path | None = None) -> None:
    with open(log_path, "ab") as err, open(stdin_path or os.devnull, "rb") as stdin:
        proc = subprocess.run(cmd, stdin=stdin, stdout=err, stderr=err, check=False)
    if proc.returncode != 0:
        raise ModelTrainingError(f"{Path(cmd[0]).name} failed: {_last_line(log_path)}")


@dataclass
class _Corpus:
    """The normalised reference text in a file, with what sizing the vocabulary needs."""

    path: Path
    lines: int = 0
    words: int = 0
    distinct: set[str] = field(default_factory=set)
    chars: Counter[str] = field(default_factory=Counter)


def _normalise(inputs: list[Path], path: Path) -> _Corpus:
    corpus = _Corpus(path)
    with open(path, "w", encoding="utf-8") as f:
        for raw in iter_text_lines(inputs):
            line = normalize_for_lm(raw)
            if not line:
                continue
            f.write(line)
            f.write("\n")
            corpus.lines += 1
            toks = line.split()
            corpus.words += len(toks)
            if len(corpus.distinct) < _DISTINCT_CAP:
                corpus.distinct.update(toks)
            if corpus.lines <= _CHAR_LINES:
                corpus.chars.update(line.replace(" ", ""))
    return corpus


def _train_sentencepiece(
    corpus: _Corpus, prefix: Path, vocab: int, coverage: float, sp_sample: int, threads: int
) -> Any:
    spm = import_module("sentencepiece")
    try:
        spm.SentencePieceTrainer.train(
            input=str(corpus.path),
            model_prefix=str(prefix),
            model_type="unigram",
            vocab_size=vocab,
            hard_vocab_limit=False,
            character_coverage=coverage,
            input_sentence_size=sp_sample,
            shuffle_input_sentence=True,
            num_threads=threads,
            minloglevel=2,
        )
    except RuntimeError as e:
        first = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise ModelTrainingError(f"SentencePiece training failed: {first}") from None
    return spm.SentencePieceProcessor(model_file=f"{prefix}.model")


def _write_pieces(sp: Any, corpus: _Corpus, out: Path, threads: int) -> int:
    """Cut every normalised line into pieces, one line of pieces per line; returns tokens."""
    tokens = 0
    with open(corpus.path, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
        batch: list[str] = []
        for line in f:
            batch.append(line.rstrip("\n"))
            if len(batch) >= 10_000:
                tokens += _write_batch(sp, batch, w, threads)
                batch = []
        if batch:
            tokens += _write_batch(sp, batch, w, threads)
    return tokens


def _write_batch(sp: Any, batch: list[str], w: io.TextIOBase, threads: int) -> int:
    pieces = sp.encode(batch, out_type=str, num_threads=threads)
    w.write("".join(" ".join(p) + "\n" for p in pieces if p))
    return sum(len(p) for p in pieces)


def train_lm(
    inputs: Iterable[str | Path],
    lang: str,
    out_dir: str | Path,
    *,
    order: int = 5,
    vocab_size: int | None = None,
    sp_sample: int = 2_000_000,
    memory: str = "20%",
    prune: list[int] | None = None,
    binary_type: str = "probing",
    threads: int | None = None,
    estimator: str = "auto",
    binary: bool | None = None,
) -> LmInfo:
    """Train and write ``out_dir/{lang}.sp.model``, the n-gram model and ``{lang}.json``.

    ``vocab_size`` None adapts the SentencePiece vocabulary to the corpus (its distinct words
    and characters); ``sp_sample`` caps the lines SentencePiece trains on (a random sample);
    ``estimator`` is ``auto`` (lmplz when installed, else built-in), ``lmplz`` or ``builtin``;
    ``memory`` and ``prune`` are passed to lmplz (``-S`` and ``--prune``). ``binary`` None
    writes ``{lang}.arpa.bin`` when build_binary is installed, else ``{lang}.arpa``.
    Raises :class:`InputError` when there is no text.
    """
    if not lang or "/" in lang or lang.startswith("."):
        raise ConfigError(f"--lang {lang!r}: not a language code")
    if estimator not in ESTIMATORS:
        raise ConfigError(f"--estimator {estimator!r}: expected one of {', '.join(ESTIMATORS)}")
    import_module("sentencepiece")
    paths = [Path(p) for p in inputs]
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
    build_binary = find_tool("build_binary")
    if binary and build_binary is None:
        raise ConfigError(
            "build_binary not found: install KenLM's tools with scripts/install-kenlm.sh"
        )
    make_binary = build_binary is not None if binary is None else binary
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    threads = threads or max(1, min(4, os.cpu_count() or 1))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f".train-lm-{lang}-", dir=out) as tmp_name:
        tmp = Path(tmp_name)
        corpus = _normalise(paths, tmp / "normalized.txt")
        if corpus.lines == 0:
            names = ", ".join(str(p) for p in paths) or "(no input)"
            raise InputError(f"{names}: no text to train a language model on")
        coverage = character_coverage(corpus.chars)
        vocab = vocab_size or auto_vocab_size(
            len(corpus.distinct), required_characters(corpus.chars, coverage)
        )
        sp_prefix = tmp / f"{lang}.sp"
        sp = _train_sentencepiece(corpus, sp_prefix, vocab, coverage, sp_sample, threads)
        pieces = tmp / "pieces.txt"
        tokens = _write_pieces(sp, corpus, pieces, threads)
        used = choose_estimator(estimator, tokens, prune)

        arpa = tmp / f"{lang}.arpa"
        log_path = tmp / "kenlm.log"
        discounts: list[list[float]] = []
        fallback: list[int] = []
        if used == "lmplz":
            cmd = [str(find_tool("lmplz")), "-o", str(order), "-S", memory, "-T", str(tmp)]
            cmd += ["--arpa", str(arpa), "--discount_fallback"]  # fallback: tiny corpora only
            if prune:
                cmd += ["--prune", *(str(p) for p in prune)]
            _run(cmd, log_path, stdin_path=pieces)
        else:
            from thresher.refine.kneser_ney import estimate, split_line, write_arpa

            with open(pieces, encoding="utf-8") as f:
                model = estimate((split_line(line) for line in f), order)
            write_arpa(model, arpa)
            discounts = [[round(d, 6) for d in ds] for ds in model.discounts]
            fallback = model.fallback_orders
            del model
        suffix = LM_SUFFIXES[0] if make_binary else LM_SUFFIXES[1]
        lm_file = arpa
        if make_binary:
            lm_file = tmp / f"{lang}{LM_SUFFIXES[0]}"
            cmd = [str(build_binary), "-S", memory, binary_type, str(arpa), str(lm_file)]
            _run(cmd, log_path)

        sp_final = out / f"{lang}{SP_SUFFIX}"
        lm_final = out / f"{lang}{suffix}"
        os.replace(f"{sp_prefix}.model", sp_final)
        os.replace(lm_file, lm_final)
        for other in LM_SUFFIXES:  # an earlier model in the other format would shadow this one
            if other != suffix and (out / f"{lang}{other}").exists():
                (out / f"{lang}{other}").unlink()
        info = LmInfo(
            language=lang,
            lines=corpus.lines,
            words=corpus.words,
            distinct_words=len(corpus.distinct),
            tokens=tokens,
            vocab_size=sp.get_piece_size(),
            character_coverage=coverage,
            order=order,
            estimator=used,
            lm_format="binary" if make_binary else "arpa",
            sp_model=sp_final.name,
            lm_model=lm_final.name,
            seconds=round(time.monotonic() - started, 2),
            discounts=discounts,
            fallback_discount_orders=fallback,
        )
        meta_tmp = tmp / "meta.json"
        meta_tmp.write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
        os.replace(meta_tmp, out / f"{lang}{META_SUFFIX}")
    return info
