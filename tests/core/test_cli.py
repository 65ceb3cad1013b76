from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from thresher.cli import main
from thresher.document import Document
from thresher.progress import Reporter
from thresher.stats import StepStats
from thresher.store import CorpusWriter, write_manifest


def make_corpus(root: Path) -> None:
    with CorpusWriter(root, formats=["jsonl.gz", "parquet"]) as w:
        for i in range(9):
            w.write(
                Document(
                    text=f"text {i} " * (i + 1),
                    language=("en", "de", "fr")[i % 3],
                    bucket="all",
                    language_score=0.9,
                )
            )
    st = StepStats("langid", seen=10, kept=9)
    st.drop("low_score")
    write_manifest(root, kind="corpus", parts=w.parts, stats=[st])


def test_help_lists_every_contract_command_that_exists() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "thresher", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for cmd in ("demo", "run", "verify", "report", "export"):
        assert cmd in out


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "thresher", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("thresher ")


def test_verify_ok_and_failure_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make_corpus(tmp_path / "c")
    assert main(["verify", str(tmp_path)]) == 0
    assert "ok" in capsys.readouterr().out
    part = next((tmp_path / "c").rglob("*.jsonl.gz"))
    part.write_bytes(part.read_bytes()[:-5])
    assert main(["verify", str(tmp_path)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_verify_without_manifest_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("thresher: error:") and "no manifest.json" in err
    assert err.count("\n") == 1


def test_run_with_bad_config_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    cfg = tmp_path / "p.yaml"
    cfg.write_text("crawl:\n  seeds: [http://x.example/]\n  speed: 3\n")
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "p.yaml: crawl.speed: unknown key" in err and "Traceback" not in err


def test_report_writes_html(tmp_path: Path) -> None:
    make_corpus(tmp_path / "c")
    assert main(["report", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "<svg" in page and "low_score" in page and "de/all" in page


def test_export_csv(tmp_path: Path) -> None:
    make_corpus(tmp_path / "c")
    assert main(["export", str(tmp_path / "c"), "-o", str(tmp_path / "x.csv")]) == 0
    assert (tmp_path / "x.csv").read_text().count("\n") >= 10


def test_progress_writes_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with Reporter("extract", stream=stream, interval=0.0) as rep:
        for _ in range(3):
            rep.advance(pages=1)
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith("[thresher] extract: done 3")
    assert all(line.startswith("[thresher] extract:") for line in lines)


def test_progress_draws_a_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    with Reporter("crawl", total=2, stream=stream, force_terminal=True) as rep:
        rep.advance()
        rep.advance()
    assert "crawl" in stream.getvalue() and "2/2" in stream.getvalue()


def test_every_command_has_help_for_every_option(capsys: pytest.CaptureFixture) -> None:
    import typer.main

    from thresher.cli import app

    group = typer.main.get_command(app)
    names = sorted(group.commands)  # type: ignore[attr-defined]
    contract = {
        "crawl",
        "extract",
        "refine",
        "run",
        "train-lm",
        "train-classifier",
        "langid",
        "robots",
        "report",
        "verify",
        "demo",
    }
    assert contract <= set(names)
    for name in names:
        cmd = group.commands[name]  # type: ignore[attr-defined]
        assert cmd.help, f"{name} has no description"
        for param in cmd.params:
            if param.param_type_name == "option" and param.name != "help":
                assert getattr(param, "help", None), f"{name} {param.name}: no help text"
        assert main([name, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Usage: thresher " + name in out
