"""The same inputs in another order are the same run: the same fingerprint, "already
complete" on a rerun, and byte-identical parts when written afresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.refine.helpers import LIGHT_REFINE_YAML, SENTENCES, write_jsonl
from thresher.cli import main
from thresher.store.folder import canonical_order
from thresher.store.identity import run_fingerprint

pytestmark = pytest.mark.timeout(180)


def parts(out: Path) -> list[tuple[str, str]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return [(p["path"], p["sha256"]) for p in manifest["parts"]]


@pytest.fixture
def two(tmp_path: Path) -> tuple[Path, Path]:
    """Two document files; the same paragraph in both, so dedup keeps the copy of whichever
    file is read first (input order would change the corpus)."""
    shared = SENTENCES["en"][0]
    a = write_jsonl(
        tmp_path / "in" / "b-first.jsonl",
        [
            {"id": f"a{i}", "text": f"{shared}\n{s} Number {i}."}
            for i, s in enumerate(SENTENCES["en"])
        ],
    )
    b = write_jsonl(
        tmp_path / "in" / "a-second.jsonl",
        [
            {"id": f"b{i}", "text": f"{shared}\n{s} Zahl {i}."}
            for i, s in enumerate(SENTENCES["de"])
        ],
    )
    return a, b


def test_refine_in_another_order_is_already_complete(
    tmp_path: Path, two: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two
    cfg = tmp_path / "light.yaml"
    cfg.write_text(LIGHT_REFINE_YAML)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert main(["refine", str(a), str(b), "-o", str(out), "--config", str(cfg)]) == 0
    before = (out / "manifest.json").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["refine", str(b), str(a), "-o", str(out), "--config", str(cfg)]) == 0
    assert "already complete" in capsys.readouterr().out
    assert (out / "manifest.json").read_text(encoding="utf-8") == before  # not redone
    assert main(["refine", str(b), str(a), "-o", str(fresh), "--config", str(cfg)]) == 0
    assert parts(fresh) == parts(out)  # the same documents kept, in the same parts


def test_extract_in_another_order_is_the_same_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = []
    for name, text in (("z.html", SENTENCES["en"][1]), ("a.html", SENTENCES["fr"][1])):
        page = tmp_path / "pages" / name
        page.parent.mkdir(exist_ok=True)
        page.write_text(f"<html><body><article><p>{text}</p></article></body></html>")
        pages.append(str(page))
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert main(["extract", *pages, "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["extract", *reversed(pages), "-o", str(out)]) == 0
    assert "already complete" in capsys.readouterr().out
    assert main(["extract", *reversed(pages), "-o", str(fresh)]) == 0
    assert parts(fresh) == parts(out)


def test_fingerprint_and_order_ignore_how_inputs_are_given(tmp_path: Path) -> None:
    files = []
    for name in ("b.jsonl", "a.jsonl", "c.jsonl"):
        (tmp_path / name).write_text("{}\n")
        files.append(str(tmp_path / name))
    forward = run_fingerprint("s", files, named=["cc:x", "cc:y"])
    assert run_fingerprint("s", files[::-1], named=["cc:y", "cc:x"]) == forward
    assert run_fingerprint("other settings", files, named=["cc:x", "cc:y"]) != forward
    spelled = [f"file://{files[0]}", files[1], str(tmp_path / "." / "c.jsonl"), files[0]]
    assert [Path(str(p).removeprefix("file://")).name for p in canonical_order(spelled)] == [
        "a.jsonl",
        "b.jsonl",
        "c.jsonl",
    ]
