"""Training of the quality classifier (``thresher train-quality``): the training set from
annotations (FineWeb-Edu) or positive and negative texts (DCLM), held-out metrics (accuracy,
F1, ROC AUC, Spearman), the final fit and the model folder's JSON
(:mod:`thresher.refine.quality_model`)."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from thresher import __version__
from thresher.errors import ConfigError, InputError
from thresher.refine.quality_model import N_FEATURES, NGRAMS, QualityModel

#: held-out metrics need at least this many documents aside (else they are null)
MIN_HELD_OUT = 10


@dataclass
class TrainingSet:
    """Texts with their targets and what the model JSON says of where they came from."""

    texts: list[str]
    scores: np.ndarray
    languages: list[str]
    data: dict[str, Any]
    low: float = 0.0
    high: float = 1.0


def annotated_set(paths: Sequence[str | Path]) -> TrainingSet:
    """Documents written by ``thresher annotate`` (``metadata.annotation.score``); documents
    without a score are skipped and counted."""
    from thresher.store import read_documents

    texts: list[str] = []
    scores: list[float] = []
    langs: list[str] = []
    prompts: Counter[str] = Counter()
    models: Counter[str] = Counter()
    unscored = 0
    for doc in read_documents([str(p) for p in _existing(paths)]):
        ann = doc.metadata.get("annotation")
        score = ann.get("score") if isinstance(ann, dict) else None
        if isinstance(score, bool) or not isinstance(score, int | float) or not doc.text.strip():
            unscored += 1
            continue
        texts.append(doc.text)
        scores.append(float(score))
        langs.append(doc.language or "unknown")
        prompts[str(ann.get("prompt"))] += 1
        models[str(ann.get("model"))] += 1
    if not texts:
        raise InputError(
            f"{', '.join(map(str, paths))}: no document with metadata.annotation.score "
            "(made by thresher annotate)"
        )
    from thresher.refine.annotate_prompts import BUILT_IN

    low, high = min(scores), max(scores)
    name = prompts.most_common(1)[0][0]
    if name in BUILT_IN:  # the prompt's declared range, not just the scores seen
        low, high = BUILT_IN[name].low, BUILT_IN[name].high
    data = {
        "recipe": "annotations",
        "inputs": [str(p) for p in paths],
        "documents": len(texts),
        "skipped_without_score": unscored,
        "prompts": dict(prompts),
        "annotators": dict(models),
        "by_score": {f"{k:g}": v for k, v in sorted(Counter(scores).items())},
        "by_language": dict(Counter(langs).most_common()),
    }
    return TrainingSet(texts, np.array(scores), langs, data, low, high)


def labelled_set(positive: Sequence[str | Path], negative: Sequence[str | Path]) -> TrainingSet:
    """DCLM's recipe: texts of the positive files against texts of the negative ones
    (document files or folders, or plain text, one per line)."""
    from thresher.refine.classifier import read_texts

    pos = list(read_texts(_existing(positive)))
    neg = list(read_texts(_existing(negative)))
    for name, texts, paths in (("positive", pos, positive), ("negative", neg, negative)):
        if not texts:
            raise InputError(f"{', '.join(map(str, paths))}: no {name} texts")
    data = {
        "recipe": "positive/negative",
        "positive": [str(p) for p in positive],
        "negative": [str(p) for p in negative],
        "documents": len(pos) + len(neg),
        "by_label": {"positive": len(pos), "negative": len(neg)},
    }
    scores = np.array([1.0] * len(pos) + [0.0] * len(neg))
    return TrainingSet(pos + neg, scores, ["unknown"] * len(scores), data, 0.0, 1.0)


def _existing(paths: Iterable[str | Path]) -> list[str | Path]:
    out = list(paths)
    for p in out:
        if not str(p).startswith(("s3://", "hf:")) and not Path(p).exists():
            raise InputError(f"{p}: no such file or folder")
    return out


@dataclass
class TrainReport:
    """What train-quality did (also in the model JSON)."""

    meta: dict[str, Any]

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.meta.get("metrics", {}).get("held_out") or {})

    def line(self, out: Path) -> str:
        m, s = self.metrics, self.meta["sizes"]
        shown = ", ".join(f"{k} {v}" for k, v in m.items() if k != "documents") or (
            f"none (fewer than {MIN_HELD_OUT} documents held out)"
        )
        return (
            f"{s['documents']} documents ({self.meta['target']}); held-out metrics on "
            f"{s['held_out']}: {shown} -> {out} ({self.meta['seconds']} s, "
            f"{self.meta['trainer']['name']})"
        )


def _fit(x: Any, y: np.ndarray, kind: str, c: float, seed: int) -> tuple[np.ndarray, float]:
    """Coefficients and intercept of the linear model on the rows ``x``."""
    from sklearn.linear_model import LogisticRegression, Ridge

    if kind == "binary":
        model: Any = LogisticRegression(  # the dual problem: rows << 2^20 columns
            C=c, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000,
            random_state=seed,
        )  # fmt: skip
        model.fit(x, y.astype(int))
        return model.coef_[0].astype(np.float64), float(model.intercept_[0])
    model = Ridge(alpha=1.0 / c, random_state=seed)
    model.fit(x, y)
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


def _idf(hashed: Any, n_features: int) -> np.ndarray:
    """Smoothed inverse document frequencies of hashed rows (scikit-learn's formula)."""
    df = np.bincount(hashed.indices, minlength=n_features)
    n = hashed.shape[0]
    return np.log((1 + n) / (1 + df)) + 1.0


def _model(
    texts: Sequence[str], y: np.ndarray, kind: str, low: float, high: float, c: float, seed: int
) -> QualityModel:
    blank = QualityModel(kind, low, high, np.ones(N_FEATURES), np.zeros(N_FEATURES), 0.0)
    hashed = blank._hasher.transform(texts)
    blank.idf = _idf(hashed.tocsr(), N_FEATURES)
    coef, intercept = _fit(blank.vectors(texts), y, kind, c, seed)
    blank.coef, blank.intercept = coef, intercept
    return blank


def held_out_metrics(
    scores: np.ndarray, truth_scores: np.ndarray, kind: str, positive_from: float
) -> dict[str, Any]:
    """Accuracy, F1 and ROC AUC of the positive class, Spearman of scores against the truth."""
    from scipy.stats import spearmanr
    from sklearn.metrics import f1_score, roc_auc_score

    truth = truth_scores >= positive_from
    cut = 0.5 if kind == "binary" else positive_from - 0.5  # a regression's round(score)
    pred = scores >= cut
    out: dict[str, Any] = {
        "documents": len(scores),
        "accuracy": round(float(np.mean(pred == truth)), 4),
        "f1": round(float(f1_score(truth, pred, zero_division=0.0)), 4),
    }
    if 0 < truth.sum() < len(truth):
        out["auc"] = round(float(roc_auc_score(truth, scores)), 4)
    if len(set(truth_scores.tolist())) > 1 and len(set(scores.tolist())) > 1:
        out["spearman"] = round(float(spearmanr(scores, truth_scores).statistic), 4)
    return out


def train_quality(
    data: TrainingSet,
    out: str | Path,
    *,
    target: str = "binary",
    positive_from: float = 3.0,
    held_out: float = 0.2,
    c: float = 10.0,
    seed: int = 0,
) -> TrainReport:
    """Train on ``data``: metrics on a held-out share (split by class, ``seed``), then the
    model refitted on every document, written to ``out`` with its JSON."""
    import sklearn

    started = time.monotonic()
    if target not in ("binary", "regression"):
        raise ConfigError(f"--target {target!r}: binary or regression")
    if data.data["recipe"] != "annotations":
        if target == "regression":
            raise ConfigError("--target regression needs annotation scores, not --positive")
        positive_from = 1.0
    truth = data.scores >= positive_from
    if truth.all() or not truth.any():
        side = "at or above" if truth.all() else "below"
        raise InputError(
            f"all {len(truth)} documents score {side} {positive_from:g}: a classifier needs "
            "both sides (--positive-from)"
        )
    y = truth.astype(np.float64) if target == "binary" else data.scores
    low, high = (0.0, 1.0) if target == "binary" else (data.low, data.high)
    test = _held_out(truth, held_out, seed)
    metrics: dict[str, Any] | None = None
    if len(test) >= MIN_HELD_OUT:
        train = np.setdiff1d(np.arange(len(y)), test)
        probe = _model([data.texts[i] for i in train], y[train], target, low, high, c, seed)
        scores = probe.predict([data.texts[i] for i in test])
        metrics = held_out_metrics(scores, data.scores[test], target, positive_from)
    model = _model(data.texts, y, target, low, high, c, seed)
    if data.data["recipe"] != "annotations":
        meaning = "probability that a document is like the positive texts"
    elif target == "binary":
        meaning = f"probability that a document scores >= {positive_from:g}"
    else:
        meaning = f"predicted annotation score, {low:g} to {high:g}"
    params: dict[str, Any] = (
        {"C": c, "class_weight": "balanced", "solver": "liblinear (dual)"}
        if target == "binary"
        else {"alpha": 1.0 / c}
    )
    meta = {
        "made_by": f"thresher {__version__} train-quality",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "target": target,
        "positive_from": positive_from,
        "quality_score": meaning,
        "data": data.data,
        "sizes": {
            "documents": len(y),
            "positive": int(truth.sum()),
            "negative": int((~truth).sum()),
            "held_out": len(test) if metrics else 0,
            "final_fit": len(y),
        },
        "metrics": {"held_out": metrics, "split_seed": seed, "held_out_share": held_out},
        "trainer": {
            "name": "scikit-learn " + ("LogisticRegression" if target == "binary" else "Ridge"),
            "version": sklearn.__version__,
            "features": f"hashed word {NGRAMS[0]}-{NGRAMS[1]}-grams (2^20), sublinear TF-IDF, L2",
            "params": params,
            "chosen_by": "bench/classifier/quality_trainers.py (BENCHMARKS.md)",
        },
    }
    meta["seconds"] = round(time.monotonic() - started, 2)
    meta = model.save(Path(out), meta)
    return TrainReport(meta)


def _held_out(truth: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Indices held out: ``share`` of each class, chosen with ``seed``."""
    rng = random.Random(seed)
    out: list[int] = []
    for side in (True, False):
        idx = [int(i) for i in np.flatnonzero(truth == side)]
        rng.shuffle(idx)
        out.extend(idx[: round(len(idx) * share)])
    return np.array(sorted(out), dtype=np.int64)
