"""cc:CRAWL whole snapshots: the paths file, files streamed, dropped connections resumed."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.sources.commoncrawl.crawl import CRAWL, Snapshot
from tests.sources.commoncrawl.servers import Servers, cc_config
from thresher.errors import IncompleteRunError, InputError
from thresher.extract.to_folder import extract_to_folder
from thresher.stats import StepStats
from thresher.store.readers import read_documents


def test_wet_files_of_a_shard_range_are_streamed_one_item_each_with_a_dropped_connection_resumed(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    second, third = snap.wet[1], snap.wet[2]
    servers.data.drop_after[third] = [300]  # cut after 300 bytes, the first time
    servers.data.fail_first[(second, 0)] = [503]
    stats = StepStats("extract")
    out = tmp_path / "docs"
    extract_to_folder([f"cc:{CRAWL}"], out, cc_config(servers, shards="1-2"), stats=stats)
    docs = list(read_documents([out]))
    assert [d.url for d in docs] == [
        f"https://wet{i}.example.net/{j}" for i in (1, 2) for j in range(4)
    ]
    assert docs[0].title == "Title 1.0" and docs[0].metadata["cc_language"] == "eng"
    assert docs[0].source.startswith(f"{second}@")
    # the dropped file was asked for again from the byte reached, not from the start
    asked = [(p, r) for p, r, s in servers.data.served if p == third]
    assert asked == [(third, "bytes=300-")]
    c = stats.counters
    assert c["cc_fetch:reconnects"] == 1 and c["cc_fetch:retries"] == 1
    assert c["cc_fetch:files"] == 2 and c["records:conversion"] == 8
    sizes = sum((snap.root / p).stat().st_size for p in (second, third))
    assert c["cc_fetch:bytes"] == sizes
    # nothing was written to disk but the documents (the files were streamed)
    assert not any(p.name.endswith(".gz") and "wet" in p.name for p in out.rglob("*"))
    manifest_inputs = (out / "manifest.json").read_text()
    assert f"cc:{CRAWL}" in manifest_inputs


def test_warc_kind_reads_the_warc_paths_file_and_a_rerun_reads_only_unfinished_files(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    out = tmp_path / "docs"
    cfg = cc_config(servers, kind="warc")
    extract_to_folder([f"cc:{CRAWL}"], out, cfg)
    urls = {d.url for d in read_documents([out])}
    assert "https://www.example.org/p0" in urls and "https://forum.example.org/forum/t5" in urls
    assert "https://www.example.org/missing" not in urls  # a 404 capture: dropped by status
    served = len(servers.data.served)
    extract_to_folder([f"cc:{CRAWL}"], out, cfg)
    assert len(servers.data.served) == served + 1  # the paths file only


def test_a_file_that_keeps_dropping_is_left_unfinished_and_the_rerun_reads_only_it(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    servers.data.drop_after[snap.wet[0]] = [200, 200, 200]
    out = tmp_path / "docs"
    cfg = cc_config(servers, reconnects=2)
    with pytest.raises(IncompleteRunError, match=r"1 of 3 item\(s\) left unfinished") as e:
        extract_to_folder([f"cc:{CRAWL}"], out, cfg)
    assert f"{snap.wet[0]}: connection lost 3 time(s)" in str(e.value)
    assert not (out / "manifest.json").exists()
    served = list(servers.data.served)
    stats = StepStats("extract")
    extract_to_folder([f"cc:{CRAWL}"], out, cfg, stats=stats)  # the server is well again
    assert {p for p, _, _ in servers.data.served[len(served) :]} == {
        f"crawl-data/{CRAWL}/wet.paths.gz",
        snap.wet[0],
    }
    urls = [d.url for d in read_documents([out])]
    assert urls == [f"https://wet{i}.example.net/{j}" for i in range(3) for j in range(4)]
    assert stats.counters["cc_fetch:files"] == 3 and "errors" not in stats.counters


def test_a_truncated_file_is_counted_as_truncated(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    path = snap.root / snap.wet[1]
    path.write_bytes(path.read_bytes()[:-40])
    stats = StepStats("extract")
    extract_to_folder([f"cc:{CRAWL}"], tmp_path / "docs", cc_config(servers), stats=stats)
    assert stats.counters["error:truncated"] == 1


@pytest.mark.parametrize(
    ("listing", "shards", "message"),
    [
        (b"not gzip at all", None, "not a gzip-compressed list"),
        (gzip.compress(b"<html>\n<body>oops</body>\n"), None, "not a list of crawl-data/"),
        (None, "7-9", "--shards 7-9: the paths file lists 3 file"),
    ],
)
def test_a_bad_paths_file_or_shard_range_is_one_line(
    snap: Snapshot, servers: Servers, tmp_path: Path, listing: bytes | None, shards: str | None,
    message: str,
) -> None:  # fmt: skip
    if listing is not None:
        (snap.root / f"crawl-data/{CRAWL}/wet.paths.gz").write_bytes(listing)
    with pytest.raises(InputError, match=message) as e:
        extract_to_folder([f"cc:{CRAWL}"], tmp_path / "docs", cc_config(servers, shards=shards))
    assert "\n" not in str(e.value) and not (tmp_path / "docs").exists()


def test_a_crawl_without_a_paths_file_is_one_line(servers: Servers, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="HTTP 404"):
        extract_to_folder(["cc:CC-MAIN-1999-01"], tmp_path / "docs", cc_config(servers))


@pytest.mark.parametrize(
    ("limit", "size", "message"),
    [
        ("MAX_PATHS_TEXT", 1 << 20, "more than 1 MiB of paths; refused"),
        ("MAX_PATHS_BYTES", 1 << 20, "larger than 1 MiB; refused"),
    ],
)
def test_a_paths_file_bomb_is_refused_without_being_read_whole(
    snap: Snapshot, servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    limit: str, size: int, message: str,
) -> None:  # fmt: skip
    from thresher.sources.commoncrawl import snapshot

    monkeypatch.setattr(snapshot, limit, size)
    line = f"crawl-data/{CRAWL}/segments/x/wet/f.warc.wet.gz\n".encode()
    body = line * (3 * size // len(line))
    # MAX_PATHS_TEXT: a small gzip of too much text; MAX_PATHS_BYTES: too much gzip
    listing = gzip.compress(body) if limit == "MAX_PATHS_TEXT" else gzip.compress(body, 0) * 2
    (snap.root / f"crawl-data/{CRAWL}/wet.paths.gz").write_bytes(listing)
    with pytest.raises(InputError, match=message) as e:
        extract_to_folder([f"cc:{CRAWL}"], tmp_path / "docs", cc_config(servers))
    assert "\n" not in str(e.value) and not (tmp_path / "docs").exists()
