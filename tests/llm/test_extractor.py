"""thresher.llm's Python API against the stand-in server: records, faults, retries, limits,
the cache and chunked pages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.llm.conftest import SCHEMA
from tests.llm.fake_chat import FakeChat
from thresher.llm import EndpointError, Extractor, LLMConfig, extract_record

PAGE = "# Blue kettle\n\nTitle: Blue kettle\n\nPrice: 25.5\n\nTags: kitchen\n\nTags: steel\n"
RECORD = {"title": "Blue kettle", "price": 25.5, "tags": ["kitchen", "steel"]}


def settings(url: str, tmp_path: Path, **kw: Any) -> LLMConfig:
    base: dict[str, Any] = {
        "base_url": url,
        "model": "fake",
        "schema": SCHEMA,
        "cache": str(tmp_path / "cache"),
        "backoff": 0.05,
        "backoff_max": 0.2,
    }
    return LLMConfig.model_validate({**base, **kw})


def test_record_with_response_format(chat: FakeChat, tmp_path: Path) -> None:
    result = extract_record(PAGE, SCHEMA, settings(chat.url, tmp_path))
    assert result.ok and result.record == RECORD
    assert chat.requests == 1
    sent = chat.payloads[0]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"] == SCHEMA
    assert sent["model"] == "fake" and "Blue kettle" in sent["messages"][1]["content"]
    assert result.counts["llm:requests"] == 1 and result.counts["llm:records"] == 1
    assert result.counts["llm:tokens:prompt"] > 0 and result.counts["llm:tokens:completion"] > 0


def test_title_and_headings_go_before_the_main_content(chat: FakeChat, tmp_path: Path) -> None:
    """Both entry points take the page's title and H1-H3 (what serve sends, as extract does)."""
    import asyncio

    from thresher.llm import aextract_record

    body = "Title: Blue kettle\nPrice: 25.5\n"
    heads = [[1, "Blue kettle"], [2, "Kettles"]]
    head = "Page title: Kitchen Shop\nPage headings:\n# Blue kettle\n## Kettles\n\nMain content:"
    cfg = settings(chat.url, tmp_path, use_cache=False)
    sync = extract_record(body, SCHEMA, cfg, title="Kitchen Shop", headings=heads)
    run = aextract_record(body, SCHEMA, cfg, title="Kitchen Shop", headings=heads)
    aio = asyncio.run(run)
    assert sync.record == aio.record == {"title": "Blue kettle", "price": 25.5}
    for sent in chat.payloads:
        assert sent["messages"][1]["content"] == f"Web page:\n\n{head}\n\n{body}"
    assert chat.requests == 2
    plain = extract_record(body, SCHEMA, cfg)  # neither: the content alone
    assert plain.ok and chat.payloads[-1]["messages"][1]["content"] == f"Web page:\n\n{body}"


def test_prose_and_code_fence_around_the_json(chat: FakeChat, tmp_path: Path) -> None:
    result = extract_record(PAGE + "[prose]\n", SCHEMA, settings(chat.url, tmp_path))
    assert result.record == RECORD and chat.requests == 1


def test_invalid_answer_asked_again_with_the_error(chat: FakeChat, tmp_path: Path) -> None:
    result = extract_record(PAGE + "[bad-once]\n", SCHEMA, settings(chat.url, tmp_path))
    assert result.record == RECORD
    assert chat.requests == 2 and result.counts["llm:reasks"] == 1
    again = chat.payloads[1]["messages"]
    assert again[2]["role"] == "assistant" and '"title": 42' in again[2]["content"]
    assert (
        "not valid" in again[3]["content"] and "42 is not of type 'string'" in again[3]["content"]
    )


def test_always_invalid_is_a_counted_failure(chat: FakeChat, tmp_path: Path) -> None:
    result = extract_record(PAGE + "[bad-always]\n", SCHEMA, settings(chat.url, tmp_path, reasks=2))
    assert result.record is None and result.error == "invalid"
    assert "42 is not of type 'string'" in (result.detail or "")
    assert chat.requests == 3  # the first answer and two asked again
    assert result.counts["llm:failed"] == 1 and result.counts["llm:failed:invalid"] == 1
    assert not list((tmp_path / "cache").rglob("*.json"))  # a failure is not cached


def test_429_waits_for_retry_after(chat: FakeChat, tmp_path: Path) -> None:
    start = time.monotonic()
    result = extract_record(PAGE + "[429-once]\n", SCHEMA, settings(chat.url, tmp_path))
    assert result.record == RECORD
    assert time.monotonic() - start >= 0.95  # Retry-After: 1, not the 0.05 s backoff
    assert chat.statuses[429] == 1 and result.counts["llm:retries:429"] == 1


def test_500s_retried_with_backoff(chat: FakeChat, tmp_path: Path) -> None:
    result = extract_record(PAGE + "[500-twice]\n", SCHEMA, settings(chat.url, tmp_path))
    assert result.record == RECORD
    assert chat.statuses[500] == 2 and result.counts["llm:retries:500"] == 2


def test_500s_after_every_try_stop_the_run(tmp_path: Path) -> None:
    with FakeChat() as chat:
        cfg = settings(chat.url, tmp_path, attempts=2)
        with pytest.raises(EndpointError, match=r"HTTP 500: internal error \(after 2 tries\)"):
            extract_record(PAGE + "[500-twice]\n", SCHEMA, cfg)


def test_slow_answer_times_out_and_is_retried(chat: FakeChat, tmp_path: Path) -> None:
    result = extract_record(
        PAGE + "[slow-once]\n", SCHEMA, settings(chat.url, tmp_path, timeout=0.5)
    )
    assert result.record == RECORD and result.counts["llm:retries:timeout"] == 1


def test_always_slow_is_a_timeout_failure(chat: FakeChat, tmp_path: Path) -> None:
    cfg = settings(chat.url, tmp_path, timeout=0.3, attempts=2)
    result = extract_record(PAGE + "[slow-always]\n", SCHEMA, cfg)
    assert result.error == "timeout" and "no answer within 0.3 s" in (result.detail or "")
    assert result.counts["llm:failed:timeout"] == 1


def test_truncated_answer_asked_with_a_larger_budget(chat: FakeChat, tmp_path: Path) -> None:
    cfg = settings(chat.url, tmp_path, max_tokens=1000)
    result = extract_record(PAGE + "[needs-tokens:3000]\n", SCHEMA, cfg)
    assert result.record == RECORD
    assert [p["max_tokens"] for p in chat.payloads] == [1000, 2000, 4000]
    assert result.counts["llm:retries:length"] == 2


def test_truncated_at_the_cap_is_a_failure(chat: FakeChat, tmp_path: Path) -> None:
    cfg = settings(chat.url, tmp_path, max_tokens=1000, max_tokens_cap=2000)
    result = extract_record(PAGE + "[needs-tokens:3000]\n", SCHEMA, cfg)
    assert result.error == "truncated" and "2000 tokens" in (result.detail or "")
    assert result.counts["llm:truncated"] == 1 and chat.requests == 2


def test_rejected_response_format_falls_back_to_the_prompt(tmp_path: Path) -> None:
    with FakeChat(reject_response_format=True) as chat:
        extractor = Extractor(settings(chat.url, tmp_path, use_cache=False))
        results = extractor.run([PAGE])
        assert results[0].record == RECORD
        assert results[0].counts["llm:response_format_rejected"] == 1
        assert chat.statuses[400] == 1 and chat.statuses[200] == 1
        assert "JSON Schema" in chat.payloads[1]["messages"][0]["content"]
        later = extractor.run([PAGE])  # the extractor remembers: no second refusal
        assert later[0].record == RECORD and chat.statuses[400] == 1
        assert "response_format" not in chat.payloads[-1]


def test_json_schema_mode_never_falls_back(tmp_path: Path) -> None:
    with FakeChat(reject_response_format=True) as chat:
        cfg = settings(chat.url, tmp_path, structured="json_schema")
        with pytest.raises(EndpointError, match="refuses response_format"):
            extract_record(PAGE, SCHEMA, cfg)


def test_prompt_mode_sends_no_response_format(chat: FakeChat, tmp_path: Path) -> None:
    result = extract_record(PAGE, SCHEMA, settings(chat.url, tmp_path, structured="prompt"))
    assert result.record == RECORD and "response_format" not in chat.payloads[0]


def test_cache_second_run_sends_nothing(chat: FakeChat, tmp_path: Path) -> None:
    cfg = settings(chat.url, tmp_path)
    pages = [PAGE, PAGE.replace("Blue", "Red")]
    first = Extractor(cfg).run(pages)
    assert chat.requests == 2
    second = Extractor(cfg).run(pages)
    assert chat.requests == 2
    assert [r.record for r in second] == [r.record for r in first]
    assert all(r.counts["llm:cache_hits"] == 1 and r.counts["llm:requests"] == 0 for r in second)
    other = settings(chat.url, tmp_path, prompt="Only the title, please.")
    Extractor(other).run(pages)  # another prompt is another key
    assert chat.requests == 4


def test_api_key_sent_when_set(
    chat: FakeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []
    handler = chat._server.RequestHandlerClass
    post = handler.do_POST

    def spy(self: Any) -> None:
        seen.append(self.headers.get("Authorization"))
        post(self)

    monkeypatch.setattr(handler, "do_POST", spy)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    extract_record(PAGE, SCHEMA, settings(chat.url, tmp_path, use_cache=False))
    assert seen == ["Bearer sk-test"]


def test_long_page_chunked_and_merged(chat: FakeChat, tmp_path: Path) -> None:
    lines = ["Title: Catalogue", "Price: 3"] + [f"Tags: item {i:03d}" for i in range(60)]
    page = "\n\n".join(f"{line} with some words of description around it" for line in lines)
    cfg = settings(chat.url, tmp_path, chunk_tokens=80, chunk_overlap=20)
    result = extract_record(page, SCHEMA, cfg)
    assert result.ok, result.detail
    assert result.chunks > 3 and chat.requests == result.chunks
    record = result.record
    assert record["title"].startswith("Catalogue") and record["price"] == 3.0
    tags = [t.split(" with")[0] for t in record["tags"]]
    assert tags == [f"item {i:03d}" for i in range(60)]  # every item once, in page order
    parts = [p["messages"][1]["content"] for p in chat.payloads]
    assert all("Part " in p for p in parts)
    # a chunk without the title is fine: parts are held to the schema without 'required'
    assert all(
        "required" not in p["response_format"]["json_schema"]["schema"] for p in chat.payloads
    )


def test_merged_record_held_to_the_full_schema(chat: FakeChat, tmp_path: Path) -> None:
    page = "\n\n".join(f"Tags: item {i} and a few more words here" for i in range(40))
    result = extract_record(page, SCHEMA, settings(chat.url, tmp_path, chunk_tokens=64))
    assert result.error == "merge_invalid" and "'title' is a required property" in (
        result.detail or ""
    )


def test_in_flight_limit(tmp_path: Path) -> None:
    with FakeChat(latency=0.2) as chat:
        cfg = settings(chat.url, tmp_path, max_in_flight=3, use_cache=False)
        pages = [PAGE.replace("Blue", f"Colour {i}") for i in range(9)]
        start = time.monotonic()
        results = Extractor(cfg).run(pages)
        took = time.monotonic() - start
    assert [r.record["title"] for r in results] == [f"Colour {i} kettle" for i in range(9)]
    assert chat.max_in_flight == 3
    assert 0.55 <= took < 1.5  # three rounds of 0.2 s, not nine


def test_per_minute_limit(chat: FakeChat, tmp_path: Path) -> None:
    extractor = Extractor(settings(chat.url, tmp_path, per_minute=2, use_cache=False))
    extractor.client.window = 0.5  # the same rule over half a second
    start = time.monotonic()
    extractor.run([PAGE.replace("Blue", f"C{i}") for i in range(5)])
    assert time.monotonic() - start >= 1.0  # 2 + 2 + 1 starts: two full windows waited
    assert chat.requests == 5


def test_unreachable_endpoint_is_one_line(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(EndpointError, match=r"127\.0\.0\.1:9/v1/chat/completions: cannot connect"):
        extract_record(PAGE, SCHEMA, settings("http://127.0.0.1:9/v1", tmp_path))
    assert time.monotonic() - start < 5


def test_refused_key_is_one_line(tmp_path: Path) -> None:
    with FakeChat() as chat:
        chat.answer = lambda payload: (401, {}, {"error": {"message": "invalid api key"}})  # type: ignore[method-assign]
        with pytest.raises(EndpointError, match="HTTP 401: invalid api key"):
            extract_record(PAGE, SCHEMA, settings(chat.url, tmp_path))


def test_async_api_shares_one_client(tmp_path: Path) -> None:
    import asyncio

    from thresher.llm import ChatClient, aextract_record

    with FakeChat(reject_response_format=True, latency=0.1) as chat:
        cfg = settings(chat.url, tmp_path, use_cache=False, max_in_flight=2)

        async def serve_two() -> list[Any]:
            async with ChatClient.from_config(cfg) as client:
                first = await aextract_record(PAGE, SCHEMA, cfg, client=client)
                rest = await asyncio.gather(
                    *(aextract_record(PAGE, SCHEMA, cfg, client=client) for _ in range(4))
                )
                return [first, *rest]

        results = asyncio.run(serve_two())
        assert all(r.record == RECORD for r in results)
        assert chat.statuses[400] == 1  # the refusal is remembered by the shared client
        assert chat.max_in_flight <= 2


def test_bad_schema_of_a_request_is_a_config_error(chat: FakeChat, tmp_path: Path) -> None:
    from thresher.errors import ConfigError

    with pytest.raises(ConfigError, match="not a valid JSON Schema"):
        extract_record(PAGE, {"type": "objekt"}, settings(chat.url, tmp_path))
    assert chat.requests == 0


def test_an_answer_that_is_no_completion_stops_the_run(tmp_path: Path) -> None:
    with FakeChat() as chat:
        chat.answer = lambda payload: (200, {}, {"html": "<p>a login page</p>"})  # type: ignore[method-assign]
        with pytest.raises(EndpointError, match="the answer is not a chat completion"):
            extract_record(PAGE, SCHEMA, settings(chat.url, tmp_path))


def test_retry_after_pauses_the_other_requests(tmp_path: Path) -> None:
    class Slow(FakeChat):  # the refused page is answered at once, the others in 0.3 s
        def answer(self, payload):  # type: ignore[no-untyped-def]
            if "[429-once]" not in str(payload):
                time.sleep(0.3)
            return super().answer(payload)

    with Slow() as chat:
        pages = [PAGE + "[429-once]\n"] + [PAGE.replace("Blue", f"C{i}") for i in range(6)]
        cfg = settings(chat.url, tmp_path, max_in_flight=4, use_cache=False)
        results = Extractor(cfg).run(pages)
    assert all(r.ok for r in results) and chat.statuses[429] == 1
    refused = next(i for i, p in enumerate(chat.payloads) if "[429-once]" in str(p))
    after = [t for t in chat.arrivals if t > chat.arrivals[refused] + 0.06]
    # nothing new started during the refused page's Retry-After (1 s): not only it waited
    assert after and min(after) - chat.arrivals[refused] >= 0.95
    assert len(after) >= 3


def test_a_page_beyond_max_chunks_fails_without_a_request(chat: FakeChat, tmp_path: Path) -> None:
    page = "\n\n".join(f"Tags: item {i} and a few more words here" for i in range(200))
    cfg = settings(chat.url, tmp_path, chunk_tokens=64, chunk_overlap=0, max_chunks=5)
    result = extract_record(page, SCHEMA, cfg)
    assert result.error == "too_long" and "more than max_chunks 5" in (result.detail or "")
    assert chat.requests == 0 and result.counts["llm:failed:too_long"] == 1
