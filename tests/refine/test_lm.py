"""train-lm and perplexity: a real SentencePiece + KenLM 5-gram trained on a small corpus."""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import math
import random
from pathlib import Path

import pytest

from thresher.cli import main
from thresher.document import Document
from thresher.errors import InputError
from thresher.refine.lm import (
    LanguageModel,
    Perplexity,
    available_languages,
    normalize_for_lm,
)
from thresher.refine.lm_train import auto_vocab_size, train_lm

_MODULES = [
    "argparse",
    "collections",
    "logging",
    "email",
    "json",
    "os",
    "subprocess",
    "asyncio",
    "pathlib",
    "unittest",
    "http.client",
    "urllib.request",
    "decimal",
    "fractions",
    "datetime",
    "textwrap",
    "string",
    "re",
    "shutil",
    "tarfile",
    "zipfile",
    "csv",
    "sqlite3",
    "threading",
    "multiprocessing",
    "socket",
    "difflib",
    "pickle",
    "heapq",
    "functools",
    "itertools",
    "statistics",
    "random",
    "calendar",
    "configparser",
    "tempfile",
    "glob",
    "inspect",
    "dataclasses",
    "enum",
    "contextlib",
    "abc",
    "io",
    "codecs",
]


def english_paragraphs() -> list[str]:
    """A few thousand lines of natural English: the standard library's docstrings."""
    seen: dict[str, None] = {}
    for name in _MODULES:
        mod = importlib.import_module(name)
        for _, obj in inspect.getmembers(mod):
            doc = inspect.getdoc(obj)
            if not doc:
                continue
            for par in doc.split("\n\n"):
                par = " ".join(par.split())
                if len(par.split()) >= 6 and not par.startswith(">>>"):
                    seen[par] = None
    return list(seen)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    lines = english_paragraphs()
    random.Random(1).shuffle(lines)
    held_out, train = lines[:300], lines[300:]
    assert len(train) > 1500
    path = tmp_path_factory.mktemp("corpus") / "train.txt"
    path.write_text("\n".join(train) + "\n", encoding="utf-8")
    return path, held_out


@pytest.fixture(scope="module")
def lm_dir(corpus: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lm")
    train_lm([corpus[0]], "en", out)
    return out


def test_normalize_for_lm_golden() -> None:
    assert normalize_for_lm("  Héllo Wörld 2023， ça va？\x07 ") == "hello world 0000, ca va?"
    assert normalize_for_lm("Ｅｌ “niño” – 1.5…") == 'ｅｌ "nino" - 0.0...'
    assert normalize_for_lm("\n\t ") == ""


def test_train_lm_writes_a_model_folder(lm_dir: Path) -> None:
    assert (lm_dir / "en.sp.model").is_file()
    assert (lm_dir / "en.arpa.bin").is_file()
    meta = json.loads((lm_dir / "en.json").read_text())
    assert meta["order"] == 5 and meta["language"] == "en"
    assert 256 <= meta["vocab_size"] <= 65536
    assert available_languages(lm_dir) == ["en"]
    assert not any(p.name.startswith(".") for p in lm_dir.iterdir())  # no temp folder left


def test_natural_text_scores_lower_than_shuffled_words(
    lm_dir: Path, corpus: tuple[Path, list[str]]
) -> None:
    lm = LanguageModel.from_dir(lm_dir, "en")
    assert lm is not None
    rng = random.Random(0)
    natural, shuffled = [], []
    for line in corpus[1]:
        words = line.split()
        rng.shuffle(words)
        natural.append(lm.perplexity(line))
        shuffled.append(lm.perplexity(" ".join(words)))
    wins = sum(a < b for a, b in zip(natural, shuffled, strict=True))
    assert wins / len(natural) > 0.9
    assert sorted(natural)[150] * 2 < sorted(shuffled)[150]  # medians far apart


def test_perplexity_is_ccnet_formula(lm_dir: Path) -> None:
    lm = LanguageModel.from_dir(lm_dir, "en")
    assert lm is not None
    text = "Return a new list of the items.\n\nThe value is 42 in Ströme."
    total, n = 0.0, 0
    for line in ["Return a new list of the items.", "The value is 42 in Ströme."]:
        pieces = lm.sp.encode(normalize_for_lm(line), out_type=str)
        total += lm.lm.score(" ".join(pieces), bos=True, eos=True)
        n += len(pieces) + 1
    assert lm.perplexity(text) == round(10 ** (-total / n), 1)
    assert lm.perplexity(" \n \n") is None
    assert math.isfinite(lm.perplexity("zzzz qqqq xxxx") or math.nan)


def test_perplexity_step_and_missing_language(
    lm_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    step = Perplexity(lm_dir)
    docs = [
        Document(text="Return the number of items in the container.", language="en"),
        Document(text="Das ist ein deutscher Satz.", language="de"),
        Document(text="Noch ein deutscher Satz.", language="de"),
        Document(text="no language here"),
    ]
    with caplog.at_level(logging.WARNING, logger="thresher.refine.lm"):
        out = list(step.run(docs))
    assert len(out) == 4 and step.stats.kept == 4
    assert out[0].perplexity is not None and out[0].perplexity > 1
    assert out[1].perplexity is None and out[2].perplexity is None
    assert step.stats.counters["scored"] == 1
    assert step.stats.counters["no_model:de"] == 2
    said = [r.getMessage() for r in caplog.records if "'de'" in r.getMessage()]
    assert len(said) == 1 and "bucket 'all'" in said[0]


def test_perplexity_step_pickles_without_models(lm_dir: Path) -> None:
    import pickle

    step = Perplexity(lm_dir)
    list(step.run([Document(text="Return the items.", language="en")]))
    clone = pickle.loads(pickle.dumps(step))
    (doc,) = clone.run([Document(text="Return the items.", language="en")])
    assert doc.perplexity is not None


def test_train_lm_cli_on_documents_and_tiny_corpus(
    tmp_path: Path, corpus: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs.jsonl"
    lines = corpus[0].read_text().splitlines()[:400]
    with docs.open("w") as f:
        for i in range(0, len(lines), 4):
            f.write(json.dumps({"id": str(i), "text": "\n".join(lines[i : i + 4])}) + "\n")
    out = tmp_path / "models"
    assert main(["train-lm", str(docs), "--lang", "xx", "-o", str(out)]) == 0
    assert "xx: 400 lines" in capsys.readouterr().out
    lm = LanguageModel.from_dir(out, "xx")
    assert lm is not None and lm.perplexity(lines[0]) is not None


def test_train_lm_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n")
    with pytest.raises(InputError, match="no text"):
        train_lm([empty], "en", tmp_path / "m")
    assert (
        main(["train-lm", str(tmp_path / "missing.txt"), "--lang", "en", "-o", str(tmp_path / "m")])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("thresher: error:") and "missing.txt" in err and "\n" not in err


def test_auto_vocab_size() -> None:
    assert auto_vocab_size(10) == 256
    assert auto_vocab_size(8000) == 2000
    assert auto_vocab_size(10_000_000) == 65536


def test_refine_with_lm_dir_buckets_by_language(
    tmp_path: Path, lm_dir: Path, corpus: tuple[Path, list[str]]
) -> None:
    from thresher.refine import RefineConfig, refine

    from .helpers import SENTENCES, write_jsonl
    from .helpers import corpus as read_corpus

    off = {"enabled": False}
    config = RefineConfig.model_validate(
        {
            "dedup": off,
            "length": off,
            "gopher_repetition": off,
            "gopher_quality": off,
            "c4": off,
            "fineweb": off,
            "lm_dir": str(lm_dir),
        }
    )
    records = [{"id": f"en-{i:03d}", "text": t} for i, t in enumerate(corpus[1])]
    records += [{"id": f"de-{i}", "text": t} for i, t in enumerate(SENTENCES["de"])]
    write_jsonl(tmp_path / "in" / "a.jsonl", records[::2])
    write_jsonl(tmp_path / "in" / "b.jsonl", records[1::2])
    result = refine([tmp_path / "in"], tmp_path / "out", config, workers=2)
    folders = result.folders
    assert folders["de/all"] == 3
    en = {k: v for k, v in folders.items() if k.startswith("en/")}
    assert set(en) == {"en/head", "en/middle", "en/tail"}
    total = sum(en.values())
    assert abs(en["en/head"] / total - 0.3) < 0.05 and abs(en["en/middle"] / total - 0.3) < 0.05
    docs = read_corpus(tmp_path / "out")
    heads = [d.perplexity for d in docs.values() if d.bucket == "head"]
    tails = [d.perplexity for d in docs.values() if d.bucket == "tail"]
    assert max(heads) < min(tails)
    assert all(d.perplexity is None for d in docs.values() if d.language == "de")


def test_a_language_code_from_the_data_never_picks_a_file(lm_dir: Path, tmp_path: Path) -> None:
    """A model planted outside --lm-dir is not loaded by a document whose language is a path
    to it (before, ``../outside/zz`` was joined to the folder and loaded)."""
    import shutil

    from thresher.refine import RefineConfig, refine
    from thresher.store import read_documents

    from .helpers import write_jsonl

    models = tmp_path / "models"
    shutil.copytree(lm_dir, models)
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("en.sp.model", "en.arpa.bin"):
        shutil.copy(lm_dir / name, outside / name.replace("en.", "zz.", 1))
    text = "Return the number of items in the container."
    codes = ["../outside/zz", str(outside / "zz"), "en/../../outside/zz", "EN", "en "]
    step = Perplexity(models)
    out = list(step.run(Document(text=text, language=c) for c in [*codes, "en"]))
    assert [d.perplexity is None for d in out] == [True] * len(codes) + [False]
    assert step.models.languages == {"en"}

    records = [{"id": str(i), "text": text, "language": c} for i, c in enumerate(codes)]
    write_jsonl(tmp_path / "in.jsonl", records)
    off = {"enabled": False}
    config = RefineConfig.model_validate(
        {k: off for k in ("dedup", "langid", "length", "gopher_repetition", "gopher_quality",
                          "c4", "fineweb", "pii")} | {"lm_dir": str(models)}
    )  # fmt: skip
    refine([tmp_path / "in.jsonl"], tmp_path / "out", config)
    docs = list(read_documents([tmp_path / "out"]))
    assert len(docs) == len(codes) and all(d.perplexity is None for d in docs)
    assert {d.bucket for d in docs} == {"all"}
