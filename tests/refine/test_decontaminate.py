"""refine --decontaminate: documents sharing a 13-gram with a benchmark item are dropped (or
redacted), near misses kept, hits counted per benchmark; benchmark files of every kind and
hf: datasets; one-line errors for bad benchmarks; the card, the report and the run's identity."""

from __future__ import annotations

import csv
import gzip
import json
import random
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from thresher.cli import main
from thresher.document import Document
from thresher.refine import RefineConfig, refine
from thresher.refine import benchmarks as benchmarks_module
from thresher.refine.benchmark_specs import benchmark_sha256
from thresher.refine.config import DecontaminateConfig
from thresher.refine.decontaminate import Decontaminate
from thresher.refine.ngrams import WORD, normal_form, word_spans, words
from thresher.refine.work import fingerprint
from thresher.store.config import OutputConfig

from .helpers import corpus, write_jsonl

#: benchmark items: each question has 18+ words, so it holds several 13-grams
QA = [
    {
        "question": "Which of the following best describes the primary function of the "
        "mitochondria in a eukaryotic cell during aerobic respiration?",
        "choices": ["ATP synthesis", "DNA replication", "protein folding"],
        "answer": 0,
    },
    {
        "question": "A train leaves the station at noon travelling at sixty miles per hour "
        "toward a city that lies one hundred and eighty miles away; when does it arrive?",
        "choices": ["3 pm", "2 pm"],
        "answer": 0,
    },
]
MATH = [
    {
        "problem": "Natalia sold clips to forty eight of her friends in April and then she "
        "sold half as many clips in May, how many clips did she sell altogether?",
        "solution": "She sold 72 clips.",
    }
]
FILLER = (
    "The committee published its annual report on regional water quality this week. "
    "Farmers in the valley have started planting earlier because spring arrives sooner. "
    "A new library opened downtown with a large collection of children's books."
)
BASE = {
    "langid": {"enabled": False},
    "length": {"min_length": 0},
    "dedup": {"enabled": False},
    "gopher_repetition": {"enabled": False},
    "gopher_quality": {"enabled": False},
    "c4": {"enabled": False},
    "fineweb": {"enabled": False},
    "pii": {"enabled": False},
}


def take(text: str, start: int, n: int) -> str:
    """``n`` consecutive words of ``text`` from word ``start`` (its own spelling)."""
    return " ".join(text.split()[start : start + n])


def config(benchmarks: list[str], **extra: Any) -> RefineConfig:
    section = {"benchmarks": benchmarks, **extra}
    return RefineConfig.model_validate({**BASE, "decontaminate": section})


@pytest.fixture
def benches(tmp_path: Path) -> dict[str, Path]:
    return {
        "qa": write_jsonl(tmp_path / "bench" / "qa.jsonl", QA),
        "math": write_jsonl(tmp_path / "bench" / "math.jsonl", MATH),
    }


def planted_docs() -> list[dict[str, Any]]:
    """Documents with a benchmark passage in them (changed in case, punctuation, Unicode
    form), near misses that share only 8 or 12 words, and clean ones."""
    q0, q1, m0 = QA[0]["question"], QA[1]["question"], MATH[0]["problem"]
    shouted = q0.upper().replace(" ", "  ").replace("?", "!!")
    fullwidth = take(q1, 0, 14).replace("A", "\uff21").replace("train", "“train”")  # NFKC: A
    return [
        {"id": "exact", "text": f"{FILLER}\n{q0}\n{FILLER}"},
        {"id": "changed-form", "text": f"{FILLER} {shouted} {FILLER}"},
        {"id": "fullwidth", "text": f"{FILLER} {fullwidth} and more."},
        {"id": "both", "text": f"{take(q0, 2, 13)}. Then: {take(m0, 5, 13)}!"},
        {"id": "math-13", "text": f"{FILLER} {take(m0, 10, 13)} {FILLER}"},
        {"id": "near-8", "text": f"{FILLER} {take(q0, 0, 8)} xylophone {take(q0, 9, 8)}."},
        {"id": "near-12", "text": f"{FILLER} {take(q1, 3, 12)} {FILLER}"},
        {"id": "clean", "text": FILLER},
    ]


DIRTY = {"exact", "changed-form", "fullwidth", "both", "math-13"}


def test_words_are_normalised() -> None:
    expect = ["hello", "world", "it", "s", "abc", "café"]
    assert words("Hello,  WORLD!! It's “ＡＢＣ” café") == expect
    assert words("cafe\u0301") == words("café")  # NFKC composes the accent
    assert words("STRASSE Straße") == ["strasse", "strasse"]  # case folding, not lower()
    assert words("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # vowel signs stay in their word
    assert words("使用Python编程") == ["使", "用", "python", "编", "程"]
    assert words("x_y--z") == ["x", "y", "z"] == words("x\u00a0y z")


def test_fast_word_paths_agree_with_the_pattern() -> None:
    """ASCII, Latin-1 and mark-free text take faster paths: they must find the same words as
    the full pattern (and as the spans redaction uses)."""
    rng = random.Random(11)
    pools = [
        string.printable,
        string.printable + "éÀßøÿµ¿«»\u00a0ẞǰﬀ",
        string.ascii_letters + " ’“”—…,.–çğİıΣσςЖжअि्ािन्दी日本語のカナ한국어ﬁ①²\u0301_",
    ]
    for pool in pools:
        for _ in range(400):
            text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
            expect = WORD.findall(normal_form(text).casefold())
            assert words(text) == expect, repr(text)
            normal, spans = word_spans(text)
            folded = [normal[a:b].casefold() for a, b in spans]
            assert folded == expect or "İ" in text, repr(text)


def test_planted_passages_dropped_near_misses_kept(
    tmp_path: Path, benches: dict[str, Path]
) -> None:
    src = write_jsonl(tmp_path / "in" / "docs.jsonl", planted_docs())
    out = tmp_path / "out"
    result = refine([src], out, config([str(benches["qa"]), str(benches["math"])]))
    assert set(corpus(out)) == {"near-8", "near-12", "clean"}
    step = next(s for s in result.stats if s.name == "decontaminate")
    assert step.seen == 8 and step.kept == 3
    assert step.dropped == {"benchmark 13-gram": 5}
    # per benchmark: 'both' counts in each
    assert step.counters[f"hits: {benches['qa']}"] == 4
    assert step.counters[f"hits: {benches['math']}"] == 2


def test_ngram_is_configurable(benches: dict[str, Path]) -> None:
    q0 = QA[0]["question"]
    step = Decontaminate(DecontaminateConfig(benchmarks=[str(benches["qa"])], ngram=8))
    kept = list(step.run([Document(text=f"{FILLER} {take(q0, 0, 8)} {FILLER}", id="a")]))
    assert kept == [] and step.stats.dropped == {"benchmark 8-gram": 1}


def test_redact_replaces_the_shared_spans(benches: dict[str, Path]) -> None:
    q0 = QA[0]["question"]
    cfg = DecontaminateConfig(benchmarks=[str(benches["qa"])], mode="redact")
    step = Decontaminate(cfg)
    doc = Document(
        id="d",
        text=f"{FILLER}\nQuestion: “{q0}” Answer: ATP.\n{FILLER}",
        markdown=f"# Quiz\n\n**{q0}**\n\n{FILLER}",
    )
    clean = Document(id="c", text=FILLER, markdown=FILLER)
    out = list(step.run([doc, clean]))
    assert [d.id for d in out] == ["d", "c"]
    assert out[0].text == f"{FILLER}\nQuestion: “<BENCHMARK>?” Answer: ATP.\n{FILLER}"
    assert out[0].markdown == f"# Quiz\n\n**<BENCHMARK>?**\n\n{FILLER}"
    assert out[0].metadata["benchmark_overlap"] == [str(benches["qa"])]
    assert out[1].text == FILLER and "benchmark_overlap" not in out[1].metadata
    counters = step.stats.counters
    assert counters["documents redacted"] == 1 and counters["spans redacted"] == 2
    assert counters["words redacted"] == 2 * len(words(q0))
    assert step.stats.kept == 2 and not step.stats.dropped


def test_redact_keeps_near_misses_whole(benches: dict[str, Path]) -> None:
    q1 = QA[1]["question"]
    step = Decontaminate(DecontaminateConfig(benchmarks=[str(benches["qa"])], mode="redact"))
    text = f"{take(q1, 0, 12)}. {take(q1, 9, 14)}."
    (doc,) = step.run([Document(id="d", text=text)])
    assert doc.text == f"{take(q1, 0, 12)}. <BENCHMARK>."


def test_benchmark_formats_and_fields(tmp_path: Path) -> None:
    """CSV, Parquet (nested), gzip JSONL and a folder read alike; named fields limit what is
    taken from each item."""
    q0, q1 = QA[0]["question"], QA[1]["question"]
    with open(tmp_path / "b.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["question", "answer"])
        w.writeheader()
        w.writerow({"question": q0, "answer": "A"})
    pq.write_table(
        pa.Table.from_pylist([{"item": {"prompt": q1, "turns": [q0]}}]), tmp_path / "b.parquet"
    )
    (tmp_path / "folder").mkdir()
    with gzip.open(tmp_path / "folder" / "part.jsonl.gz", "wt") as f:
        f.write(json.dumps({"question": q1}) + "\n")
    doc0, doc1 = Document(id="0", text=q0), Document(id="1", text=q1)
    for spec, expect in [("b.csv", {"0"}), ("b.parquet", {"0", "1"}), ("folder", {"1"})]:
        step = Decontaminate(DecontaminateConfig(benchmarks=[str(tmp_path / spec)]))
        kept = {d.id for d in step.run([doc0, doc1])}
        assert {"0", "1"} - kept == expect, spec
    only = DecontaminateConfig(
        benchmarks=[str(tmp_path / "b.parquet")], benchmark_fields=["item.prompt"]
    )
    assert {d.id for d in Decontaminate(only).run([doc0, doc1])} == {"0"}


def test_hf_dataset_benchmark(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    saved = tmp_path / "saved"
    datasets.Dataset.from_list(QA).save_to_disk(str(saved))
    files = tmp_path / "files"
    write_jsonl(files / "test.jsonl", MATH)
    docs = [Document(id=d["id"], text=d["text"]) for d in planted_docs()]
    for spec, dirty in [
        (f"hf:{saved}", {"exact", "changed-form", "fullwidth", "both"}),
        (f"hf:{files}:default/test", {"both", "math-13"}),
    ]:
        step = Decontaminate(DecontaminateConfig(benchmarks=[spec]))
        assert {d.id for d in docs} - {d.id for d in step.run(docs)} == dirty, spec
        assert step.stats.counters[f"hits: {spec}"] == len(dirty)


def test_index_is_built_once_per_process(
    benches: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []
    real = benchmarks_module.build_index
    monkeypatch.setattr(benchmarks_module, "build_index", lambda c: built.append(1) or real(c))
    benchmarks_module._loaded.clear()
    cfg = DecontaminateConfig(benchmarks=[str(benches["qa"])], ngram=11)
    first = Decontaminate(cfg).index
    assert Decontaminate(cfg.model_copy()).index is first and len(built) == 1
    write_jsonl(benches["qa"], QA[:1])  # another version of the file: built anew
    assert Decontaminate(cfg).index is not first and len(built) == 2


def test_shards_on_workers_count_alike(tmp_path: Path, benches: dict[str, Path]) -> None:
    docs = planted_docs()
    srcs = [write_jsonl(tmp_path / "in" / f"{i}.jsonl", docs[i::3]) for i in range(3)]
    cfg = config([str(benches["qa"]), str(benches["math"])])
    result = refine(srcs, tmp_path / "out", cfg, workers=2)
    assert set(corpus(tmp_path / "out")) == {"near-8", "near-12", "clean"}
    step = next(s for s in result.stats if s.name == "decontaminate")
    assert step.counters[f"hits: {benches['qa']}"] == 4


def test_benchmark_content_is_part_of_the_run(tmp_path: Path, benches: dict[str, Path]) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", planted_docs())
    out = OutputConfig()
    plain = fingerprint([src], RefineConfig.model_validate(BASE), out)
    assert "decontaminate" not in RefineConfig().model_dump_json()  # earlier runs: same identity
    with_qa = fingerprint([src], config([str(benches["qa"])]), out)
    assert with_qa != plain
    assert fingerprint([src], config([str(benches["qa"])]), out) == with_qa
    write_jsonl(benches["qa"], [*QA, {"question": "one more item"}])
    assert fingerprint([src], config([str(benches["qa"])]), out) != with_qa
    dumped = config([str(benches["qa"])]).model_dump(mode="json")["decontaminate"]
    assert set(dumped["sha256"]) == {str(benches["qa"])}
    assert RefineConfig.model_validate({"decontaminate": dumped}).decontaminate.benchmarks


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cli_setup(tmp_path: Path) -> tuple[Path, Path]:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("refine:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in BASE.items()))
    return write_jsonl(tmp_path / "in" / "docs.jsonl", planted_docs()), cfg


def _bad_benchmarks(tmp_path: Path) -> dict[str, tuple[Path | str, str]]:
    tmp_path.mkdir(exist_ok=True)
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text(json.dumps(QA[0]) + "\n{not json\n")
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(gzip.compress((json.dumps(QA[0]) + "\n").encode() * 50)[:-30])
    short = write_jsonl(tmp_path / "short.jsonl", [{"q": "too short to match"}])
    array = tmp_path / "array.jsonl"
    array.write_text("[1, 2]\n")
    huge = tmp_path / "huge.jsonl"
    huge.write_text((json.dumps(QA[0]) + "\n") * 8000)  # over 1 MB; the test sets the limit to 1
    return {
        "missing": (tmp_path / "nope.jsonl", "no such benchmark file or folder"),
        "bad json": (bad_json, "bad.jsonl:2: not valid JSON"),
        "truncated": (truncated, "damaged benchmark"),
        "short": (short, "no text of 13 words or more"),
        "not an object": (array, "not an object"),
        "huge": (huge, "more than decontaminate.max_benchmark_mb"),
        "hf missing": ("hf:./no/such/folder", "no such dataset folder"),
        "object store": ("s3://bucket/bench.jsonl", "a benchmark is a local file"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "bad json", "truncated", "short", "not an object", "huge", "hf missing",
     "object store"],
)  # fmt: skip
def test_bad_benchmark_is_one_line_exit_2(
    tmp_path: Path, cli_setup: tuple[Path, Path], case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src, cfg = cli_setup
    path, message = _bad_benchmarks(tmp_path / "b")[case]
    if case == "huge":
        cfg.write_text(cfg.read_text() + "  decontaminate: {max_benchmark_mb: 1}\n")
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["refine", str(src), "-o", str(out), "-c", str(cfg), "--decontaminate", str(path)], capsys
    )
    assert code == 2, err
    assert err.startswith("thresher: error:") and len(err.strip().splitlines()) == 1, err
    assert message in err
    assert not out.exists()


def test_bad_options_are_one_line(
    tmp_path: Path, cli_setup: tuple[Path, Path], benches: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    src, cfg = cli_setup
    base = ["refine", str(src), "-o", str(tmp_path / "o"), "-c", str(cfg)]
    code, _, err = run_cli(
        [*base, "--decontaminate", str(benches["qa"]), "--decontaminate-ngram", "2"], capsys
    )
    assert code == 2 and "--decontaminate-ngram" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(
        [*base, "--decontaminate", str(benches["qa"]), "--benchmark-field", "nope"], capsys
    )
    assert code == 2 and "no item has field 'nope'; fields found: answer, choices, question" in err
    with pytest.raises(ValidationError, match="named twice"):
        DecontaminateConfig(benchmarks=["a", "a"])


def test_cli_card_report_and_rerun(
    tmp_path: Path, cli_setup: tuple[Path, Path], benches: dict[str, Path]
) -> None:
    src, cfg = cli_setup
    out = tmp_path / "out"
    cli = [sys.executable, "-m", "thresher", "refine", str(src), "-o", str(out), "-c", str(cfg)]
    cli += ["--decontaminate", str(benches["qa"]), "--decontaminate", str(benches["math"])]
    run = subprocess.run(cli, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "3 documents written" in run.stdout
    assert f"decontaminate: {benches['qa']}: 4 documents dropped (2 items" in run.stdout
    math = "2 documents dropped (1 item, 16 13-grams; 1 text under 13 words not checked)"
    assert f"decontaminate: {benches['math']}: {math}" in run.stdout
    card = (out / "README.md").read_text()
    section = card.split("### Decontamination", 1)[1].split("###", 1)[0]
    assert "5 of 8 documents shared one and were dropped" in section
    for name, hits in ((benches["qa"], 4), (benches["math"], 2)):
        digest = benchmark_sha256(str(name))
        assert f"| `{name}` | {hits} | `{digest}` |" in section
    assert "Overlap with evaluation sets was checked only against" in card
    report = subprocess.run(
        [sys.executable, "-m", "thresher", "report", str(out)], capture_output=True, text=True
    )
    assert report.returncode == 0, report.stderr
    page = (out / "report.html").read_text()
    assert "<h3>Decontamination</h3>" in page and str(benches["math"]) in page
    again = subprocess.run(cli, capture_output=True, text=True)
    assert again.returncode == 0 and "already complete" in again.stdout
    write_jsonl(benches["math"], [*MATH, {"problem": "another item"}])
    changed = subprocess.run(cli, capture_output=True, text=True)
    assert changed.returncode == 2, changed.stdout  # another benchmark version: another run


def test_redact_mode_on_the_command_line(
    tmp_path: Path, cli_setup: tuple[Path, Path], benches: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    src, cfg = cli_setup
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        ["refine", str(src), "-o", str(out), "-c", str(cfg), "--decontaminate",
         str(benches["qa"]), "--decontaminate-mode", "redact"], capsys,
    )  # fmt: skip
    assert code == 0, err
    assert f"{benches['qa']}: 4 documents redacted" in stdout
    docs = corpus(out)
    assert len(docs) == 8
    assert "<BENCHMARK>" in docs["exact"].text and QA[0]["question"] not in docs["exact"].text
    assert docs["near-12"].text == next(d["text"] for d in planted_docs() if d["id"] == "near-12")
    assert "kept with" in (out / "README.md").read_text()
