"""Train the perplexity model of one language: SentencePiece unigram + KenLM 5-gram.

The reference text (plain text lines, or document files whose ``text`` is cut into lines) is
normalised as for scoring, a SentencePiece unigram model is trained on (a sample of) it, then
the whole text, cut into pieces, is streamed into KenLM's ``lmplz`` (modified Kneser-Ney) and
the ARPA file is turned into a KenLM binary with ``build_binary``. ``lmplz`` and
``build_binary`` come from ``scripts/install-kenlm.sh``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from thresher.errors import ConfigError, InputError, ThresherError
from thresher.refine.lm import LM_SUFFIXES, META_SUFFIX, SP_SUFFIX, normalize_for_lm

#: SentencePiece's vocabulary for a large corpus (as CCNet's models).
MAX_VOCAB = 65536
#: Below this the unigram model is too coarse to be useful.
MIN_VOCAB = 256
#: Stop counting distinct words past this many (only used to size the vocabulary).
_DISTINCT_CAP = 4_000_000


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
    order: int
    sp_model: str
    lm_model: str
    seconds: float


def find_tool(name: str) -> str:
    """Path of a KenLM tool (``lmplz``, ``build_binary``) on PATH or in /usr/local/bin."""
    found = shutil.which(name) or shutil.which(name, path="/usr/local/bin")
    if found is None:
        raise ConfigError(f"{name} not found: install KenLM's tools with scripts/install-kenlm.sh")
    return found


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


def auto_vocab_size(distinct_words: int) -> int:
    """A vocabulary fitting the corpus: a quarter of its distinct words, 256 to 65,536."""
    return max(MIN_VOCAB, min(MAX_VOCAB, distinct_words // 4))


def _run(cmd: list[str], log_path: Path, **kw: object) -> None:
    with open(log_path, "ab") as err:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=err, check=False, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise ModelTrainingError(f"{Path(cmd[0]).name} failed: {_last_line(log_path)}")


def _last_line(log_path: Path) -> str:
    lines = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "(no output)"


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
) -> LmInfo:
    """Train and write ``out_dir/{lang}.sp.model``, ``{lang}.arpa.bin`` and ``{lang}.json``.

    ``vocab_size`` None adapts the SentencePiece vocabulary to the corpus; ``sp_sample`` caps
    the lines SentencePiece trains on (a random sample); ``memory`` and ``prune`` are passed to
    lmplz (``-S`` and ``--prune``). Raises :class:`InputError` when there is no text.
    """
    import sentencepiece as spm

    if not lang or "/" in lang or lang.startswith("."):
        raise ConfigError(f"--lang {lang!r}: not a language code")
    inputs = [Path(p) for p in inputs]
    for p in inputs:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
    lmplz, build_binary = find_tool("lmplz"), find_tool("build_binary")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    threads = threads or max(1, min(4, os.cpu_count() or 1))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f".train-lm-{lang}-", dir=out) as tmp_name:
        tmp = Path(tmp_name)
        norm_path = tmp / "normalized.txt"
        lines = words = 0
        distinct: set[str] = set()
        with open(norm_path, "w", encoding="utf-8") as f:
            for raw in iter_text_lines(inputs):
                line = normalize_for_lm(raw)
                if not line:
                    continue
                f.write(line)
                f.write("\n")
                lines += 1
                toks = line.split()
                words += len(toks)
                if len(distinct) < _DISTINCT_CAP:
                    distinct.update(toks)
        if lines == 0:
            names = ", ".join(str(p) for p in inputs) or "(no input)"
            raise InputError(f"{names}: no text to train a language model on")
        vocab = vocab_size or auto_vocab_size(len(distinct))

        sp_prefix = tmp / f"{lang}.sp"
        try:
            spm.SentencePieceTrainer.train(
                input=str(norm_path),
                model_prefix=str(sp_prefix),
                model_type="unigram",
                vocab_size=vocab,
                hard_vocab_limit=False,
                character_coverage=0.9999,
                input_sentence_size=sp_sample,
                shuffle_input_sentence=True,
                num_threads=threads,
                minloglevel=2,
            )
        except RuntimeError as e:
            raise ModelTrainingError(f"SentencePiece training failed: {e}") from None
        sp = spm.SentencePieceProcessor(model_file=f"{sp_prefix}.model")

        arpa = tmp / f"{lang}.arpa"
        log_path = tmp / "kenlm.log"
        cmd = [lmplz, "-o", str(order), "-S", memory, "-T", str(tmp), "--arpa", str(arpa)]
        cmd.append("--discount_fallback")  # used only when the closed-form estimate fails
        if prune:
            cmd += ["--prune", *(str(p) for p in prune)]
        tokens = 0
        with open(log_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=err, stderr=err)
            assert proc.stdin is not None
            try:
                with open(norm_path, encoding="utf-8") as f:
                    batch: list[str] = []
                    for line in f:
                        batch.append(line.rstrip("\n"))
                        if len(batch) >= 10_000:
                            tokens += _feed(sp, batch, proc.stdin, threads)
                            batch = []
                    if batch:
                        tokens += _feed(sp, batch, proc.stdin, threads)
                proc.stdin.close()
            except BrokenPipeError:
                pass
            rc = proc.wait()
        if rc != 0:
            raise ModelTrainingError(f"lmplz failed: {_last_line(log_path)}")
        binary = tmp / f"{lang}{LM_SUFFIXES[0]}"
        _run([build_binary, "-S", memory, binary_type, str(arpa), str(binary)], log_path)

        sp_final = out / f"{lang}{SP_SUFFIX}"
        lm_final = out / f"{lang}{LM_SUFFIXES[0]}"
        os.replace(f"{sp_prefix}.model", sp_final)
        os.replace(binary, lm_final)
        stale = out / f"{lang}{LM_SUFFIXES[1]}"
        if stale.exists():
            stale.unlink()  # a plain ARPA of an earlier model would shadow nothing but confuse
        info = LmInfo(
            language=lang,
            lines=lines,
            words=words,
            distinct_words=len(distinct),
            tokens=tokens,
            vocab_size=sp.get_piece_size(),
            order=order,
            sp_model=sp_final.name,
            lm_model=lm_final.name,
            seconds=round(time.monotonic() - started, 2),
        )
        meta_tmp = tmp / "meta.json"
        meta_tmp.write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
        os.replace(meta_tmp, out / f"{lang}{META_SUFFIX}")
    return info


def _feed(sp: Any, batch: list[str], stdin: IO[bytes], threads: int) -> int:
    """Cut a batch of normalised lines into pieces and write them to lmplz."""
    pieces = sp.encode(batch, out_type=str, num_threads=threads)
    text = "\n".join(" ".join(p) for p in pieces if p)
    stdin.write(text.encode("utf-8") + b"\n")
    return sum(len(p) for p in pieces)
