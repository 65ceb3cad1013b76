"""train-lm without KenLM's tools, with them, on Chinese and Japanese, and with a dependency
missing: real training runs, in a subprocess where PATH matters."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from thresher.errors import ConfigError
from thresher.refine import lm_train
from thresher.refine.lm import LanguageModel, available_languages
from thresher.refine.lm_train import ModelTrainingError, train_lm

from .test_lm import english_paragraphs

TEXTS = Path(__file__).parent / "lm_texts"
needs_kenlm_tools = pytest.mark.skipif(
    shutil.which("lmplz") is None or shutil.which("build_binary") is None,
    reason="lmplz / build_binary not installed",
)


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    lines = english_paragraphs()
    random.Random(2).shuffle(lines)
    path = tmp_path_factory.mktemp("en") / "en.txt"
    path.write_text("\n".join(lines[200:]) + "\n", encoding="utf-8")
    return path, lines[:200]


def run_cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "thresher", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


def test_train_lm_with_no_kenlm_tools_on_path(
    english: tuple[Path, list[str]], tmp_path: Path
) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    out = tmp_path / "models"
    proc = run_cli(["train-lm", str(english[0]), "--lang", "en", "-o", str(out)], env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "by builtin" in proc.stdout
    meta = json.loads((out / "en.json").read_text())
    assert meta["estimator"] == "builtin" and meta["lm_format"] == "arpa"
    assert len(meta["discounts"]) == 5 and meta["fallback_discount_orders"] == []
    assert sorted(p.name for p in out.iterdir()) == ["en.arpa", "en.json", "en.sp.model"]
    lm = LanguageModel.from_dir(out, "en")
    assert lm is not None
    natural = [lm.perplexity(line) or 0 for line in english[1]]
    shuffled = [
        lm.perplexity(" ".join(random.sample(ln.split(), len(ln.split())))) or 0
        for ln in english[1]
    ]
    assert sum(a < b for a, b in zip(natural, shuffled, strict=True)) > 0.9 * len(natural)
    # asking for lmplz without it: one line saying how to get it
    proc = run_cli(
        ["train-lm", str(english[0]), "--lang", "en", "-o", str(out), "--estimator", "lmplz"], env
    )
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert err.startswith("thresher: error: lmplz not found") and "\n" not in err
    assert "install-kenlm.sh" in err


def test_corpus_too_large_for_the_builtin_estimator(
    english: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(lm_train, "BUILTIN_MAX_TOKENS", 1000)
    with pytest.raises(ConfigError, match=r"above the built-in estimator's 1,000.*install-kenlm"):
        train_lm([english[0]], "en", tmp_path / "m")
    with pytest.raises(ConfigError, match="--prune needs lmplz"):
        train_lm([english[0]], "en", tmp_path / "m", estimator="builtin", prune=[0, 0, 1])


@needs_kenlm_tools
def test_lmplz_and_builtin_give_the_same_model(
    english: tuple[Path, list[str]], tmp_path: Path
) -> None:
    with_tools = train_lm([english[0]], "en", tmp_path / "a")
    assert (with_tools.estimator, with_tools.lm_format) == ("lmplz", "binary")
    builtin = train_lm([english[0]], "en", tmp_path / "b", estimator="builtin")
    assert builtin.lm_format == "binary"  # build_binary is used whenever it is installed
    a = LanguageModel.from_dir(tmp_path / "a", "en")
    b = LanguageModel.from_dir(tmp_path / "b", "en")
    assert a is not None and b is not None
    for line in english[1][:50]:
        pa, pb = a.perplexity(line), b.perplexity(line)
        assert pa is not None and pb is not None
        assert abs(pa - pb) <= max(0.1, 1e-3 * pa) + 1e-9  # one rounding step apart


def test_retraining_in_the_other_format_replaces_the_model(
    english: tuple[Path, list[str]], tmp_path: Path
) -> None:
    out = tmp_path / "m"
    out.mkdir()
    (out / "en.arpa.bin").write_bytes(b"an older binary model")
    info = train_lm([english[0]], "en", out, estimator="builtin", binary=False)
    assert info.lm_model == "en.arpa" and not (out / "en.arpa.bin").exists()
    assert available_languages(out) == ["en"]
    assert LanguageModel.from_dir(out, "en") is not None


@pytest.mark.parametrize("lang", ["zh", "ja"])
def test_default_vocabulary_fits_chinese_and_japanese(lang: str, tmp_path: Path) -> None:
    text = TEXTS / f"{lang}.txt"
    lines = text.read_text(encoding="utf-8").splitlines()
    assert len({c for line in lines for c in line}) > 500  # far more than 256 characters
    # the old default (a quarter of the distinct "words", at least 256) cannot hold them
    with pytest.raises(ModelTrainingError, match="required_chars"):
        train_lm([text], lang, tmp_path / "old", vocab_size=256, estimator="builtin")
    info = train_lm([text], lang, tmp_path / "m", estimator="builtin")
    assert info.character_coverage == 0.9995 and info.vocab_size > 500
    lm = LanguageModel.from_dir(tmp_path / "m", lang)
    assert lm is not None
    rng = random.Random(5)
    wins = 0
    for line in lines:
        chars = list(line)
        rng.shuffle(chars)
        natural, shuffled = lm.perplexity(line), lm.perplexity("".join(chars))
        assert natural is not None and shuffled is not None
        wins += natural < shuffled
    assert wins > 0.9 * len(lines)


_BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == {name!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Block())
from thresher.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("module", ["sentencepiece", "kenlm"])
def test_missing_dependency_is_one_line(
    module: str, english: tuple[Path, list[str]], tmp_path: Path
) -> None:
    models = tmp_path / "models"
    train_lm([english[0]], "en", models, estimator="builtin")
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "1", "text": english[1][0]}) + "\n")
    if module == "sentencepiece":
        args = ["train-lm", str(english[0]), "--lang", "en", "-o", str(tmp_path / "m2")]
    else:
        args = ["refine", str(docs), "-o", str(tmp_path / "out"), "--lm-dir", str(models)]
    proc = subprocess.run(
        [sys.executable, "-c", _BLOCK.format(name=module), *args],
        capture_output=True,
        text=True,
        timeout=240,
    )
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    last = err[-1]
    assert last.startswith("thresher: error:") and f"needs the {module} module" in last
    assert "pip install" in last
