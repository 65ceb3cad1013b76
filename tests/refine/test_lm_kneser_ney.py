"""The built-in modified Kneser-Ney estimator: hand-computed values, proper distributions,
and the same ARPA file as KenLM's lmplz on the same corpus (when lmplz is installed)."""

from __future__ import annotations

import math
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from thresher.errors import ConfigError, InputError
from thresher.refine.kneser_ney import estimate, split_line, write_arpa

from .test_lm import english_paragraphs

kenlm = pytest.importorskip("kenlm")

TINY = ["a b c", "a b d", "b c a", "c a b c", "a a b", "d c b a"]
needs_lmplz = pytest.mark.skipif(shutil.which("lmplz") is None, reason="lmplz not installed")


def read_arpa(path: Path) -> dict[str, tuple[float, float]]:
    """{n-gram: (log10 p, log10 backoff)} of an ARPA file."""
    out: dict[str, tuple[float, float]] = {}
    in_grams = False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("\\") and line.endswith("-grams:"):
            in_grams = True
        elif line.startswith("\\"):
            in_grams = False
        elif in_grams and line:
            cols = line.split("\t")
            out[cols[1]] = (float(cols[0]), float(cols[2]) if len(cols) > 2 else 0.0)
    return out


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kn") / "en.txt"
    path.write_text("\n".join(english_paragraphs()) + "\n", encoding="utf-8")
    return path


def test_tiny_corpus_by_hand(tmp_path: Path) -> None:
    model = estimate((s.split() for s in TINY), order=3)
    # bigram adjusted counts (left extensions; raw counts after <s>): t1=11, t2=3, t3=2
    y = 11 / 17
    assert model.discounts[1] == pytest.approx((1 - 2 * y * 3 / 11, 2 - 3 * y * 2 / 3, 3.0))
    assert model.fallback_orders == [1, 3]  # no unigram / trigram with adjusted count 1 or 2
    assert model.discounts[0] == (0.5, 1.0, 1.5)
    arpa = tmp_path / "tiny.arpa"
    write_arpa(model, arpa)
    grams = read_arpa(arpa)
    # unigrams: continuation counts a=4 b=3 c=3 d=2 </s>=4 (sum 16); gamma = 7/16 spread
    # uniformly over the 6 entries other than <s>
    assert grams["<unk>"][0] == pytest.approx(math.log10(7 / 16 / 6), abs=1e-6)
    assert grams["a"][0] == pytest.approx(math.log10(2.5 / 16 + 7 / 16 / 6), abs=1e-6)
    assert model.counts() == [7, 16, 17]
    lm = kenlm.Model(str(arpa))
    assert lm.order == 3
    assert lm.score("a", bos=False, eos=False) == pytest.approx(grams["a"][0], abs=1e-5)


def test_every_context_is_a_distribution(english: Path, tmp_path: Path) -> None:
    """Σ_w p(w | h) = 1 for contexts of every order, as KenLM reads the ARPA file."""
    lines = english.read_text(encoding="utf-8").splitlines()[:600]
    model = estimate((s.split() for s in lines), order=4)
    arpa = tmp_path / "m.arpa"
    write_arpa(model, arpa)
    lm = kenlm.Model(str(arpa))
    vocab = [w for w in model.vocab if w != "<s>"]
    contexts: list[list[str]] = [[], ["<s>"]]
    rng = random.Random(3)
    grams = [g.split() for g in read_arpa(arpa) if "</s>" not in g]
    for n in (1, 2, 3):
        of_order = [g for g in grams if len(g) == n]
        contexts += rng.sample(of_order, 6)
    contexts.append(["zzz-unseen", "the"])
    for context in contexts:
        state = kenlm.State()
        if context[:1] == ["<s>"]:
            lm.BeginSentenceWrite(state)
            context = context[1:]
        else:
            lm.NullContextWrite(state)
        for word in context:
            nxt = kenlm.State()
            lm.BaseScore(state, word, nxt)
            state = nxt
        total = sum(10 ** lm.BaseScore(state, w, kenlm.State()) for w in vocab)
        assert total == pytest.approx(1.0, abs=1e-4), context


def test_errors() -> None:
    with pytest.raises(InputError):
        estimate([[], []], order=3)
    with pytest.raises(ConfigError, match="order 7"):
        estimate([["a"]], order=7)
    model = estimate([["a", "<s>", "b"]], order=2)
    assert "<s>" in model.vocab and model.tables[1].word.tolist().count(1) == 0


def _lmplz(corpus: Path, order: int, out: Path) -> Path:
    with open(corpus, "rb") as f:
        subprocess.run(
            ["lmplz", "-o", str(order), "-S", "10%", "--discount_fallback", "--arpa", str(out)],
            stdin=f,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    return out


@needs_lmplz
@pytest.mark.parametrize("order", [2, 3, 5, 6])
def test_same_arpa_as_lmplz(english: Path, tmp_path: Path, order: int) -> None:
    ref = read_arpa(_lmplz(english, order, tmp_path / "lmplz.arpa"))
    model = estimate((split_line(s) for s in english.open(encoding="utf-8")), order)
    write_arpa(model, tmp_path / "ours.arpa")
    ours = read_arpa(tmp_path / "ours.arpa")
    assert set(ours) == set(ref)
    assert max(abs(ours[g][0] - ref[g][0]) for g in ref) < 1e-4
    assert max(abs(ours[g][1] - ref[g][1]) for g in ref) < 1e-4
    assert not model.fallback_orders


@needs_lmplz
def test_same_fallback_discounts_as_lmplz(tmp_path: Path) -> None:
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("\n".join(TINY) + "\n")
    ref = read_arpa(_lmplz(corpus, 4, tmp_path / "lmplz.arpa"))
    model = estimate((s.split() for s in TINY), 4)
    write_arpa(model, tmp_path / "ours.arpa")
    ours = read_arpa(tmp_path / "ours.arpa")
    assert model.fallback_orders and set(ours) == set(ref)
    assert max(abs(ours[g][0] - ref[g][0]) + abs(ours[g][1] - ref[g][1]) for g in ref) < 1e-4


@needs_lmplz
def test_words_are_split_as_lmplz_splits_them(tmp_path: Path) -> None:
    lines = [*TINY, "a\x00b c\td", "a\u00a0b c\rd", "c\x0bd a\x0cb", "b\x1cc a"]
    corpus = tmp_path / "odd.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ref = read_arpa(_lmplz(corpus, 3, tmp_path / "lmplz.arpa"))
    model = estimate((split_line(s) for s in lines), 3)
    write_arpa(model, tmp_path / "ours.arpa")
    ours = read_arpa(tmp_path / "ours.arpa")
    assert set(ours) == set(ref)  # NUL splits words, a no-break space does not
    assert {"a\u00a0b", "b\x1cc", "c\x0bd", "c d"} <= set(ours) and "a\x00b" not in ours
    assert max(abs(ours[g][0] - ref[g][0]) + abs(ours[g][1] - ref[g][1]) for g in ref) < 1e-4
