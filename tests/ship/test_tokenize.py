"""thresher tokenize: a small BPE trained here with `tokenizers`, a corpus of two languages
and two buckets, and every promise of docs/train-ready.md ("Tokenized shards") checked."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from tests.core.test_object_storage import BUCKET, s3  # noqa: F401 - the S3 server fixture
from thresher.cli import main
from thresher.document import Document
from thresher.errors import InputError
from thresher.execute.config import ExecutorConfig
from thresher.ship.tokens import TokenShards
from thresher.ship.tokens.job import TokenRunsJob
from thresher.ship.tokens.megatron import read_index
from thresher.ship.tokens.mix import parse_mix
from thresher.ship.tokens.pack import plan_shards
from thresher.ship.tokens.run import TokenizeSettings, tokenize_corpus
from thresher.store.manifest import verify, write_manifest
from thresher.store.readers import read_documents
from thresher.store.writers import CorpusWriter

DOCS = Path(__file__).resolve().parents[2] / "docs" / "train-ready.md"
_LINES = {
    "en": "the cat sat on a mat and then ran far away from home to the sea",
    "de": "der hund lief über die straße und dann weit weg nach hause zum meer",
    "fr": "le chat était assis sur le tapis puis il a couru très loin",
}
WORDS = {lang: line.split() for lang, line in _LINES.items()}


def _texts(seed: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(600):
        lang = ("en", "en", "de", "fr")[i % 4]
        words = [rng.choice(WORDS[lang]) for _ in range(rng.randint(3, 120))]
        text = " ".join(words)
        if i % 7 == 0:  # lines, odd spacing, characters NFKC changes (ligature, full width)
            text = f"{text}\n\n  ﬁne Ｔｅｘｔ — “quoted” 😀\t{i}"
        out.append((lang, rng.choice(["head", "middle", "tail"]), text))
    return out


def _corpus(root: Path, items: list[tuple[str, str, str]]) -> Path:
    writer = CorpusWriter(root, formats=("jsonl.gz", "parquet"), part_bytes=6_000)
    for i, (lang, bucket, text) in enumerate(items):
        writer.write(Document(id=f"d{i}", text=text, language=lang, bucket=bucket))
    writer.close()
    write_manifest(root, kind="refine", parts=writer.parts)
    return root


def _bpe(texts: list[str], path: Path, *, nfkc: bool = False, eos: str = "</s>") -> Path:
    tok = Tokenizer(models.BPE())
    if nfkc:
        tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", eos],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _corpus(tmp_path_factory.mktemp("tok") / "corpus", _texts(1))


@pytest.fixture(scope="module")
def tokenizer(corpus: Path) -> Path:
    texts = [d.text for d in read_documents(corpus)]
    return _bpe(texts, corpus.parent / "tokenizer.json")


def _run(corpus: Path, out: Path, tokenizer: Path, workers: int = 1, **kw: Any) -> TokenShards:
    kw.setdefault("shard_tokens", 3000)
    settings = TokenizeSettings(tokenizer=str(tokenizer), **kw)
    tokenize_corpus(corpus, out, settings, executor=ExecutorConfig(workers=workers))
    return TokenShards(out)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("part-*"))}


def test_every_document_round_trips(corpus: Path, tokenizer: Path, tmp_path: Path) -> None:
    shards = _run(corpus, tmp_path / "s", tokenizer)
    tok = Tokenizer.from_file(str(tokenizer))
    decoded = Counter(tok.decode(ids.tolist(), skip_special_tokens=False) for ids in shards)
    assert decoded == Counter(d.text for d in read_documents(corpus))
    assert len(shards) == 600 and shards.shards > 5
    eos = tok.token_to_id("</s>")
    assert shards.eos_id == eos
    for k in range(shards.shards):
        tokens, offsets = shards.shard(k)
        assert tokens.dtype == np.dtype("<u2") and offsets[0] == 0 and offsets[-1] == len(tokens)
        assert (tokens[offsets[1:] - 1] == eos).all()  # one EOS closes every document
        assert np.count_nonzero(tokens == eos) == len(offsets) - 1
        assert len(tokens) <= 3000 or len(offsets) == 2  # whole documents, within the size


def test_round_trip_is_the_text_as_the_tokenizer_normalises_it(
    corpus: Path, tmp_path: Path
) -> None:
    texts = [d.text for d in read_documents(corpus)]
    path = _bpe(texts, tmp_path / "nfkc.json", nfkc=True, eos="<|endoftext|>")
    shards = _run(corpus, tmp_path / "s", path)
    tok = Tokenizer.from_file(str(path))
    assert shards.eos_id == tok.token_to_id("<|endoftext|>")
    normalise = normalizers.NFKC().normalize_str
    assert Counter(tok.decode(ids.tolist()) for ids in shards) == Counter(map(normalise, texts))
    assert any(normalise(t) != t for t in texts)  # the case is tested, not assumed


def test_documents_are_shuffled_across_languages(
    corpus: Path, tokenizer: Path, tmp_path: Path
) -> None:
    shards = _run(corpus, tmp_path / "s", tokenizer)
    tok = Tokenizer.from_file(str(tokenizer))
    first = [tok.decode(shards.document(i).tolist()) for i in range(60)]
    de = sum(1 for t in first if " der " in f" {t} " or " die " in f" {t} ")
    assert 5 <= de <= 30  # about a quarter German, not a block of one language
    order = [d.text for d in read_documents(corpus)]
    assert [tok.decode(ids.tolist()) for ids in shards] != order


def test_reruns_are_byte_identical_whatever_the_workers(
    corpus: Path, tokenizer: Path, tmp_path: Path
) -> None:
    _run(corpus, tmp_path / "a", tokenizer)
    _run(corpus, tmp_path / "b", tokenizer, workers=2)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a == b and len(a) > 10
    _run(corpus, tmp_path / "c", tokenizer, seed=1)
    assert _files(tmp_path / "c") != a  # another seed, another order
    ma = json.loads((tmp_path / "a" / "manifest.json").read_text())
    mc = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert ma["tokens"]["by_folder"] == mc["tokens"]["by_folder"]


def test_token_counts_equal_a_direct_count(corpus: Path, tokenizer: Path, tmp_path: Path) -> None:
    _run(corpus, tmp_path / "s", tokenizer)
    tok = Tokenizer.from_file(str(tokenizer))
    direct: dict[str, dict[str, int]] = {}
    for doc in read_documents(corpus):
        entry = direct.setdefault(f"{doc.language}/{doc.bucket}", {"documents": 0, "tokens": 0})
        entry["documents"] += 1
        entry["tokens"] += len(tok.encode(doc.text, add_special_tokens=False).ids)
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    info = manifest["tokens"]
    assert info["by_folder"] == direct
    assert info["text_tokens"] == sum(v["tokens"] for v in direct.values())
    assert info["total"] == info["text_tokens"] + 600 == TokenShards(tmp_path / "s").tokens
    assert sum(len(TokenShards(tmp_path / "s").shard(k)[0]) for k in range(
        TokenShards(tmp_path / "s").shards)) == info["total"]  # fmt: skip
    assert verify(tmp_path / "s").ok
    card = (tmp_path / "s" / "README.md").read_text()
    assert "## Tokens per language and bucket" in card
    en = sum(v["tokens"] for k, v in direct.items() if k.startswith("en/"))
    assert re.search(rf"\| en \|.*\| {en:,} \| 300 \|", card)


def test_the_numpy_loader_of_the_docs_runs(corpus: Path, tokenizer: Path, tmp_path: Path) -> None:
    _run(corpus, tmp_path / "shards", tokenizer)
    code = re.search(r"### Loading with numpy.*?```python\n(.*?)```", DOCS.read_text(), re.S)
    assert code is not None
    source = code.group(1)
    assert len(source.strip().splitlines()) <= 11
    namespace: dict[str, object] = {}
    exec(source.replace('Path("shards")', f"Path({str(tmp_path / 'shards')!r})"), namespace)
    documents = namespace["documents"]
    assert isinstance(documents, list) and len(documents) == 600
    assert all(np.array_equal(a, b) for a, b in zip(documents, TokenShards(tmp_path / "shards"),
                                                   strict=True))  # fmt: skip


def test_megatron_format(corpus: Path, tokenizer: Path, tmp_path: Path) -> None:
    shards = _run(corpus, tmp_path / "m", tokenizer, format="megatron")
    numpy_shards = _run(corpus, tmp_path / "n", tokenizer)
    assert [x.tolist() for x in shards] == [x.tolist() for x in numpy_shards]
    idx = sorted((tmp_path / "m").glob("part-*.idx"))
    assert len(idx) == numpy_shards.shards
    raw = idx[0].read_bytes()
    assert raw[:9] == b"MMIDIDX\x00\x00" and raw[9:17] == (1).to_bytes(8, "little") and raw[17] == 8
    dtype, lengths, pointers, documents = read_index(idx[0])
    n = int.from_bytes(raw[18:26], "little")
    assert dtype == np.dtype("<u2") and len(lengths) == n
    assert documents.tolist() == list(range(n + 1))
    assert pointers.tolist() == (np.concatenate([[0], np.cumsum(lengths)[:-1]]) * 2).tolist()
    assert (tmp_path / "m" / "part-00000.bin").stat().st_size == 2 * int(lengths.sum())
    assert verify(tmp_path / "m").ok


def test_a_large_vocabulary_gives_uint32(tmp_path: Path) -> None:
    vocab = {f"w{i}": i for i in range(70_000)} | {"[UNK]": 70_000, "</s>": 70_001}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.save(str(tmp_path / "big.json"))
    texts = ["w1 w69999 w65536", "w0 w65535 w2"]
    corpus = _corpus(tmp_path / "c", [("en", "head", t) for t in texts])
    for fmt, dtype in (("numpy", "<u4"), ("megatron", "<i4")):
        shards = _run(corpus, tmp_path / fmt, tmp_path / "big.json", format=fmt)
        assert shards.dtype == np.dtype(dtype)
        got = sorted(ids.tolist() for ids in shards)
        assert got == [[0, 65535, 2], [1, 69999, 65536]]
        assert shards.shard(0)[0][-1] == 70_001


def test_mix_samples_languages_by_token_share(
    corpus: Path, tokenizer: Path, tmp_path: Path
) -> None:
    shards = _run(corpus, tmp_path / "a", tokenizer, mix=parse_mix("en:0.7,de:0.3"), seed=3)
    info = shards.manifest["tokens"]
    share = {k: v["share"] for k, v in info["mix"].items()}
    assert abs(share["en"] - 0.7) < 0.02 and abs(share["de"] - 0.3) < 0.02
    assert not any(k.startswith("fr/") for k in info["by_folder"])
    counted: Counter[str] = Counter()
    tok = Tokenizer.from_file(str(tokenizer))
    langs = {d.text: d.language for d in read_documents(corpus)}
    for ids in shards:
        counted[langs[tok.decode(ids.tolist())]] += len(ids) + 1
    assert abs(counted["en"] / sum(counted.values()) - 0.7) < 0.02
    assert info["read_by_folder"]["fr/head"]["documents"] > 0
    again = _run(corpus, tmp_path / "b", tokenizer, mix=parse_mix("en:0.7,de:0.3"), seed=3)
    assert _files(tmp_path / "a") == _files(tmp_path / "b") and len(again) == len(shards)
    other = _run(corpus, tmp_path / "c", tokenizer, mix=parse_mix("en:7,de:3"), seed=4)
    assert _files(tmp_path / "c") != _files(tmp_path / "a")  # another seed, other documents
    assert abs(other.manifest["tokens"]["mix"]["de"]["share"] - 0.3) < 0.02


def test_plan_shards_packs_whole_documents() -> None:
    lengths = np.array([5, 5, 5, 20, 1, 1])
    assert plan_shards(lengths, 10) == [(0, 2), (2, 3), (3, 4), (4, 6)]
    assert plan_shards(np.zeros(0, np.int64), 10) == []


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["tokenize", *args])
    err = capsys.readouterr().err.strip()
    return code, err


def test_cli_writes_reruns_and_refuses(
    corpus: Path, tokenizer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    base = [str(corpus), "-o", str(out), "--tokenizer", str(tokenizer), "--shard-tokens", "5000"]
    assert main(["tokenize", *base]) == 0
    assert "600 documents" in capsys.readouterr().out
    before = _files(out)
    assert main(["tokenize", *base]) == 0
    assert "nothing to do" in capsys.readouterr().out and _files(out) == before
    code, err = _cli(capsys, *base, "--seed", "9")
    assert code == 2 and "--overwrite" in err and "\n" not in err
    assert main(["tokenize", *base, "--seed", "9", "--overwrite"]) == 0
    assert _files(out) != before and verify(out).ok
    assert main(["report", str(out)]) == 0
    assert "Tokenized shards" in (out / "report.html").read_text()


def test_cli_errors_are_one_line(
    corpus: Path, tokenizer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "s")
    code, err = _cli(capsys, str(corpus), "-o", out, "--tokenizer", str(tmp_path / "none.json"))
    assert code == 2 and "no such tokenizer file" in err and "\n" not in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": "1.0", "model": {"type": "BPE", "vocab": ')
    code, err = _cli(capsys, str(corpus), "-o", out, "--tokenizer", str(broken))
    assert code == 2 and "not a Hugging Face tokenizer file" in err and "\n" not in err
    code, err = _cli(capsys, str(corpus), "-o", out, "--tokenizer", str(tokenizer), "--eos",
                     "<nope>")  # fmt: skip
    assert code == 2 and "--eos" in err
    for mix in ("en:0.7,xx:0.3", "en=1", "en:-1"):
        code, err = _cli(capsys, str(corpus), "-o", out, "--tokenizer", str(tokenizer),
                         "--mix", mix)  # fmt: skip
        assert code == 2 and "--mix" in err and "\n" not in err, (mix, err)
    for option in (["--format", "hdf5"], ["--executor", "spark"]):
        code, err = _cli(capsys, str(corpus), "-o", out, "--tokenizer", str(tokenizer), *option)
        assert code == 2 and option[0] in err and "\n" not in err, (option, err)
    assert not (tmp_path / "s" / "manifest.json").exists()
    with pytest.raises(InputError, match="not a tokenize output"):
        TokenShards(corpus)


def test_an_empty_corpus_exits_1(
    tokenizer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = _corpus(tmp_path / "empty", [])
    code, err = _cli(capsys, str(empty), "-o", str(tmp_path / "s"), "--tokenizer", str(tokenizer))
    assert code == 1 and "no document to tokenize" in err and "\n" not in err
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_finished_runs_are_kept_for_a_rerun(
    corpus: Path, tokenizer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thresher.ship.tokens import pack, run

    def fail(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "pack", fail)  # killed at the packing: every run is committed
    with pytest.raises(KeyboardInterrupt):
        _run(corpus, tmp_path / "s", tokenizer)
    markers = list((tmp_path / "s" / ".tokens-work" / "shards").glob("*.done.json"))
    assert markers and not (tmp_path / "s" / "manifest.json").exists()
    monkeypatch.setattr(run, "pack", pack.pack)
    calls: list[object] = []
    real = TokenRunsJob.items
    monkeypatch.setattr(TokenRunsJob, "items", lambda *a: calls.append(a) or real(*a))
    _run(corpus, tmp_path / "s", tokenizer)
    assert calls == []  # nothing tokenized twice
    _run(corpus, tmp_path / "fresh", tokenizer)
    assert _files(tmp_path / "s") == _files(tmp_path / "fresh")
    assert not (tmp_path / "s" / ".tokens-work").exists()


def test_a_run_killed_while_tokenizing_resumes_its_parts(
    corpus: Path, tokenizer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = TokenRunsJob.items
    calls: list[str] = []

    def third_fails(job: TokenRunsJob, shard: dict[str, Any], stats: Any) -> Any:
        calls.append(shard["input"])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(job, shard, stats)

    monkeypatch.setattr(TokenRunsJob, "items", third_fails)
    with pytest.raises(KeyboardInterrupt):
        _run(corpus, tmp_path / "s", tokenizer)
    first, calls[:] = list(calls), []
    monkeypatch.setattr(TokenRunsJob, "items", lambda *a: calls.append(a[1]["input"]) or real(*a))
    _run(corpus, tmp_path / "s", tokenizer)
    assert first[:2] and not set(first[:2]) & set(calls)  # the two finished parts not redone
    assert first[2] in calls
    _run(corpus, tmp_path / "fresh", tokenizer)
    assert _files(tmp_path / "s") == _files(tmp_path / "fresh")


@pytest.mark.usefixtures("s3")
def test_into_a_bucket(
    corpus: Path, tokenizer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s3fs = pytest.importorskip("s3fs")
    url = f"s3://{BUCKET}/tokens/shards"
    args = ["tokenize", str(corpus), "-o", url, "--tokenizer", str(tokenizer)]
    assert main([*args, "--shard-tokens", "3000"]) == 0, capsys.readouterr().err
    assert verify(url).ok
    fs = s3fs.S3FileSystem()
    fs.invalidate_cache()
    keys = [k.rsplit("/", 1)[-1] for k in fs.find(f"{BUCKET}/tokens/shards")]
    assert "README.md" in keys and not [k for k in fs.find(BUCKET) if "tokens-work" in k]
    fs.get(f"{BUCKET}/tokens/shards/", str(tmp_path / "got"), recursive=True)
    _run(corpus, tmp_path / "local", tokenizer)
    assert _files(tmp_path / "got") == _files(tmp_path / "local")
    assert main([*args, "--shard-tokens", "3000"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_on_ray_the_shards_are_the_same(corpus: Path, tokenizer: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    settings = TokenizeSettings(tokenizer=str(tokenizer), shard_tokens=3000)
    ray = ExecutorConfig(kind="ray", workers=2)
    tokenize_corpus(corpus, tmp_path / "ray", settings, executor=ray)
    _run(corpus, tmp_path / "local", tokenizer)
    assert _files(tmp_path / "ray") == _files(tmp_path / "local")
