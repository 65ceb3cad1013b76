"""Choose the reference discriminator by measurement: linear vs MLP on hashed n-grams.

Two tasks built from the trafilatura evaluation pages (../shared/eval/trafilatura-eval.tgz,
unpacked with ``tar xzf``) so that nothing is downloaded:

* prose-vs-boilerplate: positive = a page's paragraphs (``<p>`` with >= 25 words), negative =
  the same page's menu, list and footer text (``<li>``, ``<nav>``, ``<footer>``, link texts);
* reference-vs-web: positive = paragraphs of Python's standard-library docstrings grouped into
  documents, negative = page paragraphs (a "reference set" unlike generic web text).

Usage: python bench/classifier/compare.py EVAL_DIR   (EVAL_DIR holds tests/eval/*.html)
Prints held-out accuracy (5 folds), training time and scoring speed per model.
"""

from __future__ import annotations

import importlib
import inspect
import random
import sys
import time
from pathlib import Path

import numpy as np
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from thresher.refine.classifier import HashedNgramClassifier


def page_sets(eval_dir: Path) -> tuple[list[str], list[str]]:
    prose, boiler = [], []
    for f in sorted((eval_dir / "tests" / "eval").glob("*.html")):
        tree = HTMLParser(f.read_bytes())
        paras = [n.text(strip=True) for n in tree.css("p")]
        paras = [p for p in paras if len(p.split()) >= 25]
        junk = [n.text(strip=True) for n in tree.css("li, nav, footer, a, button, label")]
        junk = [j for j in junk if 0 < len(j.split()) < 25]
        if len(paras) >= 2 and len(junk) >= 5:
            prose.append("\n".join(paras[:8]))
            boiler.append("\n".join(junk[:40]))
    return prose, boiler


def docstring_docs() -> list[str]:
    mods = (
        "argparse collections logging email json os subprocess asyncio pathlib unittest "
        "decimal datetime textwrap string re shutil tarfile zipfile csv sqlite3 threading "
        "socket difflib pickle functools itertools statistics random calendar tempfile inspect"
    )
    paras: dict[str, None] = {}
    for name in mods.split():
        for _, obj in inspect.getmembers(importlib.import_module(name)):
            doc = inspect.getdoc(obj)
            for par in (doc or "").split("\n\n"):
                par = " ".join(par.split())
                if len(par.split()) >= 8:
                    paras[par] = None
    items = list(paras)
    return ["\n".join(items[i : i + 4]) for i in range(0, len(items), 4)]


def evaluate(name: str, pos: list[str], neg: list[str], **kw: int) -> None:
    rng = random.Random(0)
    n = min(len(pos), len(neg))
    texts = rng.sample(pos, n) + rng.sample(neg, n)
    y = np.array([1] * n + [0] * n)
    order = np.array(rng.sample(range(2 * n), 2 * n))
    folds = np.array_split(order, 5)
    accs, train_s, score_rate = [], 0.0, []
    for k in range(5):
        test = folds[k]
        train = np.concatenate([folds[j] for j in range(5) if j != k])
        model = HashedNgramClassifier(**kw)
        t0 = time.perf_counter()
        feats = [model.features(texts[i]) for i in train]
        model.fit(feats, y[train])
        train_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        p = np.array([model.predict([texts[i]])[0] for i in test])
        score_rate.append(len(test) / (time.perf_counter() - t0))
        accs.append(float(np.mean((p >= 0.5) == (y[test] == 1))))
    print(
        f"{name:22s} {kw!s:32s} n={2 * n:5d} acc={np.mean(accs):.3f}±{np.std(accs):.3f} "
        f"train={train_s / 5:.2f}s score={np.mean(score_rate):.0f} docs/s"
    )


def main() -> None:
    eval_dir = Path(sys.argv[1])
    prose, boiler = page_sets(eval_dir)
    ref = docstring_docs()
    variants = [
        {"hidden": 0, "ngrams": (1,)},
        {"hidden": 0, "ngrams": (1, 2)},
        {"hidden": 16, "ngrams": (1, 2), "bits": 18},
    ]
    for kw in variants:
        evaluate("prose-vs-boilerplate", prose, boiler, **kw)
    for kw in variants:
        evaluate("reference-vs-web", ref, prose, **kw)


if __name__ == "__main__":
    main()
