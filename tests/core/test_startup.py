"""Start-up: the commands people run in loops and pipes load only what they use.

Timing on a shared machine is noise; which modules a command imports is not. ``--help``,
``robots`` and ``langid`` must not load numpy, pyarrow, pydantic, aiohttp or rich (together
about 0.4 s of imports); bench/startup/run.py measures the wall time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numpy", "pyarrow", "pydantic", "aiohttp", "rich", "selectolax", "yaml", "trafilatura")

PROBE = """
import sys
from thresher.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("LOADED", *sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["robots", "{robots}", "http://example.org/x", "bot"], ["langid", "{text}"]],
    ids=["help", "robots", "langid"],
)
def test_fast_commands_load_no_heavy_module(tmp_path: Path, args: list[str]) -> None:
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: *\nDisallow: /private\n")
    text = tmp_path / "lines.txt"
    text.write_text("The committee published its annual report this week.\n")
    argv = [a.format(robots=robots, text=text) for a in args]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    loaded = [line for line in proc.stderr.splitlines() if line.startswith("LOADED")]
    assert loaded == ["LOADED"], proc.stderr
    if args[0] == "langid":
        assert proc.stdout.startswith("en\t")


@pytest.mark.parametrize(
    "module",
    ["thresher.store.remote", "thresher.extract.inputs", "thresher.serve.reader"],
)
def test_small_modules_do_not_load_pyarrow(module: str) -> None:
    """`thresher read` and the sources import these; the package's writers and readers (and
    pyarrow, numpy with them: 0.3-0.8 s) load only when used."""
    probe = (
        f"import sys, {module}; print(sorted(m for m in ('pyarrow', 'numpy') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
