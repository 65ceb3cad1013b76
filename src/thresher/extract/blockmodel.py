"""A learned second look at every block of a page: keep or drop, given the rules' choice.

The block walk's rules (:mod:`thresher.extract.content`) pick a container and keep prose in
it. This model reads each block's shape (length, link density, tag, the elements around it),
its neighbours, the page type's evidence and the rules' own decision, and says whether the
block is main content. It is a set of gradient-boosted trees over hand-made features,
trained by ``bench/extract/train_blocks.py`` and shipped as
JSON weights (no pickle, nothing downloaded).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

import numpy as np

from thresher.extract.content import Block, Content, first_of_repeats, is_credit
from thresher.extract.pagetype import PAGE_TYPES, PageType

#: Page types in the order of their feature columns.
TYPES = PAGE_TYPES
_TAG_GROUPS = {
    "p": 0, "li": 1, "h1": 2, "h2": 2, "h3": 2, "h4": 3, "h5": 3, "h6": 3, "tr": 4, "td": 4,
    "th": 4, "pre": 5, "blockquote": 6, "dt": 7, "dd": 7,
}  # fmt: skip
_N_TAGS = 9  # the groups above and "other" (div, section, body, ...)
_AROUND = ("article", "main", "header", "footer", "nav", "aside", "form", "table", "section",
           "li", "figure", "details")  # fmt: skip
_AROUND_BIT = {t: 1 << i for i, t in enumerate(_AROUND)}
_SENT = re.compile(r"[.!?。！？](?:\s|$)")
_DIGIT = re.compile(r"\d")
#: A block's own columns (then come the page's, PAGE_FEATURES).
BLOCK_FEATURES = (
    ["log_size", "short", "long", "link_density", "positive", "prose", "boiler", "boiler_tag",
     "counter", "link_prose", "kept", "in_region", "repeat", "depth", "position", "sentences",
     "ends_sentence", "digits", "upper_start", "prev_kept", "next_kept", "near_kept",
     "window_kept", "prev_ld", "next_ld", "prev_prose", "next_prose"]
    + [f"tag_{i}" for i in range(_N_TAGS)]
    + [f"in_{t}" for t in _AROUND]
    + ["in_comments", "in_overlay", "in_content_named"]  # content.MARK_* bits, in order
    + ["before_kept", "after_kept", "parent_kept", "parent_alone", "grand_kept", "title_case"]
)  # fmt: skip
#: Each block column's index, by name.
_COL = {name: i for i, name in enumerate(BLOCK_FEATURES)}
PAGE_FEATURES = (
    [f"type_{t}" for t in TYPES]
    + [f"evidence_{t}" for t in TYPES]
    + ["sure", "kept_share", "log_blocks", "fallback", "log_prose"]
)  # fmt: skip


#: Blocks walked down the trees at once (the index tables hold rows x trees entries).
CHUNK_ROWS = 4096


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the model knows of the page as a whole."""

    page_type: str = "article"
    evidence: tuple[float, ...] = ()
    sure: bool = False
    fallback: bool = False

    @classmethod
    def of(cls, ptype: PageType, sure: bool, fallback: bool) -> PageFacts:
        """The facts of a classified page (``sure``: its type's rules were used;
        ``fallback``: trafilatura chose the blocks): one rule for extraction and training."""
        evidence = tuple(ptype.evidence.get(t, 0.0) for t in TYPES)
        return cls(ptype.name, evidence, sure, fallback)


def block_features(
    blocks: list[Block],
    kept: set[int],
    region: set[int],
    tags: dict[int, str],
    facts: PageFacts,
    marks: dict[int, int] | None = None,
) -> np.ndarray:
    """One row per block: its own columns, then the page's (``kept``/``region``: indexes of
    blocks the rules kept / that lie in the chosen container)."""
    n = len(blocks)
    rows = np.zeros((n, len(BLOCK_FEATURES)), dtype=np.float32)
    if n == 0:
        return _expand(rows, facts, 0.0, 0, 0)
    size = np.fromiter((b.size for b in blocks), dtype=np.float32, count=n)
    chars = np.fromiter((max(len(b.text), 1) for b in blocks), dtype=np.float32, count=n)
    ld = np.fromiter((b.link_chars for b in blocks), dtype=np.float32, count=n) / chars
    weight = np.fromiter((b.weight for b in blocks), dtype=np.float32, count=n)
    keep = np.zeros(n, dtype=np.float32)
    keep[list(kept)] = 1.0
    reg = np.zeros(n, dtype=np.float32)
    reg[list(region)] = 1.0
    prose = ((weight > 0) & (size >= 80)).astype(np.float32)
    col = _COL
    rows[:, col["log_size"]] = np.log1p(size) / 8.0
    rows[:, col["short"]] = size < 25
    rows[:, col["long"]] = size >= 400
    rows[:, col["link_density"]] = np.minimum(ld, 1.0)
    rows[:, col["positive"]] = weight > 0
    rows[:, col["prose"]] = prose
    rows[:, col["kept"]] = keep
    rows[:, col["in_region"]] = reg
    # per-block columns gathered as lists (numpy item assignment is slow)
    flags = np.array(
        [(bool(b.boiler), b.boiler_tag, b.counter, b.link_prose) for b in blocks], dtype=np.float32
    )
    rows[:, col["boiler"] : col["link_prose"] + 1] = flags
    seen: set[str] = set()
    repeat: list[bool] = []
    text_cols: list[tuple[float, float, bool, float, bool]] = []
    groups: list[int] = []
    around: list[int] = []
    marks = marks or {}
    memo: dict[int, int] = {}  # element id -> bits of _AROUND tags on the way down to it
    for b in blocks:
        text = b.text
        if len(text) >= 20:
            repeat.append(text in seen)
            seen.add(text)
        else:
            repeat.append(False)
        text_cols.append(
            (
                min(len(b.ancestors), 30) / 30.0,
                min(len(_SENT.findall(text)), 5) / 5.0,
                text[-1:] in ".!?。！？:",
                len(_DIGIT.findall(text)) / len(text),
                text[:1].isupper(),
            )
        )
        groups.append(_TAG_GROUPS.get(b.tag, _N_TAGS - 1))
        around.append(_around_bits(b.ancestors, tags, marks, memo))
    rows[:, col["repeat"]] = repeat
    cols = np.array(text_cols, dtype=np.float32)
    rows[:, col["depth"]] = cols[:, 0]
    rows[:, col["sentences"] : col["upper_start"] + 1] = cols[:, 1:]
    rows[np.arange(n), col["tag_0"] + np.array(groups)] = 1.0
    around_col = col[f"in_{_AROUND[0]}"]  # the _AROUND tags, then the marks
    marks_end = col["in_content_named"] + 1
    bits = np.array(around, dtype=np.int64)[:, None] >> np.arange(marks_end - around_col)
    rows[:, around_col:marks_end] = bits & 1
    rows[:, col["before_kept"] : col["title_case"] + 1] = _context_columns(blocks, keep)
    rows[:, col["position"]] = np.arange(n, dtype=np.float32) / max(n - 1, 1)
    rows[1:, col["prev_kept"]] = keep[:-1]
    rows[:-1, col["next_kept"]] = keep[1:]
    rows[:, col["near_kept"]] = _distance_to(keep)
    sums = np.concatenate([[0.0], np.cumsum(keep)])
    at = np.arange(n)
    rows[:, col["window_kept"]] = (sums[np.minimum(at + 4, n)] - sums[np.maximum(at - 3, 0)]) / 7.0
    rows[1:, col["prev_ld"]] = rows[:-1, col["link_density"]]
    rows[:-1, col["next_ld"]] = rows[1:, col["link_density"]]
    rows[1:, col["prev_prose"]] = prose[:-1]
    rows[:-1, col["next_prose"]] = prose[1:]
    total = float(size.sum()) or 1.0
    kept_share = float((size * keep).sum()) / total
    return _expand(rows, facts, kept_share, n, float((size * prose * keep).sum()))


def _context_columns(blocks: list[Block], keep: np.ndarray) -> np.ndarray:
    """Where a block lies against the rules' choice (before its first kept block, after its
    last), among its siblings (the kept share of the other blocks under its parent element
    and under its grandparent; no other block under its parent) and the share of its words
    that start with a capital (a menu's mark)."""
    n = len(blocks)
    out = np.zeros((n, 6), dtype=np.float32)
    at = np.flatnonzero(keep)
    if len(at):
        out[: at[0], 0] = 1.0
        out[at[-1] + 1 :, 1] = 1.0
    # a block's own element is its ancestors' last: siblings share the one before
    parents = [b.ancestors[-2] if len(b.ancestors) > 1 else -1 for b in blocks]
    grands = [b.ancestors[-3] if len(b.ancestors) > 2 else -1 for b in blocks]
    for k, ids in ((2, parents), (4, grands)):
        _, group = np.unique(np.array(ids, dtype=np.int64), return_inverse=True)
        others = np.bincount(group)[group] - 1.0
        share = np.bincount(group, weights=keep)[group] - keep
        out[:, k] = share / np.maximum(others, 1.0)
        if k == 2:
            out[:, 3] = others == 0
    caps = out[:, 5]
    for i, b in enumerate(blocks):
        words = b.text.split(None, 40)[:40]
        if words:
            caps[i] = sum(map(str.isupper, "".join([w[0] for w in words]))) / len(words)
    return out


def _distance_to(keep: np.ndarray) -> np.ndarray:
    """For each block, how far (in blocks, capped at 10, scaled to 0..1) the nearest kept
    block is."""
    n = len(keep)
    at = np.arange(n)
    before = np.maximum.accumulate(np.where(keep > 0, at, -100))
    after = np.minimum.accumulate(np.where(keep > 0, at, 10**9)[::-1])[::-1]
    out = np.minimum(at - before, after - at).astype(np.float32)
    return np.minimum(out, 10.0) / 10.0


def _around_bits(
    ancestors: tuple[int, ...], tags: dict[int, str], marks: dict[int, int], memo: dict[int, int]
) -> int:
    """Bit i set when an element of tag ``_AROUND[i]`` holds the block, and the walk's
    marks (content.MARK_*) of the elements holding it above those (memoised by element:
    neighbouring blocks share most of their ancestors)."""
    j = len(ancestors) - 1
    while j >= 0 and ancestors[j] not in memo:
        j -= 1
    bits = memo[ancestors[j]] if j >= 0 else 0
    for eid in ancestors[j + 1 :]:
        bits |= _AROUND_BIT.get(tags.get(eid, ""), 0) | (marks.get(eid, 0) << len(_AROUND))
        memo[eid] = bits
    return bits


def _expand(
    rows: np.ndarray, facts: PageFacts, kept_share: float, n: int, prose: float
) -> np.ndarray:
    page = np.zeros(len(PAGE_FEATURES), dtype=np.float32)
    t = TYPES.index(facts.page_type) if facts.page_type in TYPES else len(TYPES) - 1
    page[t] = 1.0
    ev = facts.evidence
    if ev:
        s = sum(ev) or 1.0
        page[len(TYPES) : 2 * len(TYPES)] = [e / s for e in ev[: len(TYPES)]]
    k = 2 * len(TYPES)
    page[k] = facts.sure
    page[k + 1] = kept_share
    page[k + 2] = math.log1p(n) / 8.0
    page[k + 3] = facts.fallback
    page[k + 4] = math.log1p(prose) / 10.0
    return np.hstack([rows, np.broadcast_to(page, (rows.shape[0], len(page)))])


def feature_names() -> list[str]:
    """Column names of :func:`block_features`' rows, in order."""
    return list(BLOCK_FEATURES) + list(PAGE_FEATURES)


@dataclass(frozen=True)
class BlockModel:
    """Gradient-boosted trees over :func:`block_features` (as scikit-learn's
    ``HistGradientBoostingClassifier`` grows them), evaluated with numpy: every tree's nodes
    padded to one table, all blocks walked down all trees a level at a time."""

    feature: np.ndarray  # (trees, nodes) int32, -1 at a leaf
    threshold: np.ndarray  # (trees, nodes) float64: go left when x <= threshold
    left: np.ndarray  # (trees, nodes) int32
    right: np.ndarray  # (trees, nodes) int32
    value: np.ndarray  # (trees, nodes) float64: a leaf's share of the log-odds
    baseline: float
    depth: int
    sizes: tuple[int, ...]  # each tree's own number of nodes
    #: a block the rules kept stays above this probability; one they dropped needs ``add``
    keep_above: float = 0.5
    add_above: float = 0.5

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(main content) per row: every (tree, row) pair walks down one level per step
        through flat node tables in which a leaf leads to itself."""
        rows = features.shape[0]
        if rows > CHUNK_ROWS:  # a page of very many blocks: bounded memory
            parts = [
                self.probability(features[i : i + CHUNK_ROWS]) for i in range(0, rows, CHUNK_ROWS)
            ]
            return np.concatenate(parts)
        if rows == 0:
            return np.zeros(0)
        flat_feature, flat_threshold, flat_left, flat_right = self._flat
        x = np.ascontiguousarray(features.T, dtype=np.float64).ravel()
        trees, width = self.feature.shape
        node = np.repeat(np.arange(trees, dtype=np.intp) * width, rows)
        col = np.tile(np.arange(rows, dtype=np.intp), trees)
        for _ in range(self.depth):
            go_left = x[flat_feature[node] * rows + col] <= flat_threshold[node]
            node = np.where(go_left, flat_left[node], flat_right[node])
        raw = self.value.ravel()[node].reshape(trees, rows).sum(axis=0) + self.baseline
        return 1.0 / (1.0 + np.exp(-raw))

    @cached_property
    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(feature, threshold, left, right) over all trees' nodes, indexes absolute."""
        trees, width = self.feature.shape
        at = np.arange(trees * width, dtype=np.intp).reshape(trees, width)
        base = (np.arange(trees, dtype=np.intp) * width)[:, None]
        leaf = self.feature < 0
        return (
            np.where(leaf, 0, self.feature).astype(np.intp).ravel(),
            np.where(leaf, np.inf, self.threshold).ravel(),
            np.where(leaf, at, base + self.left).ravel(),
            np.where(leaf, at, base + self.right).ravel(),
        )

    def keep(self, features: np.ndarray) -> np.ndarray:
        """A boolean per row: main content (the rules' choice is the ``kept`` column)."""
        p = self.probability(features)
        kept = features[:, _COL["kept"]] > 0.5
        return np.where(kept, p > self.keep_above, p > self.add_above)

    @classmethod
    def from_trees(
        cls, trees: list[list[tuple[int, float, int, int, float]]], baseline: float,
        keep_above: float = 0.5, add_above: float = 0.5,
    ) -> BlockModel:  # fmt: skip
        """From each tree's nodes as (feature or -1, threshold, left, right, value)."""
        width = max(len(t) for t in trees)
        shape = (len(trees), width)
        feature = np.full(shape, -1, dtype=np.int32)
        threshold = np.zeros(shape, dtype=np.float64)
        left = np.zeros(shape, dtype=np.int32)
        right = np.zeros(shape, dtype=np.int32)
        value = np.zeros(shape, dtype=np.float64)
        for i, nodes in enumerate(trees):
            for j, (f, thr, lo, hi, v) in enumerate(nodes):
                feature[i, j], threshold[i, j], left[i, j], right[i, j], value[i, j] = (
                    f,
                    thr,
                    lo,
                    hi,
                    v,
                )
        depth = _depth(trees)
        sizes = tuple(len(t) for t in trees)
        return cls(
            feature, threshold, left, right, value, baseline, depth, sizes, keep_above, add_above
        )

    @classmethod
    def from_sklearn(cls, fit: Any, keep_above: float = 0.5, add_above: float = 0.5) -> BlockModel:
        """From a fitted ``HistGradientBoostingClassifier`` (binary, numeric features)."""
        trees = [
            [
                (
                    -1 if n["is_leaf"] else int(n["feature_idx"]),
                    float(n["num_threshold"]),
                    int(n["left"]),
                    int(n["right"]),
                    float(n["value"]),
                )
                for n in predictor.nodes
            ]
            for (predictor,) in fit._predictors
        ]
        baseline = float(np.ravel(fit._baseline_prediction)[0])
        return cls.from_trees(trees, baseline, keep_above, add_above)

    def to_json(self) -> dict[str, object]:
        trees = []
        for i in range(self.feature.shape[0]):
            cols = zip(self.feature[i], self.threshold[i], self.left[i], self.right[i],
                       self.value[i], strict=True)  # fmt: skip
            trees.append(
                [
                    [int(f), float(t), int(lo), int(hi), round(float(v), 7)]
                    for f, t, lo, hi, v in list(cols)[: self.sizes[i]]
                ]
            )
        return {
            "features": feature_names(),
            "baseline": self.baseline,
            "keep_above": self.keep_above,
            "add_above": self.add_above,
            "trees": trees,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockModel:
        if data.get("features") != feature_names():
            raise ValueError("the block model was trained on other features")
        trees = [[tuple(n) for n in t] for t in data["trees"]]
        return cls.from_trees(
            trees, float(data["baseline"]), float(data["keep_above"]), float(data["add_above"])
        )


def _depth(trees: list[list[tuple[int, float, int, int, float]]]) -> int:
    """The most steps from a root to a leaf in any tree."""
    deepest = 0
    for nodes in trees:
        stack = [(0, 0)]
        while stack:
            j, d = stack.pop()
            f, _, lo, hi, _ = nodes[j]
            if f < 0:
                deepest = max(deepest, d)
            else:
                stack += [(lo, d + 1), (hi, d + 1)]
    return deepest


@cache
def shipped_model() -> BlockModel | None:
    """The model shipped with thresher (None when the package holds none)."""
    try:
        text = resources.files("thresher.extract").joinpath("block_model.json").read_text()
    except (FileNotFoundError, OSError):
        return None
    return BlockModel.from_json(json.loads(text))


def content_features(content: Content, facts: PageFacts) -> tuple[np.ndarray, set[int]]:
    """:func:`block_features` of every block of an extraction (``content.page_blocks``), and
    the indexes of the blocks the rules kept: one reading for extraction and training."""
    index = {id(b): i for i, b in enumerate(content.page_blocks)}
    kept = {index[id(b)] for b in content.blocks if id(b) in index}
    region = {index[id(b)] for b in content.chosen if id(b) in index}
    rows = block_features(content.page_blocks, kept, region, content.tags, facts, content.marks)
    return rows, kept


def reconsider(
    content: Content,
    facts: PageFacts,
    markdown: bool,
    model: BlockModel,
    *,
    drop_repeats: bool = False,
    may_drop: bool = True,
) -> Content:
    """The content with the model's choice of blocks (in page order) in place of the rules'.
    The model never adds what the rules know for sure is not content (visitor counters,
    picture credits, with ``drop_repeats`` a block's second copy), and without ``may_drop``
    only adds (a listing's region, where the rules keep every card by design); ``content``
    itself comes back when the model keeps nothing (the rules' choice stands)."""
    blocks = content.page_blocks
    if not blocks:
        return content
    rows, kept = content_features(content, facts)
    keep = model.keep(rows)
    if not may_drop:
        keep[list(kept)] = True
    chosen = [
        b
        for i, (b, k) in enumerate(zip(blocks, keep, strict=True))
        if k and (i in kept or not _never_content(b))
    ]
    if drop_repeats:
        chosen = first_of_repeats(chosen)
    if not chosen:
        return content
    if {id(b) for b in chosen} == {id(blocks[i]) for i in kept}:
        return content
    return content.with_blocks(chosen, markdown)


def _never_content(block: Block) -> bool:
    """A visitor counter or a picture credit: the rules' sure calls, not the model's to undo."""
    return block.counter or is_credit(block)
