"""Perplexity buckets: CCNet's head/middle/tail rule, given cutoffs and cutoffs from a sample."""

from __future__ import annotations

import random

import pytest

from thresher.config import load_section
from thresher.document import Document
from thresher.errors import ConfigError
from thresher.refine.buckets import Buckets, LmConfig, bucket_of, cutoffs_from_sample


def _docs(lang: str, values: list[float | None]) -> list[Document]:
    return [Document(text=f"{lang} {i}", language=lang, perplexity=v) for i, v in enumerate(values)]


def test_bucket_rule() -> None:
    assert bucket_of(10.0, (100.0, 200.0)) == "head"
    assert bucket_of(100.0, (100.0, 200.0)) == "middle"  # a cutoff itself goes up, as CCNet
    assert bucket_of(199.9, (100.0, 200.0)) == "middle"
    assert bucket_of(200.0, (100.0, 200.0)) == "tail"
    assert bucket_of(None, (100.0, 200.0)) == "all"
    assert bucket_of(50.0, None) == "all"


def test_cutoffs_are_30th_and_60th_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    random.Random(0).shuffle(values)
    assert cutoffs_from_sample({"en": values}) == {"en": (30.7, 60.4)}
    assert cutoffs_from_sample({"en": values}, (50, 90)) == {"en": (50.5, 90.1)}
    assert cutoffs_from_sample({"de": []}) == {}


def test_given_cutoffs_per_language() -> None:
    step = Buckets({"en": (100, 300)}, sample=0)
    docs = _docs("en", [50, 150, 400, None]) + _docs("fr", [50])
    out = list(step.run(docs))
    assert [d.bucket for d in out] == ["head", "middle", "tail", "all", "all"]
    assert step.stats.counters["bucket:all"] == 2
    assert step.stats.seen == step.stats.kept == 5


def test_cutoffs_measured_on_a_sample_split_30_30_40() -> None:
    rng = random.Random(3)
    en = [rng.uniform(10, 1000) for _ in range(1000)]
    fr = [rng.uniform(100, 5000) for _ in range(300)]
    docs = _docs("en", en) + _docs("fr", fr) + _docs("xx", [None, None])
    rng.shuffle(docs)
    step = Buckets(sample=200)
    out = list(step.run(docs))
    assert sorted(d.id for d in out) == sorted(d.id for d in docs)  # nothing lost
    assert step.measured == {"en", "fr"}
    for lang, n in (("en", 1000), ("fr", 300)):
        got = [d.bucket for d in out if d.language == lang]
        assert abs(got.count("head") / n - 0.3) < 0.08
        assert abs(got.count("middle") / n - 0.3) < 0.08
    assert [d.bucket for d in out if d.language == "xx"] == ["all", "all"]
    lo, hi = step.cutoffs["fr"]
    assert 100 < lo < hi < 5000


def test_buffer_cap_settles_the_largest_language() -> None:
    docs = _docs("en", [float(i) for i in range(30)]) + _docs("de", [1.0, 2.0])
    step = Buckets(sample=1000, max_buffered=10)
    out = list(step.run(docs))
    assert len(out) == 32 and all(d.bucket in {"head", "middle", "tail"} for d in out)
    assert step.measured == {"en", "de"}


def test_lm_config_section() -> None:
    cfg = LmConfig.model_validate({"cutoffs": {"en": [120.5, 300]}, "sample": 0})
    step = Buckets.from_config(cfg)
    assert step.cutoffs == {"en": (120.5, 300.0)} and step.sample == 0
    with pytest.raises(ConfigError, match="cutoffs"):
        load_section(LmConfig, None, "lm", cutoffs={"en": [1]})
    with pytest.raises(ConfigError, match="above the middle cutoff"):
        load_section(LmConfig, None, "lm", cutoffs={"en": [300, 100]})
