"""``thresher refine`` over partner files of another layout: options, the YAML, workers, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from thresher.store import read_documents

from .helpers import error_line, light_config, partner_records, thresher

OPTIONS = ["--text-field", "body", "--id-field", "uid", "--url-field", "meta.url"]


def _files(folder: Path) -> dict[str, Path]:
    """The same nine partner records as JSONL, CSV (flat columns) and Parquet (nested)."""
    records = partner_records()
    folder.mkdir(parents=True, exist_ok=True)
    jsonl = folder / "partner.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records) + '{"uid": "no-body"}\n')
    table = folder / "partner.csv"
    with open(table, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, ["uid", "body", "meta.url", "headline"])
        w.writeheader()
        for r in records:
            w.writerow({"uid": r["uid"], "body": r["body"], "meta.url": r["meta"]["url"]})
    parquet = folder / "partner.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet)
    return {"jsonl": jsonl, "csv": table, "parquet": parquet}


def test_every_layout_gives_the_same_corpus(tmp_path: Path) -> None:
    files = _files(tmp_path / "in")
    cfg = light_config(tmp_path)
    corpora = {}
    for kind, path in files.items():
        out = tmp_path / f"out-{kind}"
        proc = thresher("refine", path, "-o", out, "-c", cfg, *OPTIONS)
        assert proc.returncode == 0, proc.stderr
        corpora[kind] = {d.id: d for d in read_documents([out])}
        if kind == "jsonl":
            assert "read: dropped 1 of 10 (no_text: 1)" in proc.stdout
    ids = {r["uid"] for r in partner_records()}
    for kind, docs in corpora.items():
        assert set(docs) == ids, kind
        assert docs["de-2"].url == "https://de.example/2", kind
        assert {d.language for d in docs.values()} == {"en", "de", "fr"}, kind
    assert corpora["parquet"]["fr-1"].metadata["meta"] == {"votes": 1}
    assert corpora["jsonl"]["fr-1"].metadata["lang_hint"] == "fr"


def test_the_yaml_mapping_and_options_over_it(tmp_path: Path) -> None:
    files = _files(tmp_path / "in")
    cfg = light_config(tmp_path, "  fields: {text: body, url: meta.url, title: headline}\n")
    out = tmp_path / "out"
    proc = thresher("refine", files["jsonl"], "-o", out, "-c", cfg, "-w", "2")
    assert proc.returncode == 0, proc.stderr
    docs = list(read_documents([out]))
    assert {d.title for d in docs} >= {"en 0", "de 1"}
    assert all(d.id and len(d.id) == 32 for d in docs)  # no id field: from the content
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["fields"]["text"] == "body"
    # the option wins over the YAML's field; another mapping is another run
    again = thresher("refine", files["jsonl"], "-o", out, "-c", cfg, "--id-field", "uid")
    assert "--overwrite" in error_line(again)
    proc = thresher(
        "refine", files["jsonl"], "-o", out, "-c", cfg, "--id-field", "uid", "--overwrite"
    )
    assert proc.returncode == 0, proc.stderr
    assert {d.id for d in read_documents([out])} == {r["uid"] for r in partner_records()}


def test_two_files_on_two_workers(tmp_path: Path) -> None:
    files = _files(tmp_path / "in")
    out = tmp_path / "out"
    # keep-first: the copies in the second file go, the first stay (a run that keeps
    # nothing is an error)
    cfg = light_config(tmp_path, "  dedup: {policy: keep-first}\n")
    proc = thresher(
        "refine", files["csv"], files["parquet"], "-o", out, "-c", cfg, "-w", "2", *OPTIONS
    )
    assert proc.returncode == 0, proc.stderr
    stats = json.loads((out / "stats.json").read_text())["steps"]
    read = next(s for s in stats if s["name"] == "read")
    assert (read["seen"], read["kept"], read["counters"]["files"]) == (18, 18, 2)
    dedup = next(s for s in stats if s["name"] == "paragraph_dedup")
    assert dedup["dropped"]  # the same texts in both files: the second file's go


def test_bad_inputs_are_one_line(tmp_path: Path) -> None:
    files = _files(tmp_path / "in")
    disguised = tmp_path / "in" / "data.jsonl"
    disguised.write_bytes(files["parquet"].read_bytes())
    bad_yaml = light_config(tmp_path, "  fields: {text: body, idd: uid}\n")
    only_other = tmp_path / "in" / "other.jsonl"
    only_other.write_text('{"content": "a"}\n{"content": "b"}\n')
    cases = [
        (["refine", disguised, "-o", tmp_path / "o1"], "is a Parquet file, not JSON lines"),
        (["refine", files["jsonl"], "-o", tmp_path / "o2", "-c", bad_yaml], "refine.fields.idd"),
        (["refine", only_other, "-o", tmp_path / "o3", *OPTIONS], "no_text 2"),
    ]
    for args, needle in cases:
        line = error_line(thresher(*args))
        assert needle in line, line
        assert not Path(args[3]).exists() or not any(Path(args[3]).rglob("part-*"))


def test_export_takes_the_same_options(tmp_path: Path) -> None:
    files = _files(tmp_path / "in")
    out = tmp_path / "partner-as-documents.parquet"
    proc = thresher("export", files["jsonl"], "-o", out, *OPTIONS, "--title-field", "headline")
    assert proc.returncode == 0, proc.stderr
    assert "wrote 9 documents" in proc.stdout and "no_text 1" in proc.stdout
    rows = {r["id"]: r for r in pq.read_table(out).to_pylist()}
    assert set(rows) == {r["uid"] for r in partner_records()}
    assert rows["fr-2"]["url"] == "https://fr.example/2" and rows["fr-2"]["title"] == "fr 2"
    assert json.loads(rows["fr-2"]["metadata"]) == {"meta": {"votes": 2}, "lang_hint": "fr"}


def test_chunks_take_the_same_options(tmp_path: Path) -> None:
    files = _files(tmp_path / "in")
    out = tmp_path / "chunks"
    args = ["chunks", files["csv"], "-o", out, "--max-tokens", "64", *OPTIONS]
    proc = thresher(*args)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in (out / "part-00000.jsonl").read_text().splitlines()]
    assert {r["doc_id"] for r in rows} == {r["uid"] for r in partner_records()}
    assert {r["url"] for r in rows} >= {"https://en.example/0", "https://fr.example/2"}
    # another mapping is another run
    line = error_line(thresher("chunks", files["csv"], "-o", out, "--text-field", "uid"))
    assert "--overwrite" in line, line
