"""extract, refine, sft and chunks never write into a folder of the user's, nor nest their
output with an input: one line, exit 2, and the folder as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thresher.cli import main
from thresher.output import LOCK_NAME

pytestmark = pytest.mark.timeout(120)

TEXT = "The river rose slowly through the night while the town council met to plan repairs."
README = "# my project\n\nnotes that must survive\n"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "docs.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "pages" / "page.html"
    path.parent.mkdir()
    path.write_text(f"<html><body><article><p>{TEXT}</p></article></body></html>")
    return path


def refused(code: int, capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("thresher: error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def user_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "README.md").write_text(README)
    (path / "data.csv").write_text("a,b\n1,2\n")
    return path


def untouched(path: Path) -> None:
    assert sorted(p.name for p in path.iterdir()) == ["README.md", "data.csv"]
    assert (path / "README.md").read_text() == README


def command(name: str, inp: Path, out: Path) -> list[str]:
    return [name, str(inp), "-o", str(out)]


@pytest.mark.parametrize("name", ["extract", "refine", "sft", "chunks"])
def test_a_folder_of_the_users_is_refused(
    tmp_path: Path, name: str, docs: Path, page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mix = user_folder(tmp_path / "mix")
    inp = page if name == "extract" else docs
    code = main([*command(name, inp, mix), "--overwrite"])  # --overwrite changes nothing
    refused(code, capsys, str(mix), "not empty", "README.md", "new or empty folder")
    untouched(mix)


def test_dot_is_refused_in_a_working_folder(
    tmp_path: Path, docs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = user_folder(tmp_path / "project")
    monkeypatch.chdir(work)
    refused(main(command("refine", docs, Path("."))), capsys, "not empty")
    untouched(work)


@pytest.mark.parametrize("name", ["extract", "refine", "sft", "chunks"])
def test_an_output_inside_an_input_folder_is_refused(
    tmp_path: Path, name: str, docs: Path, page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = (page if name == "extract" else docs).parent
    before = sorted(p.name for p in folder.iterdir())
    refused(main(command(name, folder, folder / "out")), capsys, "inside the input folder")
    assert sorted(p.name for p in folder.iterdir()) == before  # not even an empty out/


@pytest.mark.parametrize("name", ["extract", "refine"])
def test_an_input_inside_the_output_is_refused(
    name: str, docs: Path, page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = page if name == "extract" else docs
    refused(main(command(name, inp, inp.parent)), capsys, "holds the input")
    assert sorted(p.name for p in inp.parent.iterdir()) == [inp.name]


def test_the_input_itself_is_refused(docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(main(command("refine", docs.parent, docs.parent)), capsys, "is the input")


def test_empty_folders_and_thresher_outputs_are_still_used(
    tmp_path: Path, page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / LOCK_NAME).write_text("")  # left by a killed run: not a file of the user's
    assert main(command("extract", page, empty)) == 0
    assert (empty / "manifest.json").is_file()
    assert main(command("extract", page, empty)) == 0  # a rerun: already complete
    assert "already complete" in capsys.readouterr().out
