"""The reference discriminator: trained on two distinguishable text sets, held-out accuracy."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import numpy as np
import pytest

from thresher.cli import main
from thresher.document import Document
from thresher.errors import ConfigError, InputError
from thresher.refine import RefineConfig, build_steps
from thresher.refine.classifier import Classifier, HashedNgramClassifier, train_classifier

_MODULES = (
    "email smtplib http.client urllib.request socket ssl asyncio decimal fractions statistics "
    "datetime calendar random collections argparse logging json pathlib textwrap difflib"
)


def _paragraphs() -> list[str]:
    """Reference-like texts: prose paragraphs of the standard library's docstrings."""
    seen: dict[str, None] = {}
    for name in _MODULES.split():
        mod = importlib.import_module(name)
        for _, obj in inspect.getmembers(mod):
            for par in (inspect.getdoc(obj) or "").split("\n\n"):
                par = " ".join(par.split())
                if len(par.split()) >= 8 and not par.startswith(">>>"):
                    seen[par] = None
    return list(seen)


def _listings() -> list[str]:
    """Other texts: API listings (names and call signatures), a few per text, like menus."""
    lines: list[str] = []
    for name in _MODULES.split():
        mod = importlib.import_module(name)
        for attr, obj in inspect.getmembers(mod, callable):
            try:
                lines.append(f"{name}.{attr}{inspect.signature(obj)}")
            except (TypeError, ValueError):
                lines.append(f"{name}.{attr}")
    return [" | ".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str], list[str]]:
    net, num = _paragraphs(), _listings()
    assert len(net) > 150 and len(num) > 150
    d = tmp_path_factory.mktemp("sets")
    pos = d / "net.jsonl"
    with pos.open("w") as f:
        for i, t in enumerate(net):
            f.write(json.dumps({"id": f"n{i}", "text": t}) + "\n")
    neg = d / "num.txt"
    neg.write_text("\n".join(num) + "\n")
    return pos, neg, net, num


def test_train_classifier_held_out_accuracy(
    tmp_path: Path, sets: tuple[Path, Path, list[str], list[str]]
) -> None:
    pos, neg, _, _ = sets
    info = train_classifier([pos], [neg], tmp_path / "clf", held_out=0.2)
    print(f"held-out accuracy {info.accuracy} on {info.held_out} texts")
    assert info.held_out >= 60
    assert info.accuracy >= 0.85
    meta = json.loads((tmp_path / "clf" / "classifier.json").read_text())
    assert meta["accuracy"] == info.accuracy and meta["hidden"] == 0
    model = HashedNgramClassifier.load(tmp_path / "clf")
    p = model.predict(
        [
            "Send the message to the mail server over a secure socket connection.",
            "mail.send(msg, host=None) | mail.close() | socket.connect(addr, timeout=5)",
        ]
    )
    assert p[0] > 0.5 > p[1]


def test_mlp_variant_and_cli(
    tmp_path: Path, sets: tuple[Path, Path, list[str], list[str]], capsys: pytest.CaptureFixture
) -> None:
    pos, neg, _, _ = sets
    out = tmp_path / "mlp"
    args = ["train-classifier", "--positive", str(pos), "--negative", str(neg), "-o", str(out)]
    assert main([*args, "--hidden", "8", "--epochs", "10"]) == 0
    line = capsys.readouterr().out
    assert "held-out accuracy" in line
    acc = json.loads((out / "classifier.json").read_text())["accuracy"]
    assert acc >= 0.8
    bad = ["train-classifier", "--positive", str(tmp_path / "nope.txt"), "--negative", str(neg)]
    assert main([*bad, "-o", str(out)]) == 2
    assert "nope.txt" in capsys.readouterr().err


def test_classifier_step_records_and_drops(
    tmp_path: Path, sets: tuple[Path, Path, list[str], list[str]]
) -> None:
    pos, neg, net, num = sets
    train_classifier([pos], [neg], tmp_path / "clf")
    docs = [Document(text=net[0], id="a"), Document(text=num[0], id="b")]
    step = Classifier(tmp_path / "clf", threshold=0.5)
    out = list(step.run(docs))
    assert [d.id for d in out] == ["a"]
    assert docs[0].metadata["classifier_score"] > 0.5 > docs[1].metadata["classifier_score"]
    assert step.stats.dropped["classifier_below_threshold"] == 1
    keep_all = Classifier(tmp_path / "clf", threshold=0.0)
    assert len(list(keep_all.run(docs))) == 2
    cfg = RefineConfig.model_validate(
        {"classifier": {"enabled": True, "model_dir": str(tmp_path / "clf"), "threshold": 0.3}}
    )
    assert build_steps(cfg)[-2].name == "classifier"  # before PII
    assert "classifier" not in [s.name for s in build_steps(RefineConfig())]


def test_classifier_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model_dir"):
        build_steps(RefineConfig.model_validate({"classifier": {"enabled": True}}))
    with pytest.raises(ConfigError, match="not a train-classifier folder"):
        Classifier(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(InputError, match="no positive texts"):
        train_classifier([empty], [empty], tmp_path / "x")
    assert np.isfinite(HashedNgramClassifier().predict([""])[0])
