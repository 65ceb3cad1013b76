"""Language-model perplexity, CCNet's way: SentencePiece tokens scored by a KenLM 5-gram.

A model folder (``refine --lm-dir DIR``, written by ``thresher train-lm``) holds, per language
``L``, the files CCNet uses: ``L.sp.model`` (SentencePiece unigram) and ``L.arpa.bin`` (KenLM
binary; a plain ``L.arpa`` also loads), plus ``L.json`` with how the model was trained.

Each line of a document is normalised as CCNet does before its language model (strip,
lowercase, accents stripped, every digit → ``0``, Unicode punctuation mapped to ASCII,
non-printing characters removed), cut into SentencePiece pieces and scored with ``<s>`` and
``</s>``. Document perplexity is ``10 ** (-Σ log10 p / Σ tokens)`` where each line counts its
pieces plus one for ``</s>``, rounded to one decimal, as in CCNet's ``DocLM``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from thresher.document import Document
from thresher.errors import ConfigError
from thresher.pipeline.base import Step
from thresher.refine.normalize import normalize_for_lm

log = logging.getLogger(__name__)

#: File names of a language's model inside a model folder.
SP_SUFFIX = ".sp.model"
LM_SUFFIXES = (".arpa.bin", ".arpa")
META_SUFFIX = ".json"


def import_module(name: str) -> Any:
    """``kenlm`` or ``sentencepiece`` (main dependencies of thresher); a missing one is a
    one-line error saying what to install, not a traceback."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        package = "ufal-kenlm" if name == "kenlm" else name
        raise ConfigError(
            f"perplexity needs the {name} module, a dependency of thresher: "
            f"pip install {package} (or reinstall thresher)"
        ) from None


def _quiet_config(kenlm: Any) -> Any:
    """Load options that keep KenLM from printing progress bars and ARPA advice on stderr."""
    config = kenlm.Config()
    config.show_progress = False
    config.arpa_complain = kenlm.ARPALoadComplain.NONE
    return config


class LanguageModel:
    """A SentencePiece model and a KenLM model for one language; scores texts."""

    def __init__(self, sp_path: str | Path, lm_path: str | Path) -> None:
        kenlm, spm = import_module("kenlm"), import_module("sentencepiece")
        self.sp_path = Path(sp_path)
        self.lm_path = Path(lm_path)
        try:
            self.sp = spm.SentencePieceProcessor(model_file=str(self.sp_path))
        except (OSError, RuntimeError) as e:
            raise ConfigError(f"{self.sp_path}: not a SentencePiece model: {e}") from None
        try:
            self.lm = kenlm.Model(str(self.lm_path), _quiet_config(kenlm))
        except (OSError, RuntimeError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ConfigError(f"{self.lm_path}: not a KenLM model: {first}") from None

    @classmethod
    def from_dir(
        cls, lm_dir: str | Path, lang: str, listed: Iterable[str] | None = None
    ) -> LanguageModel | None:
        """Load language ``lang`` from a model folder, or None when the folder has no model.

        ``lang`` must be one of the languages the folder lists (``listed``, else read now),
        compared as an exact string: a code from the data (``../elsewhere/x``) never names a
        file outside the folder."""
        d = Path(lm_dir)
        if lang not in (available_languages(d) if listed is None else set(listed)):
            return None
        sp = d / f"{lang}{SP_SUFFIX}"
        lm = next((d / f"{lang}{s}" for s in LM_SUFFIXES if (d / f"{lang}{s}").is_file()), None)
        if lm is None or not sp.is_file():
            return None
        return cls(sp, lm)

    def tokenize(self, lines: list[str]) -> list[list[str]]:
        """Normalise lines and cut them into SentencePiece pieces (empty lines give [])."""
        norm = [normalize_for_lm(line) for line in lines]
        return self.sp.encode(norm, out_type=str)

    def log_score(self, text: str) -> tuple[float, int]:
        """Σ log10 p over the lines of ``text`` and the number of tokens (pieces + ``</s>``)."""
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return 0.0, 0
        score = self.lm.score
        total = 0.0
        n = 0
        for pieces in self.tokenize(lines):
            if not pieces:
                continue
            total += score(" ".join(pieces))
            n += len(pieces) + 1
        return total, n

    def perplexity(self, text: str) -> float | None:
        """Document perplexity (one decimal), or None when the text has no tokens."""
        total, n = self.log_score(text)
        if n == 0:
            return None
        return round(10.0 ** (-total / n), 1)


def available_languages(lm_dir: str | Path) -> list[str]:
    """Languages with both a SentencePiece and a KenLM model in ``lm_dir`` (its listing: file
    names, so never a code with a path separator)."""
    d = Path(lm_dir)
    try:
        names = {p.name for p in d.iterdir() if p.is_file()}
    except OSError:
        return []
    langs = []
    for name in sorted(names):
        lang = name[: -len(SP_SUFFIX)] if name.endswith(SP_SUFFIX) else ""
        if lang and any(f"{lang}{s}" in names for s in LM_SUFFIXES):
            langs.append(lang)
    return langs


class LanguageModels:
    """The models of a folder, loaded on first use per language; a language is looked up in
    the folder's listing (read once per process), never turned into a path unchecked."""

    def __init__(self, lm_dir: str | Path | None) -> None:
        self.lm_dir = Path(lm_dir) if lm_dir is not None else None
        if self.lm_dir is not None and not self.lm_dir.is_dir():
            raise ConfigError(f"{self.lm_dir}: language model folder not found")
        self._loaded: dict[str, LanguageModel | None] = {}
        self._listed: frozenset[str] | None = None

    @property
    def languages(self) -> frozenset[str]:
        """The languages the folder has a model for."""
        if self._listed is None:
            found = available_languages(self.lm_dir) if self.lm_dir is not None else []
            self._listed = frozenset(found)
        return self._listed

    def get(self, lang: str | None) -> LanguageModel | None:
        """The model for ``lang``, or None (no folder, no language, or no model for it)."""
        if lang is None or self.lm_dir is None or lang not in self.languages:
            return None
        if lang not in self._loaded:
            self._loaded[lang] = LanguageModel.from_dir(self.lm_dir, lang, self.languages)
        return self._loaded[lang]

    def __getstate__(self) -> dict[str, Any]:
        return {"lm_dir": self.lm_dir, "_loaded": {}, "_listed": None}


class Perplexity(Step):
    """Sets ``doc.perplexity`` with the model of the document's language; never drops.

    A language without a model gets no perplexity (its documents go to bucket ``all``); that
    is logged once per language (by the refine runner, once per run, when ``quiet``).
    """

    name: ClassVar[str] = "perplexity"

    def __init__(self, lm_dir: str | Path | None, languages: Iterable[str] | None = None) -> None:
        super().__init__()
        self.models = LanguageModels(lm_dir)
        if lm_dir is not None:  # fail before any document is read, not on the first scored one
            import_module("kenlm")
            import_module("sentencepiece")
        self.languages = set(languages) if languages is not None else None
        self._warned: set[str] = set()
        #: no warning of its own: the refine runner warns once per language for the run
        self.quiet = False

    def process(self, doc: Document) -> Document | str:
        lang = doc.language
        if self.languages is not None and lang not in self.languages:
            self.stats.count("language_not_scored")
            return doc
        model = self.models.get(lang)
        if model is None:
            self._no_model(lang)
            return doc
        ppl = model.perplexity(doc.text)
        if ppl is None:
            self.stats.count("no_tokens")
        else:
            doc.perplexity = ppl
            self.stats.count("scored")
        return doc

    def _no_model(self, lang: str | None) -> None:
        key = lang or "<none>"
        self.stats.count(f"no_model:{key}")
        if key not in self._warned and not self.quiet:
            self._warned.add(key)
            where = self.models.lm_dir or "(no --lm-dir given)"
            log.warning("no language model for %r in %s: no perplexity, bucket 'all'", key, where)
