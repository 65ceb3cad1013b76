"""``thresher demo`` end to end: serve the shipped site, crawl, extract, refine, store, verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from thresher.demo import SITE_DIR, run_demo
from thresher.store import find_manifests, verify


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo") / "out"
    start = time.monotonic()
    result, site = run_demo(out)
    return out, result, site, time.monotonic() - start


def test_shipped_site_is_as_promised() -> None:
    pages = list(SITE_DIR.rglob("*.html"))
    assert len(pages) >= 40
    langs = {
        p.relative_to(SITE_DIR).parts[0] for p in pages if len(p.relative_to(SITE_DIR).parts) > 1
    }
    assert {"en", "fr", "de", "es"} <= langs
    assert "Disallow: /private/" in (SITE_DIR / "robots.txt").read_text()
    assert (SITE_DIR / "sitemap.xml").is_file()


def test_demo_is_fast_and_polite(demo_run) -> None:
    _out, _result, site, seconds = demo_run
    assert seconds < 60
    assert site.requests[0] == "/robots.txt"
    assert not any(p.startswith("/private/") for p in site.requests)
    # the last article of each language is linked only from the sitemap
    assert "/en/articles/11.html" in site.requests
    # nothing fetched twice
    pages = [p for p in site.requests if p.endswith(".html") or p.endswith("/")]
    assert len(pages) == len(set(pages))


def test_demo_corpus_verifies_and_is_split_by_language(demo_run) -> None:
    out, result, _site, _ = demo_run
    manifests = find_manifests(out)
    assert out / "corpus" in manifests
    for folder in manifests:
        res = verify(folder)
        assert res.ok, res.problems
    manifest = json.loads((out / "corpus" / "manifest.json").read_text())
    langs = {p["path"].split("/")[0] for p in manifest["parts"]}
    assert {"en", "fr", "de", "es"} <= langs
    assert {p["path"].rsplit(".", 1)[-1] for p in manifest["parts"]} >= {"parquet", "gz"}
    assert result.languages["en"] >= 10 and result.languages["fr"] >= 10
    stats = json.loads((out / "corpus" / "stats.json").read_text())
    assert stats["steps"], "every step reports what it kept and dropped"


def test_demo_splits_every_language_into_perplexity_buckets(demo_run) -> None:
    out, result, _site, _ = demo_run
    from thresher.demo.models import REFERENCE_DIR
    from thresher.store import read_documents

    assert {"en", "fr", "de", "es"} <= {p.stem for p in REFERENCE_DIR.glob("*.txt")}
    for lang in result.languages:
        meta = json.loads((out / "models" / f"{lang}.json").read_text())
        assert meta["order"] == 5 and meta["estimator"] == "builtin"
        folders = {p.name for p in (out / "corpus" / lang).iterdir() if p.is_dir()}
        assert folders == {"head", "middle", "tail"}, lang
        ppl = {
            b: [d.perplexity for d in read_documents(out / "corpus" / lang / b)]
            for b in ("head", "middle", "tail")
        }
        assert all(v is not None for vs in ppl.values() for v in vs)
        assert max(ppl["head"]) <= min(ppl["middle"]) and max(ppl["middle"]) <= min(ppl["tail"])


def test_demo_dropped_boilerplate_and_duplicates(demo_run) -> None:
    out, result, _site, _ = demo_run
    import pyarrow.parquet as pq

    rows = [
        r
        for f in (out / "corpus").rglob("*.parquet")
        for r in pq.read_table(f, columns=["url", "text"]).to_pylist()
    ]
    texts = [r["text"] for r in rows]
    for r in rows:
        if "/articles/" in r["url"]:
            text = r["text"]
            assert "All rights reserved" not in text and "Tous droits réservés" not in text
            assert "cookies" not in text.lower() and "Popular this week" not in text
    # each republished article survives once
    assert len(texts) == len(set(texts))
    assert any(n for _, _, n in result.dropped())


def test_demo_parquet_opens_with_pyarrow_duckdb_and_datasets(demo_run, tmp_path: Path) -> None:
    out, *_ = demo_run
    import duckdb
    import pyarrow.parquet as pq

    files = sorted((out / "corpus").rglob("*.parquet"))
    assert files
    rows = sum(pq.read_table(f).num_rows for f in files)
    langs = duckdb.sql(
        f"select language, count(*) from read_parquet('{out}/corpus/**/*.parquet') group by 1"
    ).fetchall()
    assert sum(n for _, n in langs) == rows and len(langs) >= 2
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
    }
    code = (
        "import sys, datasets\n"
        "d = datasets.load_dataset('parquet', data_files=sys.argv[1:], split='train')\n"
        "print(d.num_rows, sorted(set(d['language'])))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    n, _ = proc.stdout.split(" ", 1)
    assert int(n) == rows


def test_demo_command_prints_a_summary(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "thresher", "demo", "-o", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Documents per language" in proc.stdout and "Dropped" in proc.stdout
    assert str(tmp_path / "d") in proc.stdout
    # every language's row shows its head / middle / tail counts, adding up to its documents
    header = next(ln for ln in proc.stdout.splitlines() if ln.split()[:1] == ["language"])
    assert header.split()[1:] == ["┃", "head", "┃", "middle", "┃", "tail", "┃", "documents"]
    for lang in ("en", "fr", "de", "es"):
        row = next(ln for ln in proc.stdout.splitlines() if ln.split()[:1] == [lang])
        head, middle, tail, total = (int(x) for x in row.split()[2::2])
        assert min(head, middle, tail) > 0 and head + middle + tail == total
    report = (tmp_path / "d" / "report.html").read_text(encoding="utf-8")
    assert "Documents per language and perplexity bucket" in report
    # running it again on the same folder replaces the previous demo's output
    first = json.loads((tmp_path / "d" / "corpus" / "manifest.json").read_text())["counts"]
    proc = subprocess.run(
        [sys.executable, "-m", "thresher", "demo", "-o", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    second = json.loads((tmp_path / "d" / "corpus" / "manifest.json").read_text())["counts"]
    assert first == second
    proc = subprocess.run(
        [sys.executable, "-m", "thresher", "verify", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{first['documents']} documents" in proc.stdout


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    proc = subprocess.run(
        [sys.executable, "-m", "thresher", "demo", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "not a previous demo" in proc.stderr
    assert (tmp_path / "keep.txt").read_text() == "precious"


def test_run_pipeline_yaml_on_a_local_site(tmp_path: Path) -> None:
    from thresher.cli import main
    from thresher.demo import DemoServer

    with DemoServer() as site:
        cfg = tmp_path / "pipeline.yaml"
        cfg.write_text(
            "crawl:\n"
            f"  seeds: ['{site.base_url}/de/']\n"
            "  allow_private: true\n"
            "  rate: 200\n"
            "  per_host: 2\n"
            "  include: ['/de/']\n"
            "refine:\n"
            "  langid: {languages: [de]}\n"
            f"output:\n  dir: {tmp_path / 'out'}\n  formats: [jsonl.zst]\n",
            encoding="utf-8",
        )
        assert main(["run", str(cfg)]) == 0
        fetched = len(site.requests)
        first = (tmp_path / "out" / "corpus" / "manifest.json").read_text()
        # the same command again resumes: nothing is fetched twice, the corpus is unchanged
        assert main(["run", str(cfg)]) == 0
        pages_again = [p for p in site.requests[fetched:] if p.endswith(".html")]
        assert pages_again == []
        again = json.loads((tmp_path / "out" / "corpus" / "manifest.json").read_text())
        assert again["parts"] == json.loads(first)["parts"]
    assert not any(p.startswith("/en/") for p in site.requests)
    manifest = json.loads((tmp_path / "out" / "corpus" / "manifest.json").read_text())
    assert {p["path"].split("/")[0] for p in manifest["parts"]} == {"de"}
    assert all(p["path"].endswith(".jsonl.zst") for p in manifest["parts"])
    assert verify(tmp_path / "out" / "corpus").ok
