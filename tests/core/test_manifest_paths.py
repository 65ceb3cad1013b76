"""A manifest never points outside its folder.

A manifest is data on disk: one edited by hand (or by an attacker) that lists an absolute
path, a ``..`` path or a path through a symlink leading out of the folder must not make
``extract --overwrite``, ``refine --overwrite`` or ``thresher run`` delete that file, nor
``verify``, ``diff``, ``report`` or ``export`` read it. Every command refuses in one line,
exit code 2, before it does anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from thresher.cli import main
from thresher.errors import VerifyError
from thresher.store.folder import remove_output
from thresher.store.paths import check_marker, part_path, unsafe_reason

pytestmark = pytest.mark.timeout(120)

VICTIM = b"precious bytes that no thresher command may touch\n"
DOC = {"id": "a", "text": "The river rose slowly through the night while the council met."}


def tampered(tmp_path: Path, how: str, kind: str) -> tuple[Path, Path]:
    """A folder ``out`` of ``kind`` whose manifest lists a file outside it, and that file."""
    out = tmp_path / "out"
    out.mkdir()
    if how == "symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        victim = elsewhere / "part-00000.jsonl"
        os.symlink(elsewhere, out / "en", target_is_directory=True)
        rel = "en/part-00000.jsonl"
    else:
        victim = tmp_path / "victim.jsonl"
        rel = str(victim) if how == "absolute" else "../victim.jsonl"
    victim.write_bytes(VICTIM)
    part = {"path": rel, "sha256": "0" * 64, "documents": 1, "bytes": len(VICTIM)}
    manifest = {"kind": kind, "fingerprint": "another-run", "parts": [part], "counts": {}}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out, victim


def refused(code: int, capsys: pytest.CaptureFixture[str], victim: Path) -> None:
    """Exit 2, one error line naming the manifest, and the outside file as it was."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("thresher: error:")]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "manifest.json" in lines[0] and "not a path inside the folder" in lines[0], err
    assert victim.read_bytes() == VICTIM


HOW = ["absolute", "dotdot", "symlink"]


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    page = tmp_path / "in" / "page.html"
    page.parent.mkdir()
    page.write_text(f"<html><body><article><p>{DOC['text']}</p></article></body></html>")
    docs = tmp_path / "in" / "docs.jsonl"
    docs.write_text(json.dumps(DOC) + "\n", encoding="utf-8")
    return {"page": page, "docs": docs}


@pytest.mark.parametrize("how", HOW)
def test_extract_overwrite_leaves_the_outside_file(
    tmp_path: Path, how: str, inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out, victim = tampered(tmp_path, how, "documents")
    code = main(["extract", str(inputs["page"]), "-o", str(out), "--overwrite"])
    refused(code, capsys, victim)
    assert (out / "manifest.json").is_file()  # nothing of the folder was removed either


@pytest.mark.parametrize("how", HOW)
def test_refine_overwrite_leaves_the_outside_file(
    tmp_path: Path, how: str, inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out, victim = tampered(tmp_path, how, "refine")
    code = main(["refine", str(inputs["docs"]), "-o", str(out), "--overwrite"])
    refused(code, capsys, victim)
    assert (out / "manifest.json").is_file()


@pytest.mark.parametrize("how", HOW)
def test_run_refuses_before_it_crawls(
    tmp_path: Path, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``thresher run`` replaces its documents folder without a flag: it checks first."""
    root = tmp_path / "root"
    docs, victim = tampered(root.parent, how, "documents")
    root.mkdir()
    docs.rename(root / "documents")
    if how == "symlink":  # the link is relative to nothing: recreate it beside the new place
        (root / "documents" / "en").unlink()
        os.symlink(victim.parent, root / "documents" / "en", target_is_directory=True)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"crawl:\n  seeds: ['http://127.0.0.1:9/']\noutput:\n  dir: {root}\n")
    refused(main(["run", str(cfg)]), capsys, victim)
    assert not (root / "crawl").exists()  # refused before the crawl started


COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "verify": lambda out, tmp: ["verify", str(out)],
    "diff": lambda out, tmp: ["diff", str(out), str(out)],
    "export": lambda out, tmp: ["export", str(out), "-o", str(tmp / "x.jsonl")],
    "report": lambda out, tmp: ["report", str(out), "-o", str(tmp / "r.html")],
}


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_readers_refuse_a_manifest_pointing_outside(
    tmp_path: Path, how: str, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out, victim = tampered(tmp_path, how, "refine")
    victim.write_bytes(VICTIM)
    refused(main(COMMANDS[command](out, tmp_path)), capsys, victim)
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    "rel",
    ["/etc/passwd", "../x", "a/../../x", "a//b", "./x", "a\\..\\x", "C:/x", "c:x", "a\0b", "", 3],
)
def test_unsafe_paths_by_their_text(rel: object) -> None:
    assert unsafe_reason(rel) is not None
    with pytest.raises(VerifyError) as e:
        check_marker({"parts": [{"path": rel}]}, "m.json")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("rel", ["part-00000.jsonl.gz", "en/head/part-00001.parquet", "a..b"])
def test_safe_paths(tmp_path: Path, rel: str) -> None:
    assert unsafe_reason(rel) is None
    assert part_path(tmp_path, rel) == tmp_path / rel


def test_a_newline_in_a_path_stays_on_one_line(tmp_path: Path) -> None:
    with pytest.raises(VerifyError) as e:
        part_path(tmp_path, "../a\nthresher: error: forged")
    assert "\n" not in str(e.value)


def test_remove_output_never_follows_a_linked_folder(tmp_path: Path) -> None:
    """Unlisted part files are removed too, but never through a link to another folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "part-00000.jsonl").write_bytes(VICTIM)
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(elsewhere, out / "en", target_is_directory=True)
    (out / "part-00001.jsonl").write_text("{}\n")
    remove_output(out)
    assert (elsewhere / "part-00000.jsonl").read_bytes() == VICTIM
    assert not (out / "part-00001.jsonl").exists()
    assert out.is_dir()  # the folder itself stays


@pytest.mark.parametrize("command", ["verify", "export", "extract"])
def test_a_bucket_manifest_pointing_outside_is_refused(
    tmp_path: Path, command: str, inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The same rule in an object store (fsspec's in-memory store stands for a bucket)."""
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    root = f"/b-{tmp_path.name}"
    fs.pipe_file(f"{root}/other/part-00000.jsonl", VICTIM)
    part = {"path": "../other/part-00000.jsonl", "sha256": "0" * 64, "documents": 1,
            "bytes": len(VICTIM)}  # fmt: skip
    manifest = {"kind": "documents", "fingerprint": "another-run", "parts": [part]}
    fs.pipe_file(f"{root}/out/manifest.json", json.dumps(manifest).encode())
    url = f"memory://{root}/out"
    argv = {
        "verify": ["verify", url],
        "export": ["export", url, "-o", str(tmp_path / "x.jsonl")],
        "extract": ["extract", str(inputs["page"]), "-o", url, "--overwrite"],
    }[command]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count("thresher: error:") == 1, err
    assert "manifest.json" in err and "not a path inside the folder" in err, err
    assert fs.cat_file(f"{root}/other/part-00000.jsonl") == VICTIM
    assert fs.exists(f"{root}/out/manifest.json")
