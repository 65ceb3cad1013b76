"""train-lm's n-gram step: thresher's Kneser-Ney estimator against KenLM's lmplz, same corpus.

The corpus is English prose found on this machine without any download: the docstrings of
every module of Python's standard library and of the installed packages (read with ``ast``,
nothing imported), one paragraph a line, cut to the token counts asked for. For each size:
wall time and peak RSS of each estimator writing an ARPA file (each in its own process), the
agreement of the two files (same n-grams; max |Δ log10 p| and |Δ log10 backoff|), and the time
``kenlm`` takes to load the ARPA file against a ``build_binary`` probing binary of it.

    .venv/bin/python bench/lm/bench_estimators.py [--sizes 100000,1000000,4000000] [--order 5]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "src"))


def docstring_paragraphs() -> list[str]:
    """Paragraphs of at least six words from docstrings under the stdlib and site-packages."""
    roots = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}
    seen: dict[str, None] = {}
    for root in sorted(roots):
        for path in sorted(Path(root).rglob("*.py")):
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, OSError):
                continue
            for node in ast.walk(tree):
                if isinstance(
                    node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                ):
                    doc = ast.get_docstring(node)
                    for par in (doc or "").split("\n\n"):
                        par = " ".join(par.split())
                        if len(par.split()) >= 6 and not par.startswith(">>>"):
                            seen[par] = None
    lines = list(seen)
    random.Random(0).shuffle(lines)
    return lines


def write_corpus(lines: list[str], tokens: int, path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")
            n += len(line.split())
            if n >= tokens:
                break
    return n


_WRAP = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    proc = subprocess.run(sys.argv[2:], stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if proc.returncode:
    sys.exit(proc.stderr.decode()[-500:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps([time.perf_counter() - t, peak]))
"""


def timed(cmd: list[str], stdin: Path | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one command, run under a small wrapper process (the peak
    RSS Linux reports for a child includes its parent's at fork time, so not from here)."""
    wrapper = [sys.executable, "-c", _WRAP, str(stdin or os.devnull), *cmd]
    proc = subprocess.run(wrapper, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr[-500:]}")
    seconds, peak = json.loads(proc.stdout)
    return seconds, peak


BUILTIN = """
import sys
from thresher.refine.kneser_ney import estimate, split_line, write_arpa
with open(sys.argv[1], encoding="utf-8") as f:
    write_arpa(estimate((split_line(line) for line in f), int(sys.argv[3])), sys.argv[2])
"""


def read_arpa(path: Path) -> dict[str, tuple[float, float]]:
    from tests.refine.test_lm_kneser_ney import read_arpa as parse

    return parse(path)


def load_seconds(path: Path) -> float:
    code = (
        "import kenlm, time, sys\n"
        "c = kenlm.Config(); c.show_progress = False\n"
        "c.arpa_complain = kenlm.ARPALoadComplain.NONE\n"
        "t = time.perf_counter(); kenlm.Model(sys.argv[1], c); print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000,4000000")
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--out", default=str(HERE / "results.json"))
    args = ap.parse_args()
    sys.path.insert(0, str(HERE.parent.parent))
    lmplz, build_binary = shutil.which("lmplz"), shutil.which("build_binary")
    lines = docstring_paragraphs()
    env_python = [sys.executable, "-c", BUILTIN]
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for size in (int(s) for s in args.sizes.split(",")):
            corpus = tmp / f"c{size}.txt"
            tokens = write_corpus(lines, size, corpus)
            ours = tmp / "ours.arpa"
            row: dict[str, object] = {"tokens": tokens, "order": args.order}
            row["builtin_s"], row["builtin_rss_mib"] = timed(
                [*env_python, str(corpus), str(ours), str(args.order)]
            )
            if lmplz:
                ref = tmp / "lmplz.arpa"
                cmd = [lmplz, "-o", str(args.order), "-S", "20%", "-T", str(tmp)]
                cmd += ["--discount_fallback", "--arpa", str(ref)]
                row["lmplz_s"], row["lmplz_rss_mib"] = timed(cmd, stdin=corpus)
                a, b = read_arpa(ours), read_arpa(ref)
                row["ngrams"] = len(b)
                row["same_ngrams"] = set(a) == set(b)
                row["max_abs_dlogp"] = max(abs(a[g][0] - b[g][0]) for g in b if g in a)
                row["max_abs_dbackoff"] = max(abs(a[g][1] - b[g][1]) for g in b if g in a)
                del a, b
            row["arpa_mib"] = ours.stat().st_size / 2**20
            row["load_arpa_s"] = load_seconds(ours)
            if build_binary:
                binary = tmp / "ours.bin"
                subprocess.run(
                    [build_binary, "probing", str(ours), str(binary)],
                    check=True,
                    capture_output=True,
                )
                row["load_binary_s"] = load_seconds(binary)
            results.append(row)
            print(
                json.dumps(
                    {k: float(f"{v:.4g}") if isinstance(v, float) else v for k, v in row.items()}
                ),
                flush=True,
            )
    meta = {
        "machine": os.uname().machine,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "self_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    Path(args.out).write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
