"""Generate the benchmark site: N pages of ~15 KB with ~50 links each, a robots.txt, and an
nginx configuration that serves it on 127.0.0.1."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

_TEXT = (
    "the crawler fetched every page of the archive and kept the text for training while "
    "politely waiting between requests to each host as robots rules ask"
)
WORDS = _TEXT.split()

NGINX_CONF = """worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    default_type text/html;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""


def make_site(root: Path, pages: int, links: int = 50, seed: int = 7) -> None:
    """Write ``pages`` HTML files under ``root/www`` (about 15 KB each) and robots.txt."""
    rng = random.Random(seed)
    www = root / "www"
    (www / "p").mkdir(parents=True, exist_ok=True)
    (www / "private").mkdir(exist_ok=True)
    (www / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    (www / "private" / "index.html").write_text("<html>secret</html>")
    for i in range(pages):
        targets = [rng.randrange(pages) for _ in range(links - 3)]
        # A chain guarantees every page is reachable from page 0.
        targets.append((i + 1) % pages)
        hrefs = [f"/p/{t}.html" for t in targets] + ["/", "/private/"]
        link_html = "".join(f'<li><a href="{h}">page {h}</a></li>' for h in hrefs)
        paras = []
        size = len(link_html)
        while size < 14_000:
            p = " ".join(rng.choice(WORDS) for _ in range(60))
            paras.append(f"<p>{p}</p>")
            size += len(p) + 7
        (www / "p" / f"{i}.html").write_text(
            f"<!doctype html><html><head><title>Page {i}</title></head><body>"
            f"<h1>Page {i}</h1>{''.join(paras)}<ul>{link_html}</ul></body></html>"
        )
    (www / "index.html").write_text('<html><body><a href="/p/0.html">start</a></body></html>')
    (root / "tmp").mkdir(exist_ok=True)


def write_nginx_conf(root: Path, port: int) -> Path:
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root.resolve(), port=port))
    return conf


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("root", type=Path)
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--port", type=int, default=8089)
    a = ap.parse_args()
    make_site(a.root, a.pages)
    print(write_nginx_conf(a.root, a.port))
