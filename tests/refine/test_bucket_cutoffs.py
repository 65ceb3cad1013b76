"""Perplexity cut-offs are one set per language for the whole run: measured once on a sample of
every shard, the same in every shard, kept on resume, recorded in the manifest and shown by the
summary, the dataset card and the report."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.execute.conftest import ray_instance  # noqa: F401 - the module-scoped fixture
from thresher.errors import ConfigError
from thresher.refine import RefineConfig, refine
from thresher.refine.buckets import Buckets, bucket_of
from thresher.refine.lm_train import train_lm
from thresher.store import read_documents

from .helpers import SENTENCES, write_jsonl
from .test_lm import english_paragraphs

pytestmark = pytest.mark.timeout(300)

OFF = {"enabled": False}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """An English model and held-out paragraphs to score."""
    lines = english_paragraphs()
    random.Random(5).shuffle(lines)
    held_out, train = lines[:200], lines[200:]
    text = tmp_path_factory.mktemp("train") / "en.txt"
    text.write_text("\n".join(train) + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("lm")
    train_lm([text], "en", out)
    return out, held_out


def _config(lm_dir: Path, **extra: Any) -> RefineConfig:
    return RefineConfig.model_validate(
        {
            "dedup": OFF,
            "langid": OFF,  # languages given in the records: no guess to get in the way
            "length": OFF,
            "gopher_repetition": OFF,
            "gopher_quality": OFF,
            "c4": OFF,
            "fineweb": OFF,
            "pii": OFF,
            "lm_dir": str(lm_dir),
            **extra,
        }
    )


def _shards(
    root: Path, texts: list[str], shards: int, tail: tuple[str, ...] = (), lang: str = "en"
) -> Path:
    """English ``texts`` dealt round-robin over ``shards`` files; every text of ``tail`` at
    the end of every file (the same text in each shard, outside the calibration sample)."""
    folder = root / "in"
    for s in range(shards):
        records = [
            {"id": f"s{s}-{i}", "text": t, "language": lang} for i, t in enumerate(texts[s::shards])
        ]
        records += [
            {"id": f"s{s}-tail-{i}", "text": t, "language": lang} for i, t in enumerate(tail)
        ]
        write_jsonl(folder / f"shard-{s}.jsonl", records)
    return folder


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_one_set_of_cutoffs_across_shards(tmp_path: Path, model: tuple[Path, list[str]]) -> None:
    lm_dir, held_out = model
    tail = tuple(held_out[150:160])  # in every shard, after the sample of each
    inp = _shards(tmp_path, held_out[:150], 3, tail)
    # 20 documents of each shard sampled: 60 in all, the cut-offs from all three shards
    result = refine([inp], tmp_path / "out", _config(lm_dir, sample_docs=60), workers=3)
    applied = _manifest(tmp_path / "out")["buckets"]
    assert result.buckets == applied
    cuts = applied["cutoffs"]["en"]
    assert applied["sampled"] == 60 and applied["not_bucketed"] == {}
    docs = list(read_documents([tmp_path / "out"]))
    assert {d.bucket for d in docs} == {"head", "middle", "tail"}
    for d in docs:  # every shard applied the recorded cut-offs
        assert d.bucket == bucket_of(d.perplexity, (cuts[0], cuts[1])), d.id
    by_text: dict[str, set[str | None]] = {}
    for d in docs:
        if "-tail-" in (d.id or ""):
            by_text.setdefault(d.text, set()).add(d.bucket)
    assert len(by_text) == len(tail) and all(len(b) == 1 for b in by_text.values())


def test_too_few_documents_of_a_language_are_not_bucketed(
    tmp_path: Path, model: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """9 English documents over 3 shards: before, each shard measured its own cut-offs on 3
    documents; now the language stays in bucket 'all' and every output says why."""
    from thresher.cli import main
    from thresher.report.html_report import build_report

    lm_dir, held_out = model
    inp = _shards(tmp_path, held_out[:9], 3)
    cfg = tmp_path / "refine.yaml"
    cfg.write_text(
        "refine:\n  dedup: {enabled: false}\n  langid: {enabled: false}\n"
        "  length: {enabled: false}\n"
        "  gopher_repetition: {enabled: false}\n  gopher_quality: {enabled: false}\n"
        "  c4: {enabled: false}\n  fineweb: {enabled: false}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = main(["refine", str(inp), "-o", str(out), "-c", str(cfg), "--lm-dir", str(lm_dir),
                 "-w", "3"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "buckets en: not bucketed, 9 documents in 'all'" in printed
    assert "only 9 scored documents in the corpus, fewer than 10" in printed
    docs = list(read_documents([out]))
    assert len(docs) == 9 and {d.bucket for d in docs} == {"all"}
    assert all(d.perplexity is not None for d in docs)
    applied = _manifest(out)["buckets"]
    assert applied["cutoffs"] == {} and applied["not_bucketed"]["en"]["documents"] == 9
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Perplexity cut-offs applied" in card and "not bucketed" in card
    report = build_report(out).read_text(encoding="utf-8")
    assert "Not bucketed" in report and "fewer than 10" in report


def test_report_and_card_show_the_applied_cutoffs(
    tmp_path: Path, model: tuple[Path, list[str]]
) -> None:
    from thresher.report.html_report import build_report
    from thresher.ship.card import write_card

    lm_dir, held_out = model
    inp = _shards(tmp_path, held_out[:60], 2)
    write_jsonl(inp / "de.jsonl", [{"text": t, "language": "de"} for t in SENTENCES["de"]])
    refine([inp], tmp_path / "out", _config(lm_dir), workers=2)
    applied = _manifest(tmp_path / "out")["buckets"]
    lo, hi = applied["cutoffs"]["en"]
    assert applied["not_bucketed"]["de"]["reason"] == "no language model"
    write_card(tmp_path / "out")
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert f"| en | {lo:,.1f} | {hi:,.1f} | percentiles 30/60 of a sample of 63 documents |" in card
    report = build_report(tmp_path / "out").read_text(encoding="utf-8")
    assert f"{lo:,.0f}" in report and f"{hi:,.0f}" in report
    assert "estimated" not in report


def test_resume_keeps_the_cutoffs(
    tmp_path: Path, model: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fails after its calibration resumes with the saved cut-offs (no new
    calibration), whatever the documents of the second attempt would give."""
    from thresher.refine import tasks

    lm_dir, held_out = model
    inp = _shards(tmp_path, held_out[:90], 3)
    out = tmp_path / "out"
    real = tasks.final_shard

    def fail_on_second(task: Any, work: Any, progress: Any = None) -> Any:
        if task.shard == 1:
            raise RuntimeError("killed")
        return real(task, work, progress)

    monkeypatch.setattr(tasks, "final_shard", fail_on_second)
    with pytest.raises(RuntimeError, match="killed"):
        refine([inp], out, _config(lm_dir))
    saved = json.loads(
        next((out / ".refine-work").glob("calibration*.json")).read_text(encoding="utf-8")
    )
    monkeypatch.setattr(tasks, "final_shard", real)

    def no_second_calibration(self: Buckets, docs: Any) -> Any:
        raise AssertionError("calibrated again on resume")

    monkeypatch.setattr(Buckets, "calibrate", no_second_calibration)
    refine([inp], out, _config(lm_dir))
    assert _manifest(out)["buckets"]["cutoffs"]["en"] == saved["cutoffs"]["en"]


@pytest.mark.parametrize(
    ("value", "message"),
    [([30, 30], "strictly increasing"), ([60, 30], "strictly increasing"),
     ([-1, 50], "between 0 and 100"), ([30, 101], "between 0 and 100")],
)  # fmt: skip
def test_percentiles_are_validated(value: list[float], message: str) -> None:
    from thresher.config import load_section

    with pytest.raises(ConfigError, match=message) as err:
        load_section(RefineConfig, None, "refine", lm={"percentiles": value})
    assert "\n" not in str(err.value)


def test_ray_applies_the_same_cutoffs_as_local(
    tmp_path: Path,
    model: tuple[Path, list[str]],
    ray_instance: Any,  # noqa: F811
) -> None:
    from thresher.execute import ExecutorConfig

    lm_dir, held_out = model
    inp = _shards(tmp_path, held_out[:90], 3, tuple(held_out[90:95]))
    cfg = _config(lm_dir, sample_docs=45)
    refine([inp], tmp_path / "local", cfg, executor=ExecutorConfig(workers=2))
    refine([inp], tmp_path / "ray", cfg, executor=ExecutorConfig(kind="ray", workers=2))
    applied = _manifest(tmp_path / "ray")["buckets"]
    assert applied == _manifest(tmp_path / "local")["buckets"]
    cuts = applied["cutoffs"]["en"]
    for d in read_documents([tmp_path / "ray"]):
        assert d.bucket == bucket_of(d.perplexity, (cuts[0], cuts[1])), d.id


def test_a_calibrated_step_measures_nothing_in_the_stream() -> None:
    """Once the run's calibration is loaded, a language it has no cut-offs for stays in
    'all' (before, every shard measured its own on the documents it saw)."""
    from thresher.document import Document

    step = Buckets()
    state = {"cutoffs": {"en": [10.0, 20.0]}, "documents": {"en": 40, "fr": 3}, "sampled": 50}
    step.load_calibration(state)
    docs = [Document(text="x", language="en", perplexity=float(p)) for p in (5, 15, 25)]
    docs += [Document(text="y", language="fr", perplexity=float(p)) for p in range(40)]
    out = list(step.run(docs))
    assert [d.bucket for d in out[:3]] == ["head", "middle", "tail"]
    assert {d.bucket for d in out[3:]} == {"all"}
    applied = step.applied(state, step.stats.counters)
    assert applied["cutoffs"] == {"en": [10.0, 20.0]}
    reason = applied["not_bucketed"]["fr"]["reason"]
    assert reason.startswith("3 scored documents in the calibration sample of 50, fewer than 10")
    assert "refine.sample_docs" in reason


def test_a_missing_model_is_warned_once_per_language(
    tmp_path: Path, model: tuple[Path, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    """German in three shards, no German model: one warning for the run (before: one from the
    calibration and one per shard)."""
    import logging

    lm_dir, held_out = model
    inp = _shards(tmp_path, held_out[:30], 3)
    for s in range(3):
        records = [{"text": f"{t} ({s})", "language": "de"} for t in SENTENCES["de"]]
        write_jsonl(inp / f"de-{s}.jsonl", records)
    with caplog.at_level(logging.WARNING, logger="thresher.refine.lm"):
        refine([inp], tmp_path / "out", _config(lm_dir))
    said = [r.getMessage() for r in caplog.records if "no language model" in r.getMessage()]
    assert len(said) == 1 and "'de'" in said[0]
    applied = _manifest(tmp_path / "out")["buckets"]
    assert applied["not_bucketed"]["de"] == {"documents": 9, "reason": "no language model"}
