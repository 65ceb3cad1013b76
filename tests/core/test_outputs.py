"""Output folders and files under ordinary mistakes, run as a user runs them (real processes).

- a rerun of ``extract`` into the same folder keeps it, another run's is refused, and
  ``--overwrite`` replaces it whole: the folder verifies and every page is there once;
- a second run into a folder another process holds is refused in one line with its pid;
- an output path that is a file, a folder that cannot be written, or a full disk end in one
  line naming the path, a non-zero exit, and no temporary file left;
- inputs that give no document at all exit non-zero and say what to run instead.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.extract.warcs import page, warc_record, write_warc
from tests.refine.helpers import SENTENCES, write_jsonl
from thresher.document import Document
from thresher.execute.job import Job
from thresher.execute.stage import run_stage
from thresher.store import read_documents, verify

ROOT = Path(__file__).resolve().parents[2]


def _light_config(folder: Path) -> Path:
    """refine with dedup and langid only: a corpus that keeps nothing is an error (exit 1)."""
    from tests.refine.helpers import LIGHT_REFINE_YAML

    path = folder / "light.yaml"
    path.write_text(LIGHT_REFINE_YAML, encoding="utf-8")
    return path


def thresher(
    *args: str | Path, cwd: Path | None = None, **kw: object
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "thresher", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        **kw,  # type: ignore[arg-type]
    )


def one_error_line(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The process failed with exactly one error line that names every needle."""
    assert proc.returncode != 0 or "rc=" in proc.stdout, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("thresher: error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def no_temp_files(root: Path) -> None:
    left = [p for p in root.rglob("*") if p.name.endswith(".tmp") or "-work" in p.name]
    assert not left, left


PROSE = [
    "The river rose slowly through the night while the town council met to plan the repairs.",
    "Engineers said the old bridge would need new supports before the spring floods came.",
    "Volunteers filled sandbags at the school and carried them to the houses near the bank.",
    "By the morning the water had reached the market square but the shops stayed dry.",
]


NAMES = ["Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ines", "Jonas"]


def make_warc(path: Path, n: int = 4, start: int = 0) -> Path:
    records = []
    for i in range(start, start + n):
        word = NAMES[i % len(NAMES)] + NAMES[(i // len(NAMES)) % len(NAMES)].lower()
        body = "".join(
            f"<p>{s} So wrote {word} about part {'x' * (j + 1)}.</p>" for j, s in enumerate(PROSE)
        )
        records.append(warc_record(f"http://example.org/a{i}", page(f"Article {i}", body)))
    write_warc(path, records, compression="gzip")
    return path


def _letters(n: int) -> str:
    """A number in letters: digits all normalise to 0, so 'Number 1.' and 'Number 2.' would be
    one paragraph to dedup."""
    return str(n).translate(str.maketrans("0123456789", "abcdefghij"))


def make_docs(path: Path, n: int = 6) -> Path:
    recs = [
        {"id": f"d{i}", "text": " ".join(SENTENCES[lang]) + f" Number {_letters(i)}."}
        for i, lang in enumerate(["en", "de", "fr"] * (n // 3))
    ]
    return write_jsonl(path, recs)


# --- item 2: reruns of extract -------------------------------------------------------------


def test_extract_rerun_keeps_a_finished_folder(tmp_path: Path) -> None:
    warc = make_warc(tmp_path / "a.warc.gz")
    out = tmp_path / "docs"
    first = thresher("extract", warc, "-o", out)
    assert first.returncode == 0, first.stderr
    parts = {p.name: p.read_bytes() for p in out.glob("part-*")}
    second = thresher("extract", warc, "-o", out)
    assert second.returncode == 0, second.stderr
    assert "already complete (4 documents)" in second.stdout
    assert {p.name: p.read_bytes() for p in out.glob("part-*")} == parts
    assert verify(out).ok and verify(out).documents == 4


def test_extract_rerun_with_other_inputs_is_refused_then_replaced(tmp_path: Path) -> None:
    a = make_warc(tmp_path / "a.warc.gz")
    b = make_warc(tmp_path / "b.warc.gz", start=4)
    out = tmp_path / "docs"
    assert thresher("extract", a, "-o", out).returncode == 0
    refused = thresher("extract", a, b, "-o", out)
    one_error_line(refused, str(out), "another run", "--overwrite")
    assert verify(out).ok and verify(out).documents == 4  # untouched
    replaced = thresher("extract", a, b, "-o", out, "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    res = verify(out)
    assert res.ok and res.documents == 8, res.problems
    urls = [d.url for d in read_documents([out])]
    assert sorted(urls) == sorted(set(urls)) and len(urls) == 8  # each page once
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "documents" and manifest["fingerprint"]
    no_temp_files(out)
    # the default ccnet dedup over the folder keeps every document: nothing is doubled (the
    # quality filters, which drop every one of these short test pages, are off)
    corpus = tmp_path / "corpus"
    refined = thresher("refine", out, "-o", corpus, "-c", _light_config(tmp_path))
    assert refined.returncode == 0, refined.stderr
    steps = {s["name"]: s for s in json.loads((corpus / "stats.json").read_text())["steps"]}
    assert steps["read"]["kept"] == 8
    assert steps["paragraph_dedup"]["kept"] == 8, steps["paragraph_dedup"]


def test_a_failed_run_leaves_the_earlier_output_as_it_was(tmp_path: Path) -> None:
    """A run that replaces a folder (--overwrite) and fails half-way (a full disk) leaves the
    earlier output whole: parts and manifest as they were, verify passing."""

    class Texts(Job):
        def __init__(self, texts: list[str], fail: bool = False) -> None:
            super().__init__([])
            self.texts, self.fail = texts, fail

        def settings(self) -> str:
            return json.dumps(self.texts)

        def plan(self, workers: int) -> list[dict[str, object]]:
            return [{}]

        def items(self, shard: dict[str, object], stats: list[object]) -> Iterator[Document]:
            for i, text in enumerate(self.texts):
                if self.fail and i == 1:
                    raise OSError(28, "No space left on device")
                yield Document(text=text, url=f"u{i}")

    out = tmp_path / "docs"
    run_stage(Texts([f"old {i}" for i in range(3)]), out)
    with pytest.raises(OSError):
        run_stage(Texts(["new 0", "new 1"], fail=True), out, overwrite=True)
    assert sorted(d.text for d in read_documents([out])) == ["old 0", "old 1", "old 2"]
    assert verify(out).ok
    assert not list(out.rglob("*.tmp"))  # the hidden work folder stays, to resume


def test_run_pipeline_extract_and_cli_extract_share_one_writer() -> None:
    """The loop that writes a documents folder exists once."""
    flow = (ROOT / "src/thresher/flow.py").read_text()
    cli = (ROOT / "src/thresher/cli/extract.py").read_text()
    for source in (flow, cli):
        assert "extract_to_folder(" in source
        assert "CorpusWriter" not in source and "write_manifest" not in source


# --- item 3: one run per output ------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from thresher.output import lock_file, lock_folder
    lock = (lock_file if sys.argv[1] == "file" else lock_folder)(sys.argv[2])
    print("locked", flush=True)
    time.sleep(60)
    """
)


@pytest.fixture
def hold(tmp_path: Path) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(kind: str, path: Path) -> int:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, kind, str(path)], stdout=subprocess.PIPE, text=True
        )
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        return proc.pid

    yield start
    for p in procs:
        p.kill()
        p.wait()


def test_second_run_into_a_held_folder_is_refused_with_the_pid(
    tmp_path: Path, hold: object
) -> None:
    warc = make_warc(tmp_path / "a.warc.gz")
    docs = make_docs(tmp_path / "in.jsonl")
    text = tmp_path / "ref.txt"
    text.write_text("\n".join(PROSE * 20) + "\n")
    cases = {
        "extract": ["extract", warc, "-o"],
        "refine": ["refine", docs, "-o"],
        "train-lm": ["train-lm", text, "--lang", "en", "-o"],
        "train-classifier": ["train-classifier", "--positive", docs, "--negative", docs, "-o"],
        "demo": ["demo", "-o"],
    }
    for name, args in cases.items():
        out = tmp_path / f"held-{name}"
        pid = hold("folder", out)  # type: ignore[operator]
        one_error_line(thresher(*args, out), str(out), f"pid {pid}", "in use")
    # file outputs: export and report
    corpus = tmp_path / "docs"
    assert thresher("extract", warc, "-o", corpus).returncode == 0
    csv = tmp_path / "out.csv"
    pid = hold("file", csv)  # type: ignore[operator]
    one_error_line(thresher("export", docs, "-o", csv), str(csv), f"pid {pid}")
    html = tmp_path / "r.html"
    pid = hold("file", html)  # type: ignore[operator]
    one_error_line(thresher("report", corpus, "-o", html), str(html), f"pid {pid}")


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "folder", str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        warc = make_warc(tmp_path / "a.warc.gz")
        one_error_line(thresher("extract", warc, "-o", out), f"pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    run = thresher("extract", warc, "-o", out)
    assert run.returncode == 0, run.stderr
    assert verify(out).ok
    assert not (out / ".thresher.lock").exists()  # removed when the run ended


# --- item 4: output paths ------------------------------------------------------------------


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("inputs")
    warc = make_warc(base / "a.warc.gz", n=60)
    docs = make_docs(base / "in.jsonl", n=60)
    text = base / "ref.txt"
    text.write_text("\n".join(f"{s} {i}" for i in range(60) for s in PROSE) + "\n")
    corpus = base / "docs"
    assert thresher("extract", warc, "-o", corpus).returncode == 0
    return {"warc": warc, "docs": docs, "text": text, "corpus": corpus}


def folder_commands(inp: dict[str, Path]) -> dict[str, list[str | Path]]:
    return {
        "extract": ["extract", inp["warc"], "-o"],
        "refine": ["refine", inp["docs"], "-o"],
        "train-lm": ["train-lm", inp["text"], "--lang", "en", "-o"],
        "train-classifier": [
            "train-classifier",
            "--positive",
            inp["docs"],
            "--negative",
            inp["text"],
            "-o",
        ],
        "demo": ["demo", "-o"],
        "crawl": ["crawl", "http://127.0.0.1:9/", "-o"],
    }


def file_commands(inp: dict[str, Path]) -> dict[str, list[str | Path]]:
    return {
        "export": ["export", inp["docs"], "--format", "csv", "-o"],  # any file name
        "report": ["report", inp["corpus"], "-o"],
    }


def test_output_folder_that_is_a_file(tmp_path: Path, inputs: dict[str, Path]) -> None:
    target = tmp_path / "taken"
    target.write_text("keep me\n")
    for name, args in folder_commands(inputs).items():
        one_error_line(thresher(*args, target), str(target), "not a folder")
        assert target.read_text() == "keep me\n", name
    no_temp_files(tmp_path)


def test_output_file_that_is_a_folder(tmp_path: Path, inputs: dict[str, Path]) -> None:
    target = tmp_path / "a-folder"
    target.mkdir()
    for _, args in file_commands(inputs).items():
        one_error_line(thresher(*args, target), str(target), "is a folder")
        assert not any(target.iterdir())


def _as_unprivileged() -> list[str]:
    """Prefix that runs a command without root's power to write anywhere (root ignores
    permission bits unless CAP_DAC_OVERRIDE is dropped)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_output_in_a_read_only_folder(tmp_path: Path, inputs: dict[str, Path]) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    existing = ro / "existing"
    existing.mkdir()
    ro.chmod(0o555)
    existing.chmod(0o555)
    prefix = _as_unprivileged()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        cmds = {**folder_commands(inputs), **file_commands(inputs)}
        for name, args in cmds.items():
            for target in (ro / "new", existing):
                if name in ("export", "report"):
                    target = target / "out.file" if target == existing else target
                proc = subprocess.run(
                    [*prefix, sys.executable, "-m", "thresher", *map(str, args), str(target)],
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=300,
                )
                line = one_error_line(proc, str(target))
                assert "Permission denied" in line, (name, line)
        assert sorted(p.name for p in ro.iterdir()) == ["existing"]
        assert not any(existing.iterdir())
    finally:
        existing.chmod(0o755)
        ro.chmod(0o755)


def _full_disk_script(cmd: list[str], mount: Path, out: Path, old: Path | None) -> str:
    pre = f"cp -r {old} {out}\n" if old else ""
    return (
        f"mount -t tmpfs -o size=48k tmpfs {mount}\n"
        f"cat /dev/zero > {mount}/filler 2>/dev/null\n"
        + pre
        + "PYTHONDONTWRITEBYTECODE=1 "
        + " ".join(f"'{c}'" for c in cmd)
        + f" {out}; echo rc=$?\n"
        f"find {mount} -name '*.tmp' -o -name '.documents-work' | sed 's/^/LEFT /'\n"
    )


@pytest.mark.parametrize(
    "name",
    ["extract", "refine", "train-lm", "train-classifier", "demo", "crawl", "export", "report"],
)
def test_full_disk(tmp_path: Path, inputs: dict[str, Path], name: str) -> None:
    """A real full disk: a 48 KiB tmpfs, filled up, in a private mount namespace (unshare).
    refine keeps its work folder (a rerun resumes from it), but no temporary file."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"]).returncode != 0:
        pytest.skip("unshare -rm (user and mount namespaces) is not available")
    mount = tmp_path / "disk"
    mount.mkdir()
    cmds = {**folder_commands(inputs), **file_commands(inputs)}
    args = [sys.executable, "-m", "thresher", *map(str, cmds[name])]
    out = mount / ("out.file" if name in ("export", "report") else "out")
    script = _full_disk_script(args, mount, out, None)
    proc = subprocess.run(
        [unshare, "-rm", "bash", "-c", script], capture_output=True, text=True, timeout=300
    )
    rc = int(proc.stdout.split("rc=", 1)[1].split()[0])
    assert rc == 2, proc.stdout + proc.stderr
    line = one_error_line(proc, "No space left on device")
    assert str(mount) in line, line
    assert "LEFT" not in proc.stdout, proc.stdout


# --- item 5: inputs that give nothing --------------------------------------------------------


def test_refine_and_export_of_a_warc_say_run_extract(tmp_path: Path) -> None:
    warc = make_warc(tmp_path / "crawl.warc.gz")
    plain = tmp_path / "crawl.warc"
    plain.write_bytes(gzip.decompress(warc.read_bytes()))
    for w in (warc, plain):
        one_error_line(
            thresher("refine", w, "-o", tmp_path / "c"), str(w), "WARC", "thresher extract"
        )
        assert not (tmp_path / "c").exists()
        one_error_line(thresher("export", w, "-o", tmp_path / "x.csv"), "WARC", "thresher extract")
        assert not (tmp_path / "x.csv").exists()


def test_extract_of_nothing_usable_fails_and_writes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"this is not an archive at all\n" * 10)
    only_404 = tmp_path / "gone.warc.gz"
    write_warc(
        only_404,
        [warc_record("http://example.org/x", page("x", "<p>gone</p>"), status="404 Not Found")],
        compression="gzip",
    )
    docs = make_docs(tmp_path / "docs.jsonl")
    for bad, needle in [
        (empty, "is empty"),
        (junk, "no document extracted"),
        (only_404, "no document extracted"),
        (docs, "thresher refine"),
    ]:
        out = tmp_path / f"out-{bad.name}"
        proc = thresher("extract", bad, "-o", out)
        one_error_line(proc, needle)
        assert proc.returncode == 1
        assert not out.exists(), list(out.rglob("*"))


def test_refine_of_only_broken_lines_fails_and_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": \n' * 5 + "not json\n")
    out = tmp_path / "corpus"
    proc = thresher("refine", broken, "-o", out)
    one_error_line(proc, "no document could be read", "invalid_json 6")
    assert not out.exists() or not any(p for p in out.rglob("*") if p.is_file())


def test_export_counts_broken_lines(tmp_path: Path) -> None:
    docs = make_docs(tmp_path / "d.jsonl")
    with open(docs, "a") as f:
        f.write("{broken\n[1, 2]\n")
    proc = thresher("export", docs, "-o", tmp_path / "x.csv")
    assert proc.returncode == 0, proc.stderr
    assert "wrote 6 documents" in proc.stdout
    assert "invalid_json 1" in proc.stdout and "not_an_object 1" in proc.stdout


def test_lock_file_dir_is_private() -> None:
    from thresher.output import lock_file

    with tempfile.TemporaryDirectory() as d, lock_file(Path(d) / "x.csv") as lock:
        assert lock.lock_path.parent.stat().st_mode & 0o077 == 0
        assert not any(Path(d).iterdir())  # nothing beside the output file


def test_file_urls_are_local_paths(tmp_path: Path) -> None:
    warc = make_warc(tmp_path / "a.warc.gz")
    out = tmp_path / "docs"
    proc = thresher("extract", f"file://{warc}", "-o", f"file://{out}")
    assert proc.returncode == 0, proc.stderr
    assert verify(out).ok and verify(out).documents == 4
    corpus = tmp_path / "corpus"
    cfg = _light_config(tmp_path)  # the test pages pass no quality filter: refine keeps them
    proc = thresher("refine", f"file://{out}", "-o", f"file://{corpus}", "-c", cfg)
    assert proc.returncode == 0, proc.stderr
    assert (corpus / "manifest.json").is_file() and not (tmp_path / "file:").exists()
