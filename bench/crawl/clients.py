"""Which async HTTP client: aiohttp vs httpx fetching the same N pages at concurrency 16.

python bench/crawl/clients.py http://127.0.0.1:PORT 5000
"""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
import httpx


async def with_aiohttp(urls: list[str]) -> int:
    sem = asyncio.Semaphore(16)
    total = 0
    async with aiohttp.ClientSession(auto_decompress=False) as s:

        async def one(u: str) -> None:
            nonlocal total
            async with sem, s.get(u, allow_redirects=False) as r:
                total += len(await r.read())

        await asyncio.gather(*(one(u) for u in urls))
    return total


async def with_httpx(urls: list[str]) -> int:
    sem = asyncio.Semaphore(16)
    total = 0
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(limits=limits) as c:

        async def one(u: str) -> None:
            nonlocal total
            async with sem:
                r = await c.get(u)
                total += len(r.content)

        await asyncio.gather(*(one(u) for u in urls))
    return total


def main() -> None:
    base, n = sys.argv[1].rstrip("/"), int(sys.argv[2])
    urls = [f"{base}/p/{i}.html" for i in range(n)]
    for name, fn in (("aiohttp", with_aiohttp), ("httpx", with_httpx)) * 2:
        t0 = time.monotonic()
        size = asyncio.run(fn(urls))
        dt = time.monotonic() - t0
        print(f"{name:8s} {n / dt:8.0f} pages/s  ({size / 2**20:.0f} MiB)", flush=True)


if __name__ == "__main__":
    main()
