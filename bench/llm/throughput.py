"""LLM extraction throughput against the local stand-in server with a fixed latency per request:
how the in-flight limit turns latency into requests per second, and what the cache hit path
costs. No model runs; the figures are thresher's overhead and concurrency, not a model's speed.

Usage: python bench/llm/throughput.py [--pages 400] [--latency 0.05] [--in-flight 1,4,16,64]

Rows: the Python API (Extractor.run over the pages) at each in-flight limit with the cache off,
then a cold and a warm run with the cache on, then ``thresher extract`` end to end over the same
pages as HTML files: without the model, with it (cold cache), again into a new folder (warm).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.llm.fake_chat import FakeChat  # noqa: E402

from thresher.llm import Extractor, LLMConfig  # noqa: E402

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "price": {"type": "number"}},
    "required": ["title"],
}


def pages(n: int) -> list[str]:
    return [
        f"# Item {i}\n\nTitle: Item {i}\n\nPrice: {i % 97}\n\n" + "Words. " * 80 for i in range(n)
    ]


def api_row(server: FakeChat, texts: list[str], in_flight: int, cache: Path | None) -> dict:
    cfg = LLMConfig.model_validate(
        {
            "base_url": server.url,
            "model": "fake",
            "schema": SCHEMA,
            "max_in_flight": in_flight,
            "batch": len(texts),
            "use_cache": cache is not None,
            "cache": str(cache) if cache else None,
        }
    )
    before, server.max_in_flight = server.requests, 0
    start = time.perf_counter()
    results = Extractor(cfg).run(texts)
    wall = time.perf_counter() - start
    assert all(r.ok for r in results)
    sent = server.requests - before
    return {
        "in_flight": in_flight,
        "cache": "off" if cache is None else "on",
        "pages": len(texts),
        "requests": sent,
        "seen_in_flight": server.max_in_flight,
        "wall_s": round(wall, 3),
        "pages_per_s": round(len(texts) / wall, 1),
    }


def cli_row(server: FakeChat, site: Path, out: Path, cache: Path | None, schema: Path) -> dict:
    """``thresher extract`` in a subprocess (with the model unless ``cache`` is None)."""
    before = server.requests
    cmd = [sys.executable, "-m", "thresher", "extract", str(site), "-o", str(out)]
    if cache is not None:
        cmd += ["--llm-schema", str(schema), "--llm-base-url", server.url, "--llm-model", "fake",
                "--llm-cache", str(cache)]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    return {"cli": out.name, "requests": server.requests - before, "wall_s": round(wall, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--in-flight", default="1,4,16,64")
    args = ap.parse_args()
    texts = pages(args.pages)
    with tempfile.TemporaryDirectory() as tmp, FakeChat(latency=args.latency) as server:
        work = Path(tmp)
        print(f"stand-in latency {args.latency * 1000:.0f} ms per request, {args.pages} pages")
        for k in (int(x) for x in args.in_flight.split(",")):
            print(json.dumps(api_row(server, texts, k, None)))
        cache = work / "cache"
        print(json.dumps({"run": "cold", **api_row(server, texts, 16, cache)}))
        print(json.dumps({"run": "warm", **api_row(server, texts, 16, cache)}))
        site = work / "site"
        site.mkdir()
        for i, text in enumerate(texts):
            body = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
            html = f"<html><head><title>Item {i}</title></head><body><article>{body}</article>"
            (site / f"p{i:05d}.html").write_text(html + "</body></html>")
        schema = work / "schema.json"
        schema.write_text(json.dumps(SCHEMA))
        cli_cache = work / "cli-cache"
        print(json.dumps(cli_row(server, site, work / "no-llm", None, schema)))
        print(json.dumps(cli_row(server, site, work / "cold", cli_cache, schema)))
        print(json.dumps(cli_row(server, site, work / "warm", cli_cache, schema)))


if __name__ == "__main__":
    main()
