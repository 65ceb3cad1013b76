"""``thresher extract`` and ``thresher reddit`` ending well: inputs with nothing to read, a
missing extra, Ctrl-C with worker processes — one line each, the right exit status."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from thresher.cli import main

from .warcs import page, warc_record, write_warc


@pytest.mark.parametrize("files", [[], ["readme.txt", "notes/a.md"]])
def test_a_folder_without_input_files_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: list[str]
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in files:
        (inputs / name).parent.mkdir(parents=True, exist_ok=True)
        (inputs / name).write_text("not an archive\n")
    out = tmp_path / "out"
    assert main(["extract", str(inputs), "-o", str(out), "--workers", "2"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"thresher: error: {inputs}: no WARC, WET, ARC or HTML file found"]
    assert not out.exists()  # no .documents-work/ left behind


def test_reddit_without_praw_is_the_install_hint_the_other_extras_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "praw", None)  # `import praw` raises ImportError
    assert main(["reddit", "r/python", "-o", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "thresher: error: thresher reddit needs the praw package: pip install 'thresher[reddit]'"
    ]


def ctrl_c_once(
    args: list[str], out: Path, err: Path, *, wait: float, env: dict[str, str] | None = None
) -> tuple[int, float]:
    """Run ``args`` in its own session, send SIGINT to its process group (what Ctrl-C in a
    terminal does) once the small archive's shard is done; (exit code, seconds to exit)."""
    with open(err, "w") as errf:
        proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=errf, start_new_session=True, env=env
        )
        try:
            deadline = time.monotonic() + 60
            small_done = out / ".documents-work/shards/00001.done.json"
            while not small_done.exists():  # the small archive done: its worker waits idle
                assert proc.poll() is None and time.monotonic() < deadline, err.read_text()
                time.sleep(0.05)
            time.sleep(0.3)
            os.killpg(proc.pid, signal.SIGINT)
            sent = time.monotonic()
            code = proc.wait(timeout=wait)
            return code, time.monotonic() - sent
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _archives(folder: Path) -> None:
    """A long archive and a two-page one: with two workers, one worker is soon idle while
    the other is still busy (both states once printed a KeyboardInterrupt traceback)."""
    folder.mkdir()
    para = " ".join(["A sentence of the page about the many things that matter here."] * 12)
    body = "\n".join([para] * 6)
    for name, n in (("big", 2500), ("small", 2)):
        recs = [warc_record(f"http://ex.com/{name}/{i}", page(f"T{i}", body)) for i in range(n)]
        write_warc(folder / f"{name}.warc.gz", recs, "gzip")


@pytest.mark.timeout(120)
def test_ctrl_c_with_two_workers_is_one_line_exit_130_and_no_worker_traceback(
    tmp_path: Path,
) -> None:
    _archives(tmp_path / "in")
    out = tmp_path / "out"
    err = tmp_path / "err.txt"
    args = [sys.executable, "-m", "thresher", "extract", str(tmp_path / "in"), "-o", str(out)]
    code, took = ctrl_c_once([*args, "--workers", "2"], out, err, wait=30)
    text = err.read_text()
    assert code == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert text.strip().splitlines()[-1] == "thresher: interrupted"
    assert took < 10  # the busy worker is stopped, not waited for
    assert not (out / ".documents-work/shards/00000.done.json").exists()
