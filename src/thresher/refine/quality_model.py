"""The learned quality classifier of ``thresher train-quality`` (FineWeb-Edu and DCLM recipes)
and the folder it lives in (training: :mod:`thresher.refine.quality_train`).

Features: scikit-learn's HashingVectorizer over word 1-2-grams (2^20 buckets, no stored
vocabulary), sublinear TF-IDF weights and L2 rows; model: LogisticRegression (classes: score
>= ``positive_from``, or DCLM's positive/negative files) or Ridge (the annotation score
itself). Chosen by measurement against fastText's supervised trainer and the hand-written
numpy logistic regression of ``train-classifier`` (bench/classifier/quality_trainers.py,
BENCHMARKS.md).

The folder holds ``quality_model.npz`` (the IDF weights, coefficients, intercept: plain
arrays, never a pickle, so loading a model runs no code from it) and ``quality_model.json``
(how it was made: data, sizes, held-out metrics, trainer, the arrays' SHA-256).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from thresher.atomic import replacing, write_json
from thresher.errors import ConfigError

MODEL_FILE = "quality_model.npz"
META_FILE = "quality_model.json"
FORMAT = 1
N_FEATURES = 1 << 20
NGRAMS = (1, 2)


@dataclass
class QualityModel:
    """A linear model on hashed n-grams. ``kind`` binary: :meth:`predict` is the probability
    of the positive class; regression: the predicted score, clipped to [low, high]."""

    kind: str
    low: float
    high: float
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    n_features: int = N_FEATURES
    ngrams: tuple[int, int] = NGRAMS
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self._hasher = HashingVectorizer(
            n_features=self.n_features,
            ngram_range=self.ngrams,
            alternate_sign=False,
            norm=None,
            dtype=np.float64,
        )

    def vectors(self, texts: Sequence[str]) -> Any:
        """Sublinear TF-IDF rows (L2-normalised) of ``texts`` as a sparse matrix."""
        from sklearn.preprocessing import normalize

        x = self._hasher.transform(texts)
        x.data = 1.0 + np.log(x.data)
        x = x.multiply(self.idf).tocsr()
        return normalize(x, copy=False)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """One score per text (see the class docstring)."""
        if not texts:
            return np.empty(0)
        z = self.vectors(texts) @ self.coef + self.intercept
        if self.kind == "binary":
            return 1.0 / (1.0 + np.exp(-z))
        return np.clip(z, self.low, self.high)

    # -- the folder ----------------------------------------------------------------------
    def save(self, out: Path, meta: dict[str, Any]) -> dict[str, Any]:
        """Write the arrays, then the JSON (with their SHA-256) that makes the folder a model."""
        from thresher.store.writers import sha256_file

        out.mkdir(parents=True, exist_ok=True)
        with replacing(out / MODEL_FILE) as f:
            np.savez_compressed(
                f,
                idf=self.idf.astype(np.float32),
                coef=self.coef.astype(np.float32),
                intercept=np.array([self.intercept]),
            )
        meta = {
            "format": FORMAT,
            **meta,
            "model": {
                "kind": self.kind,
                "score_min": self.low,
                "score_max": self.high,
                "n_features": self.n_features,
                "ngrams": list(self.ngrams),
                "file": MODEL_FILE,
                "sha256": sha256_file(out / MODEL_FILE),
            },
        }
        write_json(out / META_FILE, meta)
        self.meta = meta
        return meta


def read_meta(model_dir: str | Path) -> dict[str, Any]:
    """The JSON of a train-quality folder; ConfigError in one line when it is not one."""
    d = Path(model_dir)
    path = d / META_FILE
    if not d.is_dir():
        raise ConfigError(f"{d}: no such model folder (made by thresher train-quality)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{d}: not a train-quality folder (no {META_FILE})") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ConfigError(f"{path}: unreadable ({type(e).__name__}: {e})") from None
    model = meta.get("model") if isinstance(meta, dict) else None
    if not isinstance(model, dict) or meta.get("format") != FORMAT:
        raise ConfigError(f"{path}: not a train-quality model description (format {FORMAT})")
    if model.get("kind") not in ("binary", "regression"):
        raise ConfigError(f"{path}: unknown model kind {model.get('kind')!r}")
    return meta


def load_model(model_dir: str | Path) -> QualityModel:
    """The model of a train-quality folder; ConfigError in one line when it is missing,
    damaged or does not match its JSON."""
    d = Path(model_dir)
    meta = read_meta(d)
    m = meta["model"]
    try:
        with np.load(d / MODEL_FILE, allow_pickle=False) as z:
            idf, coef, intercept = z["idf"], z["coef"], float(z["intercept"][0])
        n_features = int(m["n_features"])
        ngrams = (int(m["ngrams"][0]), int(m["ngrams"][1]))
        low, high = float(m["score_min"]), float(m["score_max"])
    except FileNotFoundError:
        raise ConfigError(f"{d}: the model file {MODEL_FILE} is missing") from None
    except (OSError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile) as e:
        raise ConfigError(f"{d / MODEL_FILE}: damaged ({type(e).__name__}: {e})") from None
    if idf.shape != (n_features,) or coef.shape != (n_features,):
        raise ConfigError(f"{d / MODEL_FILE}: arrays do not match {META_FILE}")
    return QualityModel(
        m["kind"], low, high, idf.astype(np.float64), coef.astype(np.float64), intercept,
        n_features, ngrams, meta,
    )  # fmt: skip
