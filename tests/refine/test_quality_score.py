"""The quality_model refine step: threshold and top-fraction-per-language modes, buckets by
score, the refine command with it, the card and the report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.refine.helpers import LIGHT_REFINE_YAML, corpus
from tests.refine.planted_quality import planted, write
from thresher.cli import main
from thresher.document import Document
from thresher.errors import ConfigError
from thresher.refine import RefineConfig, build_steps
from thresher.refine.corpus_step import Calibrated
from thresher.refine.quality_score import (
    QualityModelConfig,
    QualityScore,
    cutoffs_from_counters,
    histogram,
)
from thresher.refine.quality_train import labelled_set, train_quality


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("qm")
    records = planted(200, seed=31)
    good = [r for r in records if r["metadata"]["planted"] == "good"]
    bad = [r for r in records if r["metadata"]["planted"] == "bad"]
    train_quality(
        labelled_set([write(d / "pos.jsonl", good)], [write(d / "neg.jsonl", bad)]), d / "m"
    )
    return d / "m"


def _docs(seed: int, n: int = 80, langs: tuple[str, ...] = ("en", "de")) -> list[Document]:
    return [Document.from_dict(r) for r in planted(n, seed=seed, langs=langs)]


def test_threshold_drops_the_bad_and_records_every_score(model_dir: Path) -> None:
    step = QualityScore(str(model_dir), threshold=0.5)
    docs = _docs(1)
    kept = list(step.run(docs))
    assert {d.metadata["planted"] for d in kept} == {"good"} and len(kept) == 40
    assert all(0 <= d.metadata["quality_score"] <= 1 for d in docs)
    assert step.stats.dropped == {"below_threshold": 40}
    assert sum(histogram(step.stats.counters)) == 80
    assert cutoffs_from_counters(step.stats.counters) == {"de": 0.5, "en": 0.5}


def test_top_fraction_is_per_language_and_calibrated_once_for_all_shards(
    model_dir: Path,
) -> None:
    # English is all lessons but a few; German all advertising but a few: a fraction per
    # language keeps half of each, whatever the other language scores
    en = [d for d in _docs(2, 120, ("en",)) if d.metadata["planted"] == "good"][:45]
    en += [d for d in _docs(3, 20, ("en",)) if d.metadata["planted"] == "bad"][:5]
    de = [d for d in _docs(4, 120, ("de",)) if d.metadata["planted"] == "bad"][:45]
    de += [d for d in _docs(5, 20, ("de",)) if d.metadata["planted"] == "good"][:5]
    corpus_docs = en + de
    maker = QualityScore(str(model_dir), top_fraction=0.5)
    state = maker.calibrate(corpus_docs)
    assert set(state["cutoffs"]) == {"en", "de", "*"} and state["documents"] == {"de": 50, "en": 50}
    kept: list[Document] = []
    counters: Counter[str] = Counter()
    for shard in (corpus_docs[::2], corpus_docs[1::2]):  # two workers, one calibration
        step = QualityScore(str(model_dir), top_fraction=0.5)
        step.load_calibration(state)
        kept += step.run(shard)
        counters.update(step.stats.counters)
    by_lang = Counter(d.language for d in kept)
    assert 23 <= by_lang["en"] <= 27 and 23 <= by_lang["de"] <= 27
    assert sum(d.metadata["planted"] == "good" for d in kept if d.language == "de") == 5
    cuts = cutoffs_from_counters(dict(counters))
    assert cuts["en"] == pytest.approx(state["cutoffs"]["en"], abs=1e-6)
    assert cuts["de"] < cuts["en"]
    alone = QualityScore(str(model_dir), top_fraction=0.5)  # one stream: calibrates itself
    assert sorted(d.id for d in alone.run(corpus_docs)) == sorted(d.id for d in kept)


def test_a_language_too_small_for_its_own_cut_off_takes_the_pooled_one(model_dir: Path) -> None:
    docs = _docs(6, 60, ("en",)) + _docs(7, 4, ("de",))
    for d in docs[60:]:
        d.language = "fr"  # only 4 documents: too few for a cut-off of its own
    step = QualityScore(str(model_dir), top_fraction=0.5, min_sample=10)
    list(step.run(docs))
    assert step.stats.counters["pooled_cutoff:fr"] == 4 and "fr" not in step.cutoffs


def test_buckets_by_quality(model_dir: Path) -> None:
    config = RefineConfig.model_validate(
        {"bucket_by": "quality", "quality_model": {"enabled": True, "model_dir": str(model_dir)}}
    )
    step = build_steps(config)[-2]  # PII redaction stays last
    assert isinstance(step, Calibrated) and isinstance(step, QualityScore) and step.bucket
    threshold_only = {"enabled": True, "model_dir": str(model_dir), "threshold": 0.5}
    plain = build_steps(RefineConfig.model_validate({"quality_model": threshold_only}))[-2]
    assert isinstance(plain, QualityScore) and not isinstance(plain, Calibrated)
    docs = list(step.run(_docs(8, 100)))
    buckets = Counter(d.bucket for d in docs)
    assert set(buckets) == {"head", "middle", "tail"} and len(docs) == 100
    assert all(d.metadata["planted"] == "good" for d in docs if d.bucket == "head")
    with pytest.raises(ConfigError, match="bucket_by: quality needs"):
        build_steps(RefineConfig.model_validate({"bucket_by": "quality"}))


def test_the_config_reads_the_model_description(model_dir: Path, tmp_path: Path) -> None:
    section = QualityModelConfig.model_validate({"enabled": True, "model_dir": str(model_dir)})
    assert section.about is not None and section.about["data"]["recipe"] == "positive/negative"
    with pytest.raises(ConfigError, match="no such model folder"):
        QualityModelConfig.model_validate({"model_dir": str(tmp_path / "gone")})


def test_refine_with_a_quality_model_card_and_report(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = write(tmp_path / "in" / "docs.jsonl", planted(120, seed=9))
    cfg = tmp_path / "light.yaml"
    cfg.write_text(LIGHT_REFINE_YAML + "  pii: {enabled: false}\n")
    out = tmp_path / "out"
    args = ["refine", str(docs), "-o", str(out), "-c", str(cfg), "--quality-model",
            str(model_dir), "--quality-top-fraction", "0.4", "--bucket-by", "quality"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "quality_model: kept" in printed and "cut-offs" in printed
    kept = corpus(out)
    assert 40 <= len(kept) <= 56
    assert all(d.metadata["planted"] == "good" for d in kept.values())
    assert {p.parent.name for p in out.glob("*/*/part-*")} <= {"head", "middle", "tail"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["quality_model"]["about"]["sizes"]["documents"] == 200
    card = (out / "README.md").read_text()
    assert "### Quality classifier" in card and "scikit-learn LogisticRegression" in card
    assert "best 40% of each language" in card and "Held-out" in card
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert "Quality score per language, with the cut-off" in page and "cut-off 0." in page


def test_cli_option_errors_are_one_line(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = write(tmp_path / "docs.jsonl", planted(4, seed=1))
    base = ["refine", str(docs), "-o", str(tmp_path / "o")]
    for extra, message in (
        (["--bucket-by", "quality"], "--bucket-by quality needs --quality-model"),
        (["--bucket-by", "size"], "perplexity or quality"),
        (["--quality-model", str(model_dir), "--quality-top-fraction", "2"], "--quality-top"),
    ):
        assert main(base + extra) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1


def test_refine_with_a_threshold_needs_no_calibration(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = write(tmp_path / "docs.jsonl", planted(60, seed=12))
    cfg = tmp_path / "light.yaml"
    cfg.write_text(LIGHT_REFINE_YAML)
    out = tmp_path / "out"
    args = ["refine", str(docs), "-o", str(out), "-c", str(cfg), "--quality-model",
            str(model_dir), "--quality-threshold", "0.5"]  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "calibrating" not in captured.err
    assert "quality_model: dropped 30 of 60 (below_threshold: 30)" in captured.out
    kept = corpus(out)
    assert len(kept) == 30 and all(d.metadata["quality_score"] >= 0.5 for d in kept.values())
    assert {p.parent.name for p in out.glob("*/*/part-*")} == {"all"}  # no lm_dir: bucket all
