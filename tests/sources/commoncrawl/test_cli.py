"""``thresher extract cc:...`` end to end in a subprocess, a SIGKILLed run resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.sources.commoncrawl.crawl import CRAWL, Snapshot
from tests.sources.commoncrawl.servers import Servers, wait_for
from thresher.extract.config import ExtractConfig
from thresher.extract.to_folder import extract_to_folder
from thresher.sources.commoncrawl.config import CommonCrawlConfig
from thresher.store.readers import read_documents


def thresher(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "thresher", *args], capture_output=True,
                          text=True, timeout=120, **kw)  # type: ignore[call-overload]  # fmt: skip


def server_options(servers: Servers) -> list[str]:
    return ["--cc-index-server", servers.index_url, "--cc-data-server", servers.data_url]


def journalled(out: Path) -> int:
    """Captures written down in the work folder's Common Crawl caches."""
    journals = out.glob(".documents-work/shards/sources/cc/*/journal.jsonl")
    return sum(len(j.read_text().splitlines()) for j in journals)


def wanted_ranges(snap: Snapshot) -> Counter[tuple[str, str]]:
    """Every selected capture of *.example.org once ("moved" shares p0's range)."""
    return Counter(
        (r["filename"], f"bytes={r['offset']}-{int(r['offset']) + int(r['length']) - 1}")
        for r in snap.rows
        if ".example.org/" in r["url"] and r["status"] == "200" and r["mime"] == "text/html"
    )


def test_extract_a_slice_then_a_rerun_that_fetches_nothing(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    out = tmp_path / "docs"
    run = thresher("extract", f"cc:{CRAWL}/*.example.org", "-o", str(out), *server_options(servers))
    assert run.returncode == 0, run.stderr
    assert "extracted 12 documents" in run.stderr
    assert "dropped: wrong_record=2" in run.stderr
    line = next(x for x in run.stderr.splitlines() if x.startswith("fetched "))
    assert "from Common Crawl: 14 records" in line and "KB" in line and "2 wrong records" in line
    assert servers.data.ranges() == wanted_ranges(snap)
    again = thresher(
        "extract", f"cc:{CRAWL}/*.example.org", "-o", str(out), *server_options(servers)
    )
    assert again.returncode == 0 and "already complete (12 documents)" in again.stdout
    assert servers.data.ranges() == wanted_ranges(snap)
    verify = thresher("verify", str(out))
    assert verify.returncode == 0, verify.stderr


def test_a_sigkilled_run_is_resumed_without_fetching_any_record_twice(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    out = tmp_path / "docs"
    args = ["extract", f"cc:{CRAWL}/*.example.org", "-o", str(out), "--cc-fetchers", "2",
            *server_options(servers)]  # fmt: skip
    servers.data.hold_after = 5  # item 0 (3 ranges) done, item 1 half-way, then hang
    proc = subprocess.Popen([sys.executable, "-m", "thresher", *args], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(servers.data.held)
        # kill once every range it was sent is in a journal (the run writes each down the
        # moment it arrives; a range in flight at a kill may be fetched again, by design)
        deadline = time.monotonic() + 30
        while journalled(out) < sum(servers.data.ranges().values()):
            assert time.monotonic() < deadline, "the killed run never journalled its ranges"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert journalled(out) >= 2
    servers.data.hold_after = None
    servers.data.release.set()
    run = thresher(*args[:4], "--cc-fetchers", "3", *args[6:])  # resumed all the same
    assert run.returncode == 0, run.stderr
    assert servers.data.ranges() == wanted_ranges(snap)  # each range exactly once in all
    # the same documents in the same order as a run that was never interrupted
    cc = CommonCrawlConfig(index_server=servers.index_url, data_server=servers.data_url)
    extract_to_folder([f"cc:{CRAWL}/*.example.org"], tmp_path / "ref", ExtractConfig(cc=cc))
    resumed = [(d.id, d.source, d.text) for d in read_documents([out])]
    assert resumed == [(d.id, d.source, d.text) for d in read_documents([tmp_path / "ref"])]
    assert len(resumed) == 12


def test_a_whole_snapshot_from_the_command_line_with_kind_and_shards(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    out = tmp_path / "docs"
    run = thresher("extract", f"cc:{CRAWL}", "--kind", "warc", "--shards", "1", "-o", str(out),
                   *server_options(servers))  # fmt: skip
    assert run.returncode == 0, run.stderr
    urls = {d.url for d in read_documents([out])}
    assert urls and all(u.startswith(("https://forum.", "https://other.")) for u in urls)
    line = next(x for x in run.stderr.splitlines() if x.startswith("fetched "))
    assert line.endswith("KB from Common Crawl: 1 file"), line


def test_a_file_that_fails_is_left_unfinished_and_the_rerun_fetches_it(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("extract:\n  cc:\n    tries: 2\n    backoff: 0.01\n    backoff_max: 0.02\n")
    first, second = snap.warc
    servers.data.fail_first[(first, 0)] = [503, 503]  # SlowDown on every try of the first run
    servers.data.fail_first[(second, 0)] = [404]  # a listed file not there (yet)
    out = tmp_path / "docs"
    args = ["extract", f"cc:{CRAWL}", "--kind", "warc", "-o", str(out), "--config", str(cfg),
            *server_options(servers)]  # fmt: skip
    run = thresher(*args)
    assert run.returncode == 75, run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[-1].startswith("thresher: error: 2 of 2 item(s) left unfinished: "), lines
    assert "CC-MAIN-a.warc.gz: gave up after 2 attempt(s): http_503" in lines[-1]
    assert "CC-MAIN-b.warc.gz: HTTP 404" in lines[-1] and "rerun" in lines[-1]
    assert not (out / "manifest.json").exists()
    again = thresher(*args)  # the servers answer now: both files are fetched
    assert again.returncode == 0, again.stderr
    urls = [d.url for d in read_documents([out])]
    assert "https://www.example.org/p0" in urls and "https://forum.example.org/forum/t5" in urls
    assert f"extracted {len(urls)} documents" in again.stderr
    third = thresher(*args)
    assert third.returncode == 0 and f"already complete ({len(urls)} documents)" in third.stdout


def test_the_servers_and_settings_from_the_yaml_cc_section(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    cfg = tmp_path / "pipeline.yaml"
    cfg.write_text(f"extract:\n  cc:\n    index_server: {servers.index_url}\n"
                   f"    data_server: {servers.data_url}\n    statuses: [200, 404]\n")  # fmt: skip
    out = tmp_path / "docs"
    run = thresher("extract", f"cc:{CRAWL}/www.example.org/*", "-o", str(out), "--config", str(cfg))
    assert run.returncode == 0, run.stderr
    assert "non_200_status=1" in run.stderr  # the 404 capture was fetched, then dropped


@pytest.mark.parametrize(
    ("extra", "yaml", "message"),
    [
        (["--kind", "tar"], None, "--kind: "),
        (["--shards", "x-y"], None, "--shards: "),
        (["--shards", "9-2"], None, "9-2: the last file comes before the first"),
        (["--cc-data-server", "data.example"], None, "--cc-data-server: "),
        ([], "extract:\n  cc:\n    index_servr: x\n", "index_servr"),
        (["--cc-index-server", "GARBAGE"], None, "not a page count"),
    ],
)
def test_bad_options_settings_and_index_answers_are_one_line(
    servers: Servers, tmp_path: Path, extra: list[str], yaml: str | None, message: str
) -> None:
    args = ["extract", f"cc:{CRAWL}/*.example.org", "-o", str(tmp_path / "docs"),
            *server_options(servers), *extra]  # fmt: skip
    if "GARBAGE" in extra:
        servers.index.garbage[(CRAWL, None)] = b"<html>Service Unavailable</html>"
        args[args.index("GARBAGE")] = servers.index_url
    if yaml is not None:
        (tmp_path / "c.yaml").write_text(yaml)
        args += ["--config", str(tmp_path / "c.yaml")]
    run = thresher(*args)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("thresher: error:") and message in lines[0]
    assert not (tmp_path / "docs").exists()
