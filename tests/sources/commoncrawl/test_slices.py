"""cc:CRAWL/PATTERN slices against a local index server and a local range-capable data server."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.sources.commoncrawl.crawl import CRAWL, Snapshot
from tests.sources.commoncrawl.servers import Servers, cc_config
from thresher.errors import IncompleteRunError, InputError
from thresher.extract import extract
from thresher.extract.config import ExtractConfig
from thresher.extract.to_folder import extract_to_folder
from thresher.sources.commoncrawl.cache import ItemCache
from thresher.sources.commoncrawl.config import CommonCrawlConfig
from thresher.sources.commoncrawl.http import Backoff, client_for
from thresher.sources.commoncrawl.index import fetch_page
from thresher.sources.commoncrawl.source import CommonCrawlSource, slice_pages
from thresher.stats import StepStats
from thresher.store.readers import read_documents

#: *.example.org: 16 captures; 404 and image/png filtered; "moved" and "broken" wrong ranges
GOOD = 12


def test_a_slice_pages_through_the_index_filters_and_fetches_each_record_by_range(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    stats = StepStats("extract")
    out = tmp_path / "docs"
    extract_to_folder([f"cc:{CRAWL}/*.example.org"], out, cc_config(servers), stats=stats)
    docs = list(read_documents([out]))
    expected = sorted(u for u in snap.html if ".example.org/" in u)
    assert [d.url for d in docs] == expected  # the index's order, every page of it
    for d in docs:
        filename, offset = snap.html[d.url]
        assert d.source == f"{filename}@{offset}"
        assert d.metadata["cc_language"] == "eng"
        assert "This is the text of" in d.text
    # 16 captures over pages of 3: showNumPages once, then every page once
    pages = [p for p in servers.index.log if "page=" in p]
    assert len(pages) == 6 and sum("showNumPages" in p for p in servers.index.log) == 1
    c = stats.counters
    assert c["cc_index:captures"] == 16 and c["cc_index:selected"] == 14
    assert c["cc_index:status:404"] == 1 and c["cc_index:mime:image/png"] == 1
    assert c["cc_skip:wrong_url"] == 1 and c["cc_skip:not_warc"] == 1
    assert stats.dropped["wrong_record"] == 2
    assert c["cc_fetch:records"] == 14
    ranges = servers.data.ranges()
    wanted = Counter(
        (r["filename"], f"bytes={r['offset']}-{int(r['offset']) + int(r['length']) - 1}")
        for r in snap.rows
        if ".example.org/" in r["url"] and r["status"] == "200" and r["mime"] == "text/html"
    )
    assert ranges == wanted  # each capture's range once ("moved" shares p0's range)
    assert c["cc_fetch:bytes"] == sum(
        int(r["length"]) for r in snap.rows if r["url"] in {d.url for d in docs}
    ) + sum(int(r["length"]) for r in snap.rows if r["url"].endswith(("moved", "broken")))


def test_a_prefix_pattern_takes_only_that_path(servers: Servers, tmp_path: Path) -> None:
    out = tmp_path / "docs"
    extract_to_folder([f"cc:{CRAWL}/forum.example.org/forum/*"], out, cc_config(servers))
    urls = [d.url for d in read_documents([out])]
    assert urls == [f"https://forum.example.org/forum/t{i}" for i in range(6)]


def test_503_and_429_are_retried_with_backoff_and_retry_after_then_the_rerun_fetches_the_rest(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    by_url = {r["url"]: r for r in snap.rows}
    p3, p1, p2 = (by_url[f"https://www.example.org/p{i}"] for i in (3, 1, 2))
    faults = servers.data.fail_first
    faults[(p3["filename"], int(p3["offset"]))] = [503, 503]  # twice, then served
    faults[(p1["filename"], int(p1["offset"]))] = [429]  # Retry-After: 1
    faults[(p2["filename"], int(p2["offset"]))] = [503, 503, 503]  # every one of 3 tries
    servers.data.retry_after = "1"
    servers.index.fail_first = [503]  # the index too says SlowDown once
    stats = StepStats("extract")
    out = tmp_path / "docs"
    cfg = cc_config(servers, backoff_max=2)
    started = time.monotonic()
    with pytest.raises(IncompleteRunError, match=r"1 record\(s\) not fetched \(http_503 1\)") as e:
        extract_to_folder([f"cc:{CRAWL}/www.example.org/*"], out, cfg, stats=stats)
    assert time.monotonic() - started >= 1.0  # the 429's Retry-After was waited for
    assert "1 of 4 item(s) left unfinished" in str(e.value) and "rerun" in str(e.value)
    assert not (out / "manifest.json").exists()  # nothing committed: not "already complete"
    # the rerun fetches only p2: the other records of its item are read back from the cache
    served = servers.data.ranges()
    extract_to_folder([f"cc:{CRAWL}/www.example.org/*"], out, cfg)
    urls = {d.url for d in read_documents([out])}
    assert {p3["url"], p1["url"], p2["url"]} <= urls
    assert servers.data.ranges() - served == Counter(
        {(p2["filename"], f"bytes={p2['offset']}-{int(p2['offset']) + int(p2['length']) - 1}"): 1}
    )
    end = int(p3["offset"]) + int(p3["length"]) - 1
    assert servers.data.ranges()[(p3["filename"], f"bytes={p3['offset']}-{end}")] == 1


def test_a_range_the_server_answers_whole_is_a_failure_not_a_whole_file_read(
    snap: Snapshot, servers: Servers, tmp_path: Path
) -> None:
    servers.data.ignore_range.add(snap.warc[0])  # www.example.org lives in the first file
    stats = StepStats("extract")
    extract_to_folder([f"cc:{CRAWL}/*.example.org"], tmp_path / "docs", cc_config(servers),
                      stats=stats)  # fmt: skip
    assert stats.counters["cc_fail:range_ignored"] >= 7
    urls = {d.url for d in read_documents([tmp_path / "docs"])}
    assert all("forum." in u for u in urls) and len(urls) == 6


def test_an_index_page_of_garbage_is_one_counted_error_and_the_other_pages_still_count(
    servers: Servers, tmp_path: Path
) -> None:
    servers.index.garbage[(CRAWL, 1)] = b"<html><body>502 Bad Gateway</body></html>"
    stats = StepStats("extract")
    extract_to_folder([f"cc:{CRAWL}/*.example.org"], tmp_path / "docs", cc_config(servers),
                      stats=stats)  # fmt: skip
    assert stats.counters["errors"] == 1 and stats.counters["error:unreadable"] == 1
    assert len(list(read_documents([tmp_path / "docs"]))) == GOOD - 3  # page 1: t3, t4, t5


def test_lines_of_an_index_page_that_are_not_captures_are_counted_and_skipped(
    snap: Snapshot, servers: Servers
) -> None:
    good = json.dumps(snap.rows[0]).encode()
    no_offset = json.dumps({k: v for k, v in snap.rows[1].items() if k != "offset"}).encode()
    servers.index.garbage[(CRAWL, 0)] = b"\n".join([good, b"<oops>", no_offset, b"[1, 2]"])
    cfg = cc_config(servers)
    stats = StepStats("x")
    captures = fetch_page(client_for(cfg.cc), cfg.cc, CRAWL, "*.example.org", 0, stats)
    assert [c.url for c in captures] == [snap.rows[0]["url"]]
    assert stats.counters["cc_index:bad_lines"] == 3


@pytest.mark.parametrize(
    ("answer", "message"),
    [(b"<html>maintenance</html>", "not a page count"), (b'{"pages": "many"}', "not a page count")],
)
def test_a_garbage_page_count_is_one_line_and_nothing_is_written(
    servers: Servers, tmp_path: Path, answer: bytes, message: str
) -> None:
    servers.index.garbage[(CRAWL, None)] = answer
    with pytest.raises(InputError, match=message) as e:
        extract_to_folder([f"cc:{CRAWL}/*.example.org"], tmp_path / "docs", cc_config(servers))
    assert "\n" not in str(e.value)
    assert not (tmp_path / "docs").exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cc:NO-SUCH-CRAWL/*.example.org", "HTTP 404"),
        (f"cc:{CRAWL}/*.nowhere.test", "no capture"),
        (f"cc:{CRAWL}/", "empty URL pattern"),
        ("cc:bad crawl/x", "expected cc:CRAWL"),
    ],
)
def test_specs_that_give_nothing_are_one_line_errors(
    servers: Servers, tmp_path: Path, spec: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        extract_to_folder([spec], tmp_path / "docs", cc_config(servers))


def test_an_unreachable_index_is_one_line_after_its_tries(tmp_path: Path) -> None:
    cc = {"index_server": "http://127.0.0.1:9", "tries": 2, "backoff": 0.01}
    cfg = ExtractConfig(cc=CommonCrawlConfig.model_validate(cc))
    with pytest.raises(InputError, match=r"gave up after 2 attempt\(s\): network"):
        extract_to_folder([f"cc:{CRAWL}/*.example.org"], tmp_path / "docs", cfg)


def test_an_interrupted_item_resumes_from_its_cache_and_fetches_nothing_twice(
    servers: Servers, tmp_path: Path
) -> None:
    cfg = cc_config(servers, fetchers=1)  # one fetch in flight, one ahead
    items = CommonCrawlSource().expand(f"cc:{CRAWL}/forum.example.org/forum/*", cfg)
    locator = items[0][0]
    folder = tmp_path / "cache"
    client = client_for(cfg.cc)
    first = StepStats("x")
    cache = ItemCache(folder)
    pages = slice_pages(client, cfg, locator, cache, first)
    got = [next(pages).source]  # one page read, then the run "dies"
    pages.close()
    cache.close()
    assert sum(servers.data.ranges().values()) == 2  # the one read and the one ahead
    # a kill mid-write: half a record and half a journal line at the ends of the files
    with open(folder / "records.warc.gz", "ab") as f:
        f.write(b"\x1f\x8b\x08half a member")
    with open(folder / "journal.jsonl", "a") as f:
        f.write('{"n": 2, "at"')
    again = StepStats("x")
    cache = ItemCache(folder)
    got += [p.source for p in slice_pages(client, cfg, locator, cache, again)]
    cache.close()
    assert set(servers.data.ranges().values()) == {1}  # no range asked for twice
    assert sum(servers.data.ranges().values()) == 3  # the item's 3 captures
    assert len(servers.index.log) == 2  # page count and the page itself, once each
    assert got[0] == got[1] and len(set(got)) == 3
    assert again.counters["cc_fetch:records"] == 3  # counts are the item's, whatever ran it
    assert again.counters["cc_index:selected"] == 3  # the index counts were kept with the page
    assert len((folder / "journal.jsonl").read_text().splitlines()) == 3


def test_a_finished_run_fetches_nothing_again(servers: Servers, tmp_path: Path) -> None:
    out = tmp_path / "docs"
    cfg = cc_config(servers)
    extract_to_folder([f"cc:{CRAWL}/*.example.org"], out, cfg)
    before = sum(servers.data.ranges().values())
    result = extract_to_folder([f"cc:{CRAWL}/*.example.org"], out, cfg)
    assert result.skipped and sum(servers.data.ranges().values()) == before
    assert not (out / ".documents-work").exists()  # the cache went with the work folder


def test_backoff_doubles_with_jitter_and_a_retry_after_wins_up_to_the_cap() -> None:
    b = Backoff(first=1.0, most=10.0)
    for retry, step in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 10.0)):
        waits = [b.wait(retry, None) for _ in range(50)]
        assert all(step / 2 <= w <= step for w in waits) and len(set(waits)) > 1
    assert b.wait(1, 7.0) == 7.0 and b.wait(1, 300.0) == 10.0


def test_the_extract_iterator_reads_a_slice_without_a_run_folder(
    snap: Snapshot, servers: Servers
) -> None:
    stats = StepStats("extract")
    docs = list(extract([f"cc:{CRAWL}/forum.example.org/forum/*"], cc_config(servers), stats=stats))
    assert [d.source for d in docs] == [
        "{}@{}".format(*snap.html[f"https://forum.example.org/forum/t{i}"]) for i in range(6)
    ]
    assert stats.counters["cc_fetch:records"] == 6
