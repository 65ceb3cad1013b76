"""The learned block model: its tree evaluator, its file, and what it changes on a page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from thresher.cli import main
from thresher.extract import extract_html
from thresher.extract.blockmodel import (
    BLOCK_FEATURES,
    BlockModel,
    PageFacts,
    block_features,
    feature_names,
    shipped_model,
)
from thresher.extract.budget import Deadline
from thresher.extract.config import ExtractConfig
from thresher.extract.content import extract_content
from thresher.extract.page import parse_html
from thresher.store import read_documents


def _fitted(seed: int = 0) -> tuple[HistGradientBoostingClassifier, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((3000, len(feature_names()))).astype(np.float32)
    kept = BLOCK_FEATURES.index("kept")
    x[:, kept] = rng.random(3000) > 0.5
    y = ((x[:, 0] + x[:, 3] * x[:, kept] + 0.2 * rng.standard_normal(3000)) > 0.9).astype(int)
    fit = HistGradientBoostingClassifier(max_iter=30, max_depth=4, random_state=0).fit(x, y)
    return fit, x


def test_the_numpy_trees_give_scikit_learns_probabilities() -> None:
    fit, x = _fitted()
    model = BlockModel.from_sklearn(fit)
    assert np.allclose(model.probability(x), fit.predict_proba(x)[:, 1], atol=1e-6)


def test_many_blocks_are_scored_in_chunks_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import thresher.extract.blockmodel as blockmodel

    fit, x = _fitted(2)
    model = BlockModel.from_sklearn(fit)
    whole = model.probability(x)
    monkeypatch.setattr(blockmodel, "CHUNK_ROWS", 7)
    assert np.allclose(model.probability(x), whole)


class _HalfSpent(Deadline):
    """A page budget with less than half of its time left (and never passed)."""

    def left(self) -> float:
        return self.seconds / 4

    def check(self) -> None:
        return None


def test_a_page_that_has_used_half_its_time_keeps_the_rules_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import thresher.extract.blockmodel as blockmodel

    calls: list[int] = []
    real = blockmodel.reconsider

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(blockmodel, "reconsider", counted)
    html = ARTICLE_IN_WIDGETS
    rules = extract_html(html, "http://example.com/p", block_model=False)
    late = extract_html(html, "http://example.com/p", deadline=_HalfSpent(10.0))
    assert calls == [] and late is not None and rules is not None and late.text == rules.text
    full = extract_html(html, "http://example.com/p", deadline=Deadline(60.0))
    assert calls == [1] and full is not None and full.text != rules.text


def test_a_model_survives_its_json_file_and_keeps_its_thresholds() -> None:
    fit, x = _fitted(1)
    model = BlockModel.from_sklearn(fit, keep_above=0.3, add_above=0.8)
    again = BlockModel.from_json(json.loads(json.dumps(model.to_json())))
    assert np.allclose(again.probability(x), model.probability(x), atol=1e-6)
    p = model.probability(x)
    kept = x[:, BLOCK_FEATURES.index("kept")] > 0.5
    assert (again.keep(x) == np.where(kept, p > 0.3, p > 0.8)).all()


def test_a_model_of_other_features_is_refused() -> None:
    fit, _ = _fitted()
    data = BlockModel.from_sklearn(fit).to_json()
    data["features"] = ["something", "else"]
    with pytest.raises(ValueError, match="other features"):
        BlockModel.from_json(data)


def test_the_shipped_model_reads_todays_features() -> None:
    model = shipped_model()
    assert model is not None
    assert model.depth >= 1 and model.feature.max() < len(feature_names())


def test_features_have_one_row_per_block_and_the_rules_choice() -> None:
    html = (
        "<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav><article>"
        + "".join(f"<p>{'A sentence of the article body goes here. ' * 6}</p>" for _ in range(4))
        + "</article><footer>© 2026 Example</footer></body></html>"
    )
    tree, _ = parse_html(html)
    content = extract_content(tree)
    blocks = content.page_blocks
    index = {id(b): i for i, b in enumerate(blocks)}
    kept = {index[id(b)] for b in content.blocks}
    rows = block_features(blocks, kept, kept, content.tags, PageFacts("article", (1.0,) * 8))
    assert rows.shape == (len(blocks), len(feature_names()))
    assert list(rows[:, BLOCK_FEATURES.index("kept")]) == [
        float(i in kept) for i in range(len(blocks))
    ]
    assert np.isfinite(rows).all()
    assert block_features([], set(), set(), {}, PageFacts()).shape == (0, len(feature_names()))


def test_context_columns_place_a_block_against_the_rules_choice_and_its_siblings() -> None:
    html = (
        "<html><body><div class='top'><p>Menu one</p><p>Menu two</p></div><article>"
        + "".join(f"<p>{'A sentence of the article body goes here. ' * 6}</p>" for _ in range(3))
        + "</article><ul class='cards'><li>Blue mug $12.99</li><li>Red Mug Sale Now</li></ul>"
        "</body></html>"
    )
    tree, _ = parse_html(html)
    content = extract_content(tree)
    blocks = content.page_blocks
    index = {id(b): i for i, b in enumerate(blocks)}
    kept = {index[id(b)] for b in content.blocks}
    assert kept == {2, 3, 4}
    rows = block_features(blocks, kept, kept, content.tags, PageFacts("article", (1.0,) * 8))

    def col(name: str) -> list[float]:
        return [round(float(v), 2) for v in rows[:, BLOCK_FEATURES.index(name)]]

    assert col("before_kept") == [1, 1, 0, 0, 0, 0, 0]
    assert col("after_kept") == [0, 0, 0, 0, 0, 1, 1]
    # each paragraph's two siblings in <article> are kept; the menu's sibling is not
    assert col("parent_kept") == [0, 0, 1, 1, 1, 0, 0]
    assert col("parent_alone") == [0, 0, 0, 0, 0, 0, 0]
    # the article's and the lists' parent is the body: kept shares of three of six others
    assert col("grand_kept")[0] == 0.5
    assert col("title_case")[1] == 0.5 and col("title_case")[6] == 1.0


ARTICLE_IN_WIDGETS = (
    "<html><head><title>Plants for dark corners</title></head><body>"
    "<nav class='menu'><a href='/'>Home</a> <a href='/shop'>Shop</a> <a href='/visit'>Visit</a>"
    "</nav><main><article><h1>Plants for dark corners</h1>"
    "<p>As the year begins our rooms can seem dark, especially on overcast days, and the light "
    "that passes through the windows is weaker and shorter than in summer. That is no problem "
    "for several plants that brighten a drab corner with striking leaves.</p>"
    "<p>These are old favourites your grandmother may have grown, and they thrive indoors "
    "through the bleak months. Here are some workhorses for low-light places.</p>"
    + "".join(
        f"<div class='ck-widget grid'><div class='ck-widget row'><div class='col'>"
        f"<img src='/img/plant-{n}.jpg' alt='Plant number {n}'><h6>Plant number {n}</h6>"
        f"<p>Plant number {n} needs little water and less light; its leaves stay green through "
        f"the winter, and it can stay in its pot for years before it needs a larger one. Wipe "
        f"the dust off its leaves now and then with a damp cloth, and let the soil dry between "
        f"waterings. It grows slowly in a dim corner but it does grow, and it forgives the odd "
        f"week of neglect while you are away. Newer kinds have silver or yellow edges on their "
        f"leaves, which brighten a dark room even more than the plain green ones do.</p>"
        f"</div></div></div>"
        for n in range(1, 5)
    )
    + "<p>Whichever you choose, water sparingly in winter and feed in spring.</p>"
    "</article></main><footer>© 2026 The Garden · <a href='/privacy'>Privacy</a></footer>"
    "</body></html>"
)


def test_the_model_brings_back_prose_the_rules_left_in_layout_named_boxes() -> None:
    rules = extract_html(ARTICLE_IN_WIDGETS, "https://garden.example/plants", block_model=False)
    learned = extract_html(ARTICLE_IN_WIDGETS, "https://garden.example/plants")
    assert rules is not None and learned is not None
    assert "Plant number 3 needs little water" not in rules.text  # "widget" reads as layout
    assert "Plant number 3 needs little water" in learned.text
    assert "Privacy" not in learned.text and "Shop" not in learned.text


def test_the_cli_runs_the_rules_alone_when_asked(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "plants.html").write_text(ARTICLE_IN_WIDGETS, encoding="utf-8")
    texts = {}
    for flag in ("--block-model", "--no-block-model"):
        out = tmp_path / flag
        assert main(["extract", str(src), "-o", str(out), flag]) == 0
        (doc,) = read_documents([out])
        texts[flag] = doc.text
    assert "Plant number 3 needs little water" in texts["--block-model"]
    assert "Plant number 3 needs little water" not in texts["--no-block-model"]
    assert ExtractConfig().block_model is True  # on unless asked
