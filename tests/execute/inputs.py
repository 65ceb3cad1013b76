"""Real WARC and HTML inputs for the executor tests (written with tests/extract/warcs.py)."""

from __future__ import annotations

from pathlib import Path

from ..extract.warcs import page, warc_record, write_warc

WORDS = [
    "river",
    "stone",
    "garden",
    "lantern",
    "harbour",
    "meadow",
    "violin",
    "candle",
    "orchard",
    "glacier",
]


def body(n: int) -> str:
    """Prose that differs from page to page (so that no two documents are the same)."""
    words = [WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(12)]
    return f"Article number {n} tells of the " + " ".join(words) + "."


def write_inputs(root: Path, archives: int = 3, per_archive: int = 40, html: int = 5) -> Path:
    """``archives`` gzip WARC files, one truncated WARC, one file of junk and ``html`` pages."""
    folder = root / "in"
    folder.mkdir(parents=True)
    n = 0
    for a in range(archives):
        records = []
        for _ in range(per_archive):
            records.append(warc_record(f"http://site{a}.example/{n}", page(f"Page {n}", body(n))))
            n += 1
        write_warc(folder / f"a{a}.warc.gz", records, "gzip")
    recs = [
        warc_record(f"http://cut.example/{i}", page(f"Cut {i}", body(1000 + i))) for i in range(5)
    ]
    offsets = write_warc(folder / "b-truncated.warc.gz", recs, "gzip")
    cut = folder / "b-truncated.warc.gz"
    cut.write_bytes(cut.read_bytes()[: offsets[4] + 30])
    (folder / "c-junk.warc.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8)
    for h in range(html):
        (folder / f"d{h}.html").write_bytes(page(f"Local {h}", body(2000 + h)))
    return folder


def big_warc(root: Path, pages: int) -> Path:
    """One WARC file of ``pages`` pages (cut into record ranges when workers outnumber files)."""
    path = root / "big.warc.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    recs = [warc_record(f"http://big.example/{i}", page(f"Big {i}", body(i))) for i in range(pages)]
    write_warc(path, recs, "gzip")
    return path
