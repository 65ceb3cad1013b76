"""Interpolated modified Kneser-Ney n-gram estimation in numpy, written out as an ARPA file.

This is what ``thresher train-lm`` uses when KenLM's ``lmplz`` is not installed. It follows the
estimate lmplz makes (Heafield et al. 2013), so the two give the same ARPA file up to float
rounding:

* every sentence is ``<s> w1 .. wk </s>``; n-grams never cross sentences;
* adjusted counts: the raw count at the highest order and for n-grams that begin with ``<s>``
  (nothing can precede them), otherwise the number of distinct words seen to the left;
* per order, Chen & Goodman's three discounts from the counts of adjusted counts
  ``t1..t4``: ``Y = t1 / (t1 + 2 t2)``, ``Dk = k - (k + 1) Y t(k+1) / tk`` (k = 1, 2, 3+);
  when a ``tk`` is zero or a discount leaves ``[0, k]`` (tiny corpora), fixed fallback
  discounts are used instead, as ``lmplz --discount_fallback`` does;
* ``p(w | h) = (a(hw) - D(a(hw))) / Σ a(h·) + γ(h) p(w | h')`` with
  ``γ(h) = (D1 N1(h·) + D2 N2(h·) + D3 N3+(h·)) / Σ a(h·)``, down to unigrams interpolated with
  the uniform distribution over the vocabulary without ``<s>`` (``<unk>`` gets that share).

Everything is held in memory as numpy arrays and, while the ARPA file is written, the n-gram
strings of two orders: about 440 bytes per token at order 5 on diverse prose (bench/lm), so
the caller decides when a corpus is too large for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from thresher.errors import ConfigError, InputError

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
#: lmplz's ``--discount_fallback`` defaults: D1, D2, D3+.
FALLBACK_DISCOUNTS: tuple[float, float, float] = (0.5, 1.0, 1.5)
MAX_ORDER = 6
#: What lmplz splits words on: space, tab, CR and NUL (not VT or FF, as str.split() does).
_SPACES = str.maketrans(dict.fromkeys("\0\t\r\n", " "))


def split_line(line: str) -> list[str]:
    """The words of a line as lmplz reads them."""
    return [w for w in line.translate(_SPACES).split(" ") if w]


@dataclass
class OrderTable:
    """The n-grams of one order: n-gram ``g`` is ``context[g]`` (order n-1 id) + ``word[g]``."""

    context: np.ndarray
    word: np.ndarray
    suffix: np.ndarray
    adjusted: np.ndarray
    log10_prob: np.ndarray = field(default_factory=lambda: np.zeros(0))
    log10_backoff: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.word)


@dataclass
class KneserNeyModel:
    """An estimated model: vocabulary, one table per order and the discounts used."""

    order: int
    vocab: list[str]
    tables: list[OrderTable]
    discounts: list[tuple[float, float, float]]
    #: Orders (1-based) where the fallback discounts replaced the closed-form ones.
    fallback_orders: list[int]

    def counts(self) -> list[int]:
        """Number of n-grams per order, as in the ARPA header."""
        return [len(t) for t in self.tables]


class _Vocabulary:
    """Token ↔ id, with the three special tokens first."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {UNK: 0, BOS: 1, EOS: 2}
        self.words: list[str] = [UNK, BOS, EOS]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        ids = self.ids
        out = []
        for tok in tokens:
            i = ids.get(tok)
            if i is None:
                i = ids[tok] = len(self.words)
                self.words.append(tok)
            out.append(i if i > 2 else 0)  # a literal <s> or </s> inside a line counts as <unk>
        return out


def _discounts(
    adjusted: np.ndarray, fallback: tuple[float, float, float]
) -> tuple[tuple[float, float, float], bool]:
    """Chen & Goodman's D1, D2, D3+ from counts of adjusted counts; (fallback, True) when they
    cannot be computed or fall outside ``[0, k]``."""
    t = np.bincount(np.minimum(adjusted, 5), minlength=6)[1:5].astype(np.float64)
    if t[0] == 0 or t[1] == 0 or t[2] == 0:
        return fallback, True
    y = t[0] / (t[0] + 2.0 * t[1])
    d = tuple(k - (k + 1) * y * t[k] / t[k - 1] for k in (1, 2, 3))
    if any(not 0.0 <= dk <= k for k, dk in zip((1, 2, 3), d, strict=True)):
        return fallback, True
    return (float(d[0]), float(d[1]), float(d[2])), False


def _discount_of(adjusted: np.ndarray, d: tuple[float, float, float]) -> np.ndarray:
    """The discount each n-gram's adjusted count gets (0 for a count of 0)."""
    table = np.array([0.0, d[0], d[1], d[2]])
    return table[np.minimum(adjusted, 3)]


def estimate(
    sentences: Iterable[Sequence[str]],
    order: int = 5,
    fallback: tuple[float, float, float] = FALLBACK_DISCOUNTS,
) -> KneserNeyModel:
    """Estimate an interpolated modified Kneser-Ney model of ``order`` from tokenised lines.

    Empty lines are skipped. Raises :class:`InputError` when no line has a token.
    """
    if not 1 <= order <= MAX_ORDER:
        raise ConfigError(f"order {order}: the built-in estimator supports 1 to {MAX_ORDER}")
    vocab = _Vocabulary()
    chunks: list[np.ndarray] = []
    lengths: list[int] = []
    buf: list[int] = []
    for tokens in sentences:
        if not tokens:
            continue
        ids = vocab.encode(tokens)
        buf.append(1)
        buf.extend(ids)
        buf.append(2)
        lengths.append(len(ids) + 2)
        if len(buf) > 1 << 20:
            chunks.append(np.asarray(buf, dtype=np.int64))
            buf = []
    if buf:
        chunks.append(np.asarray(buf, dtype=np.int64))
    if not lengths:
        raise InputError("no tokens to estimate a language model from")
    toks = np.concatenate(chunks)
    del chunks, buf
    lens = np.asarray(lengths, dtype=np.int64)
    starts = np.cumsum(lens) - lens
    pos = np.arange(len(toks), dtype=np.int64) - np.repeat(starts, lens)
    return _estimate_arrays(toks, pos, vocab.words, order, fallback)


def _estimate_arrays(
    toks: np.ndarray,
    pos: np.ndarray,
    words: list[str],
    order: int,
    fallback: tuple[float, float, float],
) -> KneserNeyModel:
    v = len(words)
    # order 1: every vocabulary entry, its id is the token id
    raw_1 = np.bincount(toks, minlength=v)
    tables = [
        OrderTable(
            context=np.zeros(v, dtype=np.int64),
            word=np.arange(v, dtype=np.int64),
            suffix=np.zeros(v, dtype=np.int64),
            adjusted=raw_1,
        )
    ]
    starts_bos = [np.arange(v) == 1]
    prev_ids = toks  # id of the (n-1)-gram ending at each position
    for n in range(2, order + 1):
        at = np.flatnonzero(pos >= n - 1)
        keys = prev_ids[at - 1] * v + toks[at]
        uniq, first, inverse, raw = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        ends = at[first]
        tables.append(
            OrderTable(context=uniq // v, word=uniq % v, suffix=prev_ids[ends], adjusted=raw)
        )
        starts_bos.append(pos[ends] == n - 1)
        ids = np.full(len(toks), -1, dtype=np.int64)
        ids[at] = inverse.reshape(-1)
        prev_ids = ids
        # the order below now gets its adjusted counts: distinct left extensions
        lower = tables[n - 2]
        left = np.bincount(tables[n - 1].suffix, minlength=len(lower))
        lower.adjusted = np.where(starts_bos[n - 2], lower.adjusted, left)
    tables[0].adjusted[1] = 0  # <s> is never predicted
    discounts: list[tuple[float, float, float]] = []
    fell_back: list[int] = []
    for n, table in enumerate(tables, start=1):
        d, fb = _discounts(table.adjusted, fallback)
        discounts.append(d)
        if fb:
            fell_back.append(n)
    _probabilities(tables, discounts)
    return KneserNeyModel(order, words, tables, discounts, fell_back)


def _probabilities(tables: list[OrderTable], discounts: list[tuple[float, float, float]]) -> None:
    """Interpolated probabilities of every n-gram and backoffs of every context (log10)."""
    lower_prob = np.zeros(0)
    for n, table in enumerate(tables, start=1):
        a = table.adjusted.astype(np.float64)
        disc = _discount_of(table.adjusted, discounts[n - 1])
        if n == 1:
            total = a.sum()
            gamma = disc.sum() / total
            prob = (a - disc) / total + gamma / (len(a) - 1)  # uniform over all but <s>
            prob[1] = 1.0  # <s>: written as log10 0, as lmplz does; never queried
        else:
            n_ctx = len(tables[n - 2])
            total = np.bincount(table.context, weights=a, minlength=n_ctx)
            mass = np.bincount(table.context, weights=disc, minlength=n_ctx)
            is_ctx = total > 0
            gamma = np.divide(mass, total, out=np.zeros(n_ctx), where=is_ctx)
            tables[n - 2].log10_backoff = np.where(
                is_ctx, np.log10(np.where(is_ctx, gamma, 1.0)), 0.0
            )
            ctx = table.context
            prob = (a - disc) / total[ctx] + gamma[ctx] * lower_prob[table.suffix]
        table.log10_prob = np.log10(prob)
        lower_prob = prob
    tables[-1].log10_backoff = np.zeros(len(tables[-1]))


def write_arpa(model: KneserNeyModel, path: str | Path) -> None:
    """Write the model as an ARPA file (the order of lines within a section is by id)."""
    words = model.vocab
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\\data\\\n")
        for n, count in enumerate(model.counts(), start=1):
            f.write(f"ngram {n}={count}\n")
        names: list[str] = []
        for n, table in enumerate(model.tables, start=1):
            f.write(f"\n\\{n}-grams:\n")
            word_list = table.word.tolist()
            if n == 1:
                names = [words[w] for w in word_list]
            else:
                names = [
                    f"{names[c]} {words[w]}"
                    for c, w in zip(table.context.tolist(), word_list, strict=True)
                ]
            probs = table.log10_prob.tolist()
            if n < model.order:
                backoffs = table.log10_backoff.tolist()
                lines = (
                    f"{_num(p)}\t{g}\t{_num(b)}\n"
                    for p, g, b in zip(probs, names, backoffs, strict=True)
                )
            else:
                lines = (f"{_num(p)}\t{g}\n" for p, g in zip(probs, names, strict=True))
            f.writelines(lines)
        f.write("\n\\end\\\n")


def _num(x: float) -> str:
    return "0" if x == 0.0 else f"{x:.7g}" if math.isfinite(x) else "-99"
