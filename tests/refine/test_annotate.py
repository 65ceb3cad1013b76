"""thresher annotate's core: the stratified sample, the prompts, parsing answers, asking the
LLM stand-in (with faults) through thresher's client."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from tests.llm.fake_chat import FakeChat
from tests.refine.planted_quality import planted, scorer
from thresher.document import Document
from thresher.errors import ConfigError
from thresher.llm.answers import BadAnswer
from thresher.llm.config import LLMConfig
from thresher.refine.annotate import annotate_documents, parse_score, quotas, sample_documents
from thresher.refine.annotate_prompts import BUILT_IN, load_prompt
from thresher.stats import StepStats

EDU = BUILT_IN["edu"]


def _docs(n_by_lang: dict[str, int]) -> list[Document]:
    return [
        Document(text=f"{lang} text number {i}", id=f"{lang}-{i}", language=lang)
        for lang, n in n_by_lang.items()
        for i in range(n)
    ]


def test_quotas_are_proportional_with_one_each_and_never_more_than_there_is() -> None:
    assert quotas({"en": 900, "de": 90, "fr": 10}, 100) == {"en": 90, "de": 9, "fr": 1}
    assert sum(quotas({"en": 5000, "de": 3, "xx": 1}, 50).values()) == 50
    assert quotas({"en": 5000, "de": 3, "xx": 1}, 50)["xx"] == 1
    assert quotas({"en": 3, "de": 2}, 100) == {"en": 3, "de": 2}  # fewer than asked: all
    assert quotas({"en": 10, "de": 10, "fr": 10}, 2) == {"de": 1, "en": 1}  # ties: by name


def test_sample_is_stratified_deterministic_and_independent_of_order() -> None:
    docs = _docs({"en": 600, "de": 300, "fr": 100})
    a = sample_documents(docs, 100, seed=3)
    shuffled = docs[:]
    random.Random(1).shuffle(shuffled)
    b = sample_documents(shuffled, 100, seed=3)
    assert [d.id for d in a] == [d.id for d in b]
    assert Counter(d.language for d in a) == {"en": 60, "de": 30, "fr": 10}
    c = sample_documents(docs, 100, seed=4)
    assert {d.id for d in a} != {d.id for d in c}


def test_parse_score_reads_json_prose_and_refuses_what_is_not_a_score() -> None:
    assert parse_score('{"rationale": "clear", "score": 4}', EDU) == (4, "clear")
    assert parse_score('Sure:\n```json\n{"score": 2.5}\n```', EDU) == (2.5, "")
    score, why = parse_score("Basic facts, some ads.\nEducational score: 3", EDU)
    assert (score, why) == (3, "Basic facts, some ads.")
    assert parse_score('{"score": "5"}', EDU)[0] == 5
    for bad in ("I cannot rate this.", '{"score": 9}', '{"score": true}', '{"grade": 3}'):
        with pytest.raises(BadAnswer):
            parse_score(bad, EDU)


def test_prompt_files_declare_their_range(tmp_path: Path) -> None:
    assert load_prompt("edu").high == 5 and load_prompt("quality").name == "quality"
    good = tmp_path / "legal.md"
    good.write_text("---\nmin: 0\nmax: 10\n---\nRate the legal value of the extract.\n")
    p = load_prompt(str(good))
    assert (p.name, p.low, p.high) == ("legal", 0, 10)
    assert p.schema()["properties"]["score"]["maximum"] == 10
    cases = {
        "no header": "Rate it.",
        "unclosed": "---\nmin: 0\nmax: 3\nRate it.",
        "no max": "---\nmin: 0\n---\nRate it.",
        "empty range": "---\nmin: 5\nmax: 5\n---\nRate it.",
        "unknown key": "---\nmin: 0\nmax: 5\nscale: 9\n---\nRate it.",
        "empty prompt": "---\nmin: 0\nmax: 5\n---\n\n",
    }
    for name, text in cases.items():
        f = tmp_path / f"{name.replace(' ', '_')}.txt"
        f.write_text(text)
        with pytest.raises(ConfigError) as e:
            load_prompt(str(f))
        assert "\n" not in str(e.value) and str(f) in str(e.value), name
    with pytest.raises(ConfigError, match="neither a built-in prompt"):
        load_prompt(str(tmp_path / "missing.txt"))


def _config(server: FakeChat, tmp_path: Path, **kw: object) -> LLMConfig:
    return LLMConfig(
        base_url=server.url, model="fake", cache=str(tmp_path / "cache"), backoff=0.01,
        backoff_max=0.05, reasks=1, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_annotate_with_faults_counts_what_it_skips_and_what_it_cost(tmp_path: Path) -> None:
    records = planted(8, seed=1)
    records[0]["text"] += " [500-twice]"
    records[1]["text"] += " [garbage]"
    records[2]["text"] += " [garbage-once]"
    records[3]["text"] += " [slow-once]"
    docs = [Document.from_dict(r) for r in records]
    with FakeChat(scorer=scorer, slow=1.0) as server:
        config = _config(server, tmp_path, timeout=0.5, price_input=1.0, price_output=2.0)
        stats = StepStats("annotate")
        out = list(annotate_documents(docs, config, EDU, stats))
        assert server.statuses[500] == 2
    assert [d.id for d in out] == [r["id"] for i, r in enumerate(records) if i != 1]
    assert stats.dropped == {"unparseable": 1} and stats.kept == 7 and stats.seen == 8
    for doc in out:
        ann = doc.metadata["annotation"]
        assert set(ann) == {"score", "rationale", "prompt", "model"}
        assert ann["prompt"] == "edu" and ann["model"] == "fake"
        assert (ann["score"] >= 4) == (doc.metadata["planted"] == "good")
    c = stats.counters
    assert c["llm:retries:500"] == 2 and c["llm:reasks"] >= 2 and c["llm:retries:timeout"] >= 1
    assert c["llm:cost_micro"] > 0 and c["llm:tokens:prompt"] > 0


def test_a_rerun_is_answered_from_the_cache(tmp_path: Path) -> None:
    docs = [Document.from_dict(r) for r in planted(6, seed=2)]
    with FakeChat(scorer=scorer) as server:
        config = _config(server, tmp_path)
        first = list(annotate_documents(docs, config, EDU, StepStats("a")))
        sent = server.requests
        again = StepStats("a")
        second = list(annotate_documents(docs, config, EDU, again))
        assert server.requests == sent == 6
    assert again.counters["llm:cache_hits"] == 6
    assert [d.metadata["annotation"] for d in first] == [d.metadata["annotation"] for d in second]


def test_servers_without_response_format_get_the_rules_in_the_prompt(tmp_path: Path) -> None:
    docs = [Document.from_dict(r) for r in planted(4, seed=3)]
    with FakeChat(scorer=scorer, reject_response_format=True) as server:
        stats = StepStats("a")
        out = list(annotate_documents(docs, _config(server, tmp_path), EDU, stats))
    assert len(out) == 4  # requests in flight at once may each be refused once
    assert 1 <= stats.counters["llm:response_format_rejected"] <= 4
    assert sum("response_format" not in p for p in server.payloads) == 4


def test_cli_annotate_train_and_refine_with_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.metrics import roc_auc_score

    from tests.refine.planted_quality import write
    from thresher.cli import main
    from thresher.refine.quality_model import load_model
    from thresher.store import read_documents

    records = planted(300, seed=41)
    records[7]["text"] += " [garbage]"
    records[8]["text"] += " [500-twice]"
    docs = write(tmp_path / "in" / "a.jsonl", records[:150])
    write(tmp_path / "in" / "b.jsonl", records[150:])
    ann = tmp_path / "ann"
    with FakeChat(scorer=scorer) as server:
        args = ["annotate", str(docs.parent), "-o", str(ann), "--sample", "240", "--seed", "2",
                "--llm-base-url", server.url, "--llm-model", "fake", "--no-llm-cache",
                "--llm-reasks", "0", "--llm-price-input", "0.5"]  # fmt: skip
        assert main(args) == 0
        out = capsys.readouterr()
        sent = server.requests
        assert main(args) == 0  # a finished folder: nothing asked again
        assert "already complete" in capsys.readouterr().out and server.requests == sent
    assert "annotated documents written" in out.out
    line = out.err.strip().splitlines()[-1]
    assert line.startswith("annotate: ") and "requests" in line and "estimated cost" in line
    got = list(read_documents(ann))
    assert 230 <= len(got) <= 240 and all("annotation" in d.metadata for d in got)
    assert Counter(d.language for d in got) == pytest.approx(
        {"en": len(got) / 2, "de": len(got) / 2}, abs=2
    )
    manifest = (ann / "manifest.json").read_text()
    assert '"kind": "annotations"' in manifest and '"name": "edu"' in manifest
    model = tmp_path / "model"
    assert main(["train-quality", str(ann), "-o", str(model)]) == 0
    assert "auc" in capsys.readouterr().out
    fresh = planted(100, seed=77)
    scores = load_model(model).predict([r["text"] for r in fresh])
    assert roc_auc_score([r["metadata"]["planted"] == "good" for r in fresh], scores) >= 0.9


def test_cli_annotate_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.refine.planted_quality import write
    from thresher.cli import main

    docs = write(tmp_path / "d.jsonl", planted(6, seed=1))
    base = ["annotate", str(docs), "-o", str(tmp_path / "o"), "--llm-model", "m"]
    cases = [
        (["--llm-base-url", "ftp://x"], "--llm-base-url"),
        (["--llm-base-url", "http://127.0.0.1:9/v1", "--prompt", "nope.txt"], "built-in prompt"),
        (["--llm-base-url", "http://127.0.0.1:9/v1", "--no-llm-cache"], "cannot connect"),
    ]
    for extra, message in cases:
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
    with FakeChat(scorer=lambda page: "no idea") as server:  # every answer unusable: exit 1
        code = main([*base, "--llm-base-url", server.url, "--no-llm-cache", "--llm-reasks", "0"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "no answer of the model could be used (unparseable 6)" in err
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_cli_annotate_resumes_after_the_endpoint_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.refine.planted_quality import write
    from thresher.cli import main
    from thresher.store import read_documents

    records = planted(40, seed=5)
    write(tmp_path / "in" / "a.jsonl", records[:20])
    write(tmp_path / "in" / "b.jsonl", records[20:])  # one shard per input file here
    out = tmp_path / "ann"

    def args(url: str) -> list[str]:
        return ["annotate", str(tmp_path / "in"), "-o", str(out), "--sample", "40",
                "--llm-base-url", url, "--llm-model", "fake", "--no-llm-cache"]  # fmt: skip

    with FakeChat(scorer=scorer, fail_after=20) as server:  # the key is revoked after a.jsonl
        assert main(args(server.url)) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "HTTP 401" in err and not (out / "manifest.json").exists()
    with FakeChat(scorer=scorer) as server:
        assert main(args(server.url)) == 0
        assert server.requests == 20  # only the unfinished shard is asked again
    assert len(list(read_documents(out))) == 40
