"""Train thresher's block model (:mod:`thresher.extract.blockmodel`) on WCXB's dev split.

Usage: python bench/extract/train_blocks.py WCXB_DIR [--trafeval TRAFEVAL_DIR] [--cross]
       [--train-on all|tune|held] [--choose-thresholds]
       [--out src/thresher/extract/block_model.json]
       [--cache /tmp/blocks.pkl] [--trees 60] [--depth 5] [--keep-above 0.4] [--add-above 0.5]

Every page is extracted by the rules as ``extract_html`` does; each of its blocks gets the
features the model reads and a label: main content when its words run, in order, inside the
page's ground-truth ``main_content`` (three-word shingles for longer blocks, so quotes and
spacing do not matter); on the trafilatura set, a ``with`` snippet makes a block content and a
``without`` one boilerplate. Gradient-boosted trees are fitted with each block weighted by its
word count (the benchmark's word F1 weighs words). The pages are in two halves by a hash of
their id (see ``wcxb.py``): ``--cross`` trains on each half and scores the other (every page
judged by a model that never saw it: the honest figure), ``--train-on`` says what the written
model learns from (``all`` for the shipped one). ``--choose-thresholds`` compares keep/add
thresholds by two-fold cross-validation inside the tuning half (how the shipped 0.4 / 0.5
were chosen).
"""

from __future__ import annotations

import argparse
import hashlib
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

# this script's folder is on sys.path
from wcxb import TYPES, half_of, load_evaluate, load_pages

import thresher.extract.page as page_mod
from thresher.extract.blockmodel import (
    BLOCK_FEATURES,
    BlockModel,
    PageFacts,
    content_features,
    feature_names,
)
from thresher.extract.content import Content
from thresher.extract.layouts import profile_for

_WORD = re.compile(r"\w+")
KEPT = BLOCK_FEATURES.index("kept")  # the rules' own decision, a feature column


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Capture:
    """Wraps extract_html's helpers to keep the last Content and the page type."""

    def __init__(self) -> None:
        self.content: Content | None = None
        self.ptype: Any = None
        for name in ("extract_content", "blocks_in", "without_title", "classify"):
            original = getattr(page_mod, name)
            setattr(page_mod, name, self._wrap(name, original))

    def _wrap(self, name: str, fn: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            if name == "classify":
                self.ptype = out
            else:
                self.content = out
            return out

        return run


def label_blocks(texts: list[str], reference: str) -> tuple[np.ndarray, np.ndarray]:
    """(label 0/1, word count) per block: 1 when the block's words appear in order in the
    reference (short blocks) or most of its 3-word shingles do (longer ones)."""
    ref_tokens = _tokens(reference)
    joined = " " + " ".join(ref_tokens) + " "
    shingles = {tuple(ref_tokens[i : i + 3]) for i in range(len(ref_tokens) - 2)}
    labels = np.zeros(len(texts), dtype=np.float32)
    words = np.zeros(len(texts), dtype=np.float32)
    for i, text in enumerate(texts):
        toks = _tokens(text)
        words[i] = len(toks)
        if not toks:
            continue
        if len(toks) <= 6:
            labels[i] = (" " + " ".join(toks) + " ") in joined
        else:
            grams = [tuple(toks[j : j + 3]) for j in range(len(toks) - 2)]
            labels[i] = sum(g in shingles for g in grams) >= 0.5 * len(grams)
    return labels, words


def snippet_labels(texts: list[str], item: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(label, word count) per block from the trafilatura set's snippets: 1 when the block
    holds a ``with`` snippet, 0 when it holds a ``without`` one, -1 (unknown) otherwise."""
    labels = np.full(len(texts), -1.0, dtype=np.float32)
    words = np.zeros(len(texts), dtype=np.float32)
    flat = [" ".join(t.split()) for t in texts]
    for i, text in enumerate(flat):
        words[i] = len(_tokens(text))
        inside = any(" ".join(s.split()) in text for s in item.get("with") or [])
        outside = any(" ".join(s.split()) in text for s in item.get("without") or [])
        if inside != outside:
            labels[i] = 1.0 if inside else 0.0
    return labels, words


def page_rows(html: bytes, url: str, cap: Capture) -> tuple[np.ndarray, Any, Content] | None:
    """The rules' extraction of one page and its blocks' features (None for a thread or a
    page without text: the model does not look at those)."""
    cap.content, cap.ptype = None, None
    doc = page_mod.extract_html(html, url or None, block_model=False)
    content, ptype = cap.content, cap.ptype
    if doc is None or content is None or ptype is None or doc.metadata.get("posts"):
        return None
    # as extract_html makes them: the type named after a thread was turned down, its rules'
    # use judged on the type first found
    named = replace(ptype, name=doc.metadata["page_type"])
    sure = ptype.margin >= profile_for(ptype.name).margin
    facts = PageFacts.of(named, sure, doc.metadata.get("fallback") == "trafilatura")
    return content_features(content, facts)[0], doc, content


def collect(root: Path, trafeval: Path | None) -> dict[str, Any]:
    """Features, labels and what evaluation needs, for every page the rules cut from blocks:
    WCXB's pages, then the trafilatura set's (``set`` says which)."""
    cap = Capture()
    rows: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    words: list[np.ndarray] = []
    pages: list[dict[str, Any]] = []

    def add(pid: str, url: str, html: bytes, kind: str, truth: Any) -> None:
        got = page_rows(html, url, cap)
        if got is None:
            return
        x, doc, content = got
        texts = [b.text for b in content.page_blocks]
        if kind == "wcxb":
            ref = (truth.get("ground_truth") or {}).get("main_content") or ""
            y, w = label_blocks(texts, ref)
            page = {"type": _wcxb_type(truth), "ref": ref}
        else:
            y, w = snippet_labels(texts, truth)
            page = {"type": "trafeval", "with": truth.get("with") or [],
                    "without": truth.get("without") or []}  # fmt: skip
        page.update(id=pid, set=kind, half=half_of(pid), start=sum(len(r) for r in rows),
                    texts=texts, kept=sorted(i for i in range(len(texts)) if x[i, KEPT] > 0.5),
                    doc=doc.text)  # fmt: skip
        rows.append(x)
        labels.append(y)
        words.append(w)
        pages.append(page)

    for pid, url, html, gt in load_pages(root, "dev"):
        add(pid, url, html, "wcxb", gt)
    if trafeval is not None:
        from run import load as load_trafeval

        for url, html, item in load_trafeval(trafeval):
            add(url, url, html, "trafeval", item)
    return {
        "x": np.vstack(rows),
        "y": np.concatenate(labels),
        "w": np.concatenate(words),
        "pages": pages,
    }


def _wcxb_type(gt: dict[str, Any]) -> str:
    primary = ((gt.get("_internal") or {}).get("page_type") or {}).get("primary") or "article"
    return "collection" if primary == "category" else primary


def evaluate(
    data: dict[str, Any], keep: np.ndarray, evaluate_mod: Any
) -> dict[str, dict[str, float]]:
    """Per half: WCXB's word F1 by page type, and the trafilatura set's snippet F1 (column
    ``trafeval``), of the document as extracted, the rules' blocks and the model's blocks."""
    scores: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    snippets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for page in data["pages"]:
        n = len(page["texts"])
        mine = keep[page["start"] : page["start"] + n]
        rules = "\n".join(page["texts"][i] for i in page["kept"])
        model = "\n".join(t for t, k in zip(page["texts"], mine, strict=True) if k)
        for name, text in (("doc", page["doc"]), ("rules", rules), ("model", model)):
            if page["set"] == "wcxb":
                f1 = evaluate_mod.word_f1(text, page["ref"])[2]
                for t in ("all", page["type"]):
                    scores[page["half"], name, t].append(f1)
            else:
                counts = snippets[page["half"], name]
                for s in page["with"]:
                    counts[0 if s in text else 1] += 1  # true positive / false negative
                counts[2] += sum(s in text for s in page["without"])  # false positive
    out: dict[str, dict[str, float]] = {}
    for (half, name, t), values in scores.items():
        out.setdefault(f"{half}/{name}", {})[t] = float(np.mean(values))
    for (half, name), (tp, fn, fp) in snippets.items():
        out.setdefault(f"{half}/{name}", {})["trafeval"] = 2 * tp / max(2 * tp + fn + fp, 1)
    return out


def train(x: np.ndarray, y: np.ndarray, w: np.ndarray, args: argparse.Namespace) -> BlockModel:
    """Boosted trees on the labelled blocks (``w``: each block's weight)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    fit = HistGradientBoostingClassifier(
        max_iter=args.trees, max_depth=args.depth, learning_rate=args.rate,
        l2_regularization=1.0, random_state=0,
    )  # fmt: skip
    fit.fit(x, y, sample_weight=w)
    model = BlockModel.from_sklearn(fit, args.keep_above, args.add_above)
    check = model.probability(x[:2000])
    expected = fit.predict_proba(x[:2000])[:, 1]
    if not np.allclose(check, expected, atol=1e-6):
        raise SystemExit("the exported trees do not reproduce scikit-learn's probabilities")
    return model


#: (keep above, add above) pairs compared by --choose-thresholds.
THRESHOLDS = ((0.4, 0.5), (0.5, 0.5), (0.6, 0.5), (0.5, 0.6), (0.6, 0.6), (0.7, 0.5))


def choose_thresholds(data: dict[str, Any], weight: np.ndarray, args: argparse.Namespace) -> None:
    """Split the tuning half's pages in two by a hash of their id, train on one fold and
    score the other with every threshold pair, both ways; print the mean of the two folds
    (WCXB word F1 and trafilatura-set snippet F1). The held-out half is not touched."""
    x, y = data["x"], data["y"]
    fold = np.full(len(y), -1)
    folds: list[list[dict[str, Any]]] = [[], []]
    for page in data["pages"]:
        if page["half"] != "tune":
            continue
        k = int(hashlib.sha1(page["id"].encode()).hexdigest(), 16) % 2
        fold[page["start"] : page["start"] + len(page["texts"])] = k
        folds[k].append(page)
    scores: dict[tuple[float, float], list[tuple[float, float]]] = defaultdict(list)
    ev = load_evaluate(args.root)
    kept = x[:, KEPT] > 0.5
    for k in (0, 1):
        rows = (fold == 1 - k) & (y >= 0)
        p = train(x[rows], y[rows], weight[rows], args).probability(x)
        for low, high in THRESHOLDS:
            table = evaluate({"pages": folds[k]}, np.where(kept, p > low, p > high), ev)
            got = table["tune/model"]
            scores[low, high].append((got["all"], got.get("trafeval", float("nan"))))
    print("keep_above add_above  wcxb  trafeval  (mean of two folds of the tuning half)")
    for (low, high), values in scores.items():
        wcxb, traf = np.mean(values, axis=0)
        print(f"{low:10.2f} {high:9.2f} {wcxb:.4f} {traf:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("root", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--cache", type=Path)
    ap.add_argument(
        "--trafeval", type=Path, help="the unpacked trafilatura-eval.tgz, to learn from too"
    )
    ap.add_argument("--trafeval-weight", type=float, default=20.0)
    ap.add_argument("--trees", type=int, default=60)
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--rate", type=float, default=0.12)
    ap.add_argument("--keep-above", type=float, default=0.4)
    ap.add_argument("--add-above", type=float, default=0.5)
    ap.add_argument(
        "--train-on",
        choices=("tune", "held", "all"),
        default="all",
        help="the pages to learn from: a half (the other half then reports held-out figures) "
        "or both (the shipped model; --cross gives its honest, cross-validated figures)",
    )
    ap.add_argument(
        "--cross",
        action="store_true",
        help="two-fold cross-validation over the halves: train on each, score the other",
    )
    ap.add_argument(
        "--choose-thresholds",
        action="store_true",
        help="two-fold cross-validation inside the tuning half: the F1 of each threshold pair",
    )
    args = ap.parse_args()
    import pickle

    if args.cache and args.cache.exists():
        data = pickle.loads(args.cache.read_bytes())
    else:
        data = collect(args.root, args.trafeval)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(data))
    x, y = data["x"], data["y"]
    weight = np.sqrt(data["w"]) + 0.1  # the benchmark's F1 weighs words
    halves = np.array([""] * len(y), dtype=object)
    for page in data["pages"]:
        rows = slice(page["start"], page["start"] + len(page["texts"]))
        halves[rows] = page["half"]
        if page["set"] == "trafeval":
            weight[rows] *= args.trafeval_weight
    labelled = y >= 0
    if args.choose_thresholds:
        choose_thresholds(data, weight, args)
        return
    ev = load_evaluate(args.root)
    cols = ["all", *TYPES, "trafeval"]
    print(f"{'':16}" + "".join(f"{c[:8]:>9}" for c in cols))
    if args.cross:
        cross_validate(data, weight, args, ev, cols)
    on = labelled if args.train_on == "all" else labelled & (halves == args.train_on)
    model = train(x[on], y[on], weight[on], args)
    table = evaluate(data, model.keep(x), ev)
    print(f"trained on: {args.train_on} (a half it learned from is not a held-out figure)")
    for key in sorted(table):
        print(f"{key:16}" + "".join(f"{table[key].get(c, float('nan')):9.3f}" for c in cols))
    if args.out:
        import json

        args.out.write_text(json.dumps(model.to_json()) + "\n", encoding="utf-8")
        print(f"wrote {args.out} ({len(feature_names())} features)")


def cross_validate(
    data: dict[str, Any], weight: np.ndarray, args: argparse.Namespace, ev: Any, cols: list[str]
) -> None:
    """Train on each half and score the other: every page is scored by a model that never
    saw it, the honest figure for a model then trained on both halves."""
    x, y = data["x"], data["y"]
    keep = np.zeros(len(y), dtype=bool)
    for half in ("tune", "held"):
        rows = np.zeros(len(y), dtype=bool)
        for page in data["pages"]:
            if page["half"] == half:
                rows[page["start"] : page["start"] + len(page["texts"])] = True
        model = train(x[rows & (y >= 0)], y[rows & (y >= 0)], weight[rows & (y >= 0)], args)
        keep[~rows] = model.keep(x[~rows])
    table = evaluate(data, keep, ev)
    print("cross-validated (each half scored by the model trained on the other):")
    for key in sorted(table):
        print(f"{key:16}" + "".join(f"{table[key].get(c, float('nan')):9.3f}" for c in cols))


if __name__ == "__main__":
    main()
