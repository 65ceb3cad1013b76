"""Reference discriminator (CCNet's last stage): tells pages like a reference set from the rest.

``thresher train-classifier --positive FILE --negative FILE -o DIR`` trains a logistic
regression on hashed word unigrams and bigrams (log term frequency, L2-normalised) with numpy;
the ``classifier`` refine step records ``metadata["classifier_score"]`` (the probability of
"like the reference") and drops documents below a threshold. fastText's supervised trainer is
not available offline (fasttext-predict only predicts); an embedding-bag MLP (fastText's
architecture with a hidden layer) is built in too (``hidden > 0``) and was measured against the
linear model: see BENCHMARKS.md.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from thresher.atomic import replacing, write_json
from thresher.document import Document
from thresher.errors import ConfigError, InputError
from thresher.pipeline.base import Step
from thresher.refine.minhash import MinHasher
from thresher.settings_base import Section

MODEL_FILE = "classifier.npz"
META_FILE = "classifier.json"


class ClassifierConfig(Section):
    """The reference discriminator of ``thresher train-classifier``."""

    enabled: bool = Field(False, description="score documents with a trained discriminator")
    model_dir: str | None = Field(None, description="folder written by train-classifier")
    threshold: float = Field(
        0.5, ge=0, le=1, description="drop documents scored below this (0: only record scores)"
    )


class HashedNgramClassifier:
    """Binary classifier over hashed word n-grams: logistic regression, or an MLP on an
    averaged embedding of the n-grams when ``hidden`` > 0."""

    def __init__(
        self, bits: int = 20, ngrams: Sequence[int] = (1, 2), hidden: int = 0, seed: int = 1
    ) -> None:
        self.bits, self.ngrams, self.hidden, self.seed = bits, tuple(ngrams), hidden, seed
        self._hashers = [MinHasher(1, 1, n, seed) for n in self.ngrams]
        rng = np.random.default_rng(seed)
        size = 1 << bits
        if hidden:
            self.emb = (rng.standard_normal((size, hidden)) * 0.1).astype(np.float32)
            self.b1 = np.zeros(hidden, dtype=np.float32)
            self.v = (rng.standard_normal(hidden) * 0.1).astype(np.float32)
        else:
            self.w = np.zeros(size, dtype=np.float32)
        self.b = np.float32(0.0)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Hashed n-gram indices and their weights (1 + log tf, L2-normalised)."""
        parts = [h.shingles(text) for h in self._hashers]
        hashes = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        if len(hashes) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        idx, counts = np.unique(hashes >> np.uint64(64 - self.bits), return_counts=True)
        val = (1.0 + np.log(counts)).astype(np.float32)
        val /= np.float32(np.sqrt(float(np.dot(val, val))))
        return idx.astype(np.int64), val

    def _batch(self, feats: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
        lens = np.array([len(f[0]) for f in feats], dtype=np.int64)
        idx = np.concatenate([f[0] for f in feats]) if len(feats) else np.empty(0, np.int64)
        val = np.concatenate([f[1] for f in feats]) if len(feats) else np.empty(0, np.float32)
        doc = np.repeat(np.arange(len(feats)), lens)
        return idx, val, doc, lens

    def _logits(self, idx: np.ndarray, val: np.ndarray, doc: np.ndarray, n: int) -> Any:
        if self.hidden:
            h = np.zeros((n, self.hidden), dtype=np.float32)
            np.add.at(h, doc, self.emb[idx] * val[:, None])
            z = np.maximum(h + self.b1, 0)
            return z @ self.v + self.b, z, h
        s = np.bincount(doc, weights=self.w[idx] * val, minlength=n).astype(np.float32)
        return s + self.b, None, None

    def fit(
        self,
        feats: list[tuple[np.ndarray, np.ndarray]],
        labels: np.ndarray,
        epochs: int = 20,
        lr: float | None = None,
        batch: int = 64,
        l2: float = 1e-6,
    ) -> HashedNgramClassifier:
        """Minibatch SGD on the log loss, the learning rate decaying linearly to zero.

        Default rates were tuned on held-out data (bench/classifier): 32 linear, 2 MLP.
        """
        lr = lr if lr is not None else (2.0 if self.hidden else 32.0)
        n = len(feats)
        order = list(range(n))
        rng = random.Random(self.seed)
        steps = epochs * max(1, -(-n // batch))
        step = 0
        y = labels.astype(np.float32)
        n_pos = max(1.0, float(y.sum()))
        n_neg = max(1.0, n - float(y.sum()))
        weight = np.where(y > 0, n / (2 * n_pos), n / (2 * n_neg)).astype(np.float32)
        for _ in range(epochs):
            rng.shuffle(order)
            for start in range(0, n, batch):
                sel = order[start : start + batch]
                idx, val, doc, _ = self._batch([feats[i] for i in sel])
                rate = np.float32(lr * (1 - step / steps))
                step += 1
                logit, z, _ = self._logits(idx, val, doc, len(sel))
                g = (1 / (1 + np.exp(-logit)) - y[sel]) * weight[sel] / np.float32(len(sel))
                g = g.astype(np.float32)
                self.b -= rate * g.sum()
                if self.hidden:
                    dz = np.outer(g, self.v) * (z > 0)
                    self.v -= rate * (z.T @ g + l2 * self.v)
                    self.b1 -= rate * dz.sum(axis=0)
                    np.add.at(self.emb, idx, -rate * dz[doc] * val[:, None])
                else:
                    grad = np.bincount(idx, weights=g[doc] * val, minlength=len(self.w))
                    touched = np.unique(idx)
                    self.w[touched] -= rate * (grad[touched] + l2 * self.w[touched]).astype(
                        np.float32
                    )
        return self

    def predict_features(self, feats: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        idx, val, doc, _ = self._batch(feats)
        logit, _, _ = self._logits(idx, val, doc, len(feats))
        return 1 / (1 + np.exp(-np.asarray(logit, dtype=np.float64)))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is like the reference (positive) set."""
        return self.predict_features([self.features(t) for t in texts])

    def save(self, out_dir: str | Path, info: dict[str, Any]) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {"b": np.array([self.b], dtype=np.float32)}
        if self.hidden:
            arrays.update(emb=self.emb.astype(np.float16), b1=self.b1, v=self.v)
        else:
            arrays["w"] = self.w
        with replacing(out / MODEL_FILE) as f:
            np.savez_compressed(f, **arrays)
        meta = {
            "bits": self.bits,
            "ngrams": list(self.ngrams),
            "hidden": self.hidden,
            "seed": self.seed,
            **info,
        }
        write_json(out / META_FILE, meta)

    @classmethod
    def load(cls, model_dir: str | Path) -> HashedNgramClassifier:
        d = Path(model_dir)
        try:
            meta = json.loads((d / META_FILE).read_text())
            with np.load(d / MODEL_FILE) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError) as e:
            raise ConfigError(f"{d}: not a train-classifier folder ({e})") from None
        model = cls.__new__(cls)
        model.bits, model.ngrams = int(meta["bits"]), tuple(meta["ngrams"])
        model.hidden, model.seed = int(meta["hidden"]), int(meta["seed"])
        model._hashers = [MinHasher(1, 1, n, model.seed) for n in model.ngrams]
        model.b = np.float32(arrays["b"][0])
        if model.hidden:
            model.emb = arrays["emb"].astype(np.float32)
            model.b1, model.v = arrays["b1"], arrays["v"]
        else:
            model.w = arrays["w"]
        return model


@dataclass
class ClassifierInfo:
    """What train-classifier did, written into ``classifier.json``."""

    positive: int
    negative: int
    held_out: int
    accuracy: float
    seconds: float


def read_texts(paths: Iterable[str | Path]) -> Iterator[str]:
    """Texts of document files (JSONL/Parquet: ``text``) or plain text files (one per line)."""
    from thresher.refine.lm_train import iter_text_lines
    from thresher.store import read_documents
    from thresher.store.formats import format_of

    for p in paths:
        path = Path(p)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir() or format_of(path) is not None:
            for doc in read_documents(path):
                if doc.text.strip():
                    yield doc.text
        else:
            for line in iter_text_lines([path]):
                if line.strip():
                    yield line.rstrip("\n")


def train_classifier(
    positive: Sequence[str | Path],
    negative: Sequence[str | Path],
    out_dir: str | Path,
    *,
    held_out: float = 0.1,
    hidden: int = 0,
    bits: int = 20,
    epochs: int = 20,
    seed: int = 1,
) -> ClassifierInfo:
    """Train on positive (reference) and negative (random) texts; accuracy on a held-out
    share; then retrain on everything and write ``out_dir``. The larger class is subsampled to
    at most 4× the smaller, and the classes weigh the same in the loss."""
    started = time.monotonic()
    pos = list(read_texts(positive))
    neg = list(read_texts(negative))
    for name, texts, paths in (("positive", pos, positive), ("negative", neg, negative)):
        if not texts:
            raise InputError(f"{', '.join(map(str, paths))}: no {name} texts")
    rng = random.Random(seed)
    cap = 4 * min(len(pos), len(neg))
    pos = rng.sample(pos, min(len(pos), cap))
    neg = rng.sample(neg, min(len(neg), cap))
    model = HashedNgramClassifier(bits=bits, hidden=hidden, seed=seed)
    feats = [model.features(t) for t in pos + neg]
    labels = np.array([1] * len(pos) + [0] * len(neg), dtype=np.int8)
    order = list(range(len(feats)))
    rng.shuffle(order)
    n_test = int(len(order) * held_out) if len(order) >= 20 else 0
    accuracy = float("nan")
    if n_test:
        test, train = order[:n_test], order[n_test:]
        probe = HashedNgramClassifier(bits=bits, hidden=hidden, seed=seed)
        probe.fit([feats[i] for i in train], labels[train], epochs=epochs)
        pred = probe.predict_features([feats[i] for i in test]) >= 0.5
        accuracy = round(float(np.mean(pred == (labels[test] == 1))), 4)
    model.fit(feats, labels, epochs=epochs)
    info = ClassifierInfo(
        positive=len(pos),
        negative=len(neg),
        held_out=n_test,
        accuracy=accuracy,
        seconds=round(time.monotonic() - started, 2),
    )
    model.save(out_dir, asdict(info))
    return info


class Classifier(Step):
    """Records ``metadata["classifier_score"]`` and drops documents scored below a threshold."""

    name: ClassVar[str] = "classifier"

    def __init__(self, model_dir: str | Path, threshold: float = 0.5) -> None:
        super().__init__()
        self.model = HashedNgramClassifier.load(model_dir)
        self.threshold = threshold

    @classmethod
    def from_config(cls, config: ClassifierConfig) -> Classifier:
        if config.model_dir is None:
            raise ConfigError("refine.classifier.model_dir: required when the step is enabled")
        return cls(config.model_dir, config.threshold)

    def process(self, doc: Document) -> Document | str:
        score = float(self.model.predict([doc.text])[0])
        doc.metadata["classifier_score"] = round(score, 4)
        if score < self.threshold:
            return "classifier_below_threshold"
        return doc
