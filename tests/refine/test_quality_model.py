"""annotate → train-quality → quality_model step on a planted signal, against the LLM stand-in;
the DCLM recipe; the model folder and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from tests.llm.fake_chat import FakeChat
from tests.refine.planted_quality import planted, scorer, write
from thresher.cli import main
from thresher.document import Document
from thresher.errors import ConfigError, InputError
from thresher.llm.config import LLMConfig
from thresher.refine.annotate import annotate_documents, sample_documents
from thresher.refine.annotate_prompts import BUILT_IN
from thresher.refine.quality_model import META_FILE, MODEL_FILE, load_model
from thresher.refine.quality_train import annotated_set, labelled_set, train_quality
from thresher.stats import StepStats
from thresher.store.writers import CorpusWriter


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 planted documents annotated by the stand-in (one of them unanswerable)."""
    d = tmp_path_factory.mktemp("ann")
    records = planted(300, seed=11)
    records[5]["text"] += " [garbage]"
    docs = sample_documents([Document.from_dict(r) for r in records], 200, seed=1)
    with FakeChat(scorer=scorer) as server:
        config = LLMConfig(base_url=server.url, model="fake", use_cache=False, reasks=0)
        stats = StepStats("annotate")
        writer = CorpusWriter(d / "ann", formats=("jsonl.gz",))
        for doc in annotate_documents(docs, config, BUILT_IN["edu"], stats):
            writer.write(doc)
        writer.close()
    return d / "ann"


def _held_out_auc(model_dir: Path) -> float:
    fresh = planted(200, seed=99)  # never seen in training
    model = load_model(model_dir)
    scores = model.predict([r["text"] for r in fresh])
    return float(roc_auc_score([r["metadata"]["planted"] == "good" for r in fresh], scores))


def test_annotations_train_a_classifier_that_separates_held_out_documents(
    annotated: Path, tmp_path: Path
) -> None:
    data = annotated_set([annotated])
    assert 190 <= len(data.texts) <= 200 and data.low == 0 and data.high == 5
    report = train_quality(data, tmp_path / "m")
    metrics = report.metrics
    assert metrics["auc"] >= 0.9 and metrics["accuracy"] >= 0.9 and metrics["spearman"] > 0.7
    assert _held_out_auc(tmp_path / "m") >= 0.9
    meta = json.loads((tmp_path / "m" / META_FILE).read_text())
    assert meta["metrics"]["held_out"] == metrics
    assert meta["data"]["recipe"] == "annotations" and meta["data"]["annotators"] == {
        "fake": len(data.texts)
    }
    assert meta["sizes"]["held_out"] == metrics["documents"] and meta["target"] == "binary"
    assert meta["trainer"]["name"] == "scikit-learn LogisticRegression"
    assert meta["model"]["file"] == MODEL_FILE and len(meta["model"]["sha256"]) == 64
    assert "held-out metrics on" in report.line(tmp_path / "m")


def test_regression_predicts_scores_in_the_prompt_range(annotated: Path, tmp_path: Path) -> None:
    train_quality(annotated_set([annotated]), tmp_path / "r", target="regression")
    model = load_model(tmp_path / "r")
    scores = model.predict([r["text"] for r in planted(40, seed=5)])
    assert model.kind == "regression" and scores.min() >= 0 and scores.max() <= 5
    assert _held_out_auc(tmp_path / "r") >= 0.9


def test_dclm_recipe_from_positive_and_negative_files(tmp_path: Path) -> None:
    records = planted(160, seed=21)
    pos = write(tmp_path / "pos.jsonl", [r for r in records if r["metadata"]["planted"] == "good"])
    neg = tmp_path / "neg.txt"  # plain text, one per line
    neg.write_text("".join(r["text"] + "\n" for r in records if r["metadata"]["planted"] == "bad"))
    report = train_quality(labelled_set([pos], [neg]), tmp_path / "d")
    assert report.meta["data"]["by_label"] == {"positive": 80, "negative": 80}
    assert _held_out_auc(tmp_path / "d") >= 0.9
    with pytest.raises(ConfigError, match="regression needs annotation"):
        train_quality(labelled_set([pos], [neg]), tmp_path / "x", target="regression")


def test_one_sided_annotations_and_missing_inputs_are_one_line_errors(tmp_path: Path) -> None:
    good = [r for r in planted(40, seed=3) if r["metadata"]["planted"] == "good"]
    for r in good:
        r["metadata"]["annotation"] = {"score": 5}
    folder = write(tmp_path / "ann" / "part.jsonl", good).parent
    with pytest.raises(InputError, match="both sides"):
        train_quality(annotated_set([folder]), tmp_path / "m")
    with pytest.raises(InputError, match=r"no document with metadata\.annotation\.score"):
        annotated_set([write(tmp_path / "plain.jsonl", planted(4, seed=1))])
    with pytest.raises(InputError, match="no such file"):
        annotated_set([tmp_path / "nowhere"])


def test_bad_model_folders_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such model folder"):
        load_model(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="not a train-quality folder"):
        load_model(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / META_FILE).write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable"):
        load_model(tmp_path / "junk")
    (tmp_path / "junk" / META_FILE).write_text('{"format": 1, "model": {"kind": "binary"}}')
    with pytest.raises(ConfigError, match="is missing"):
        load_model(tmp_path / "junk")
    (tmp_path / "junk" / MODEL_FILE).write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ConfigError, match="damaged"):
        load_model(tmp_path / "junk")


def test_cli_train_quality_and_a_bad_model_folder_exit_2(
    annotated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train-quality", str(annotated), "-o", str(tmp_path / "m")]) == 0
    assert "held-out metrics" in capsys.readouterr().out
    docs = write(tmp_path / "docs.jsonl", planted(10, seed=4))
    code = main(
        ["refine", str(docs), "-o", str(tmp_path / "out"), "--quality-model", str(tmp_path)]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "not a train-quality folder" in err
    assert not (tmp_path / "out" / "manifest.json").exists()
    assert main(["train-quality", "-o", str(tmp_path / "n")]) == 2
    assert "annotation folders" in capsys.readouterr().err
    both = ["train-quality", str(annotated), "--positive", str(docs), "-o", str(tmp_path / "n")]
    assert main(both) == 2


def test_model_scores_are_deterministic_and_batch_independent(
    annotated: Path, tmp_path: Path
) -> None:
    train_quality(annotated_set([annotated]), tmp_path / "m")
    model = load_model(tmp_path / "m")
    texts = [r["text"] for r in planted(30, seed=8)]
    whole = model.predict(texts)
    one_by_one = np.array([model.predict([t])[0] for t in texts])
    assert np.allclose(whole, one_by_one)
