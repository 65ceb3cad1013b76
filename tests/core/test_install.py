"""What `pip install .` gives a new user: every import declared, every module importable.

The fresh-venv test runs the README's first command as written (a new virtual environment,
``pip install .``, ``thresher demo``) on a copy of the project, with no KenLM tools on PATH,
then imports every module of thresher with that environment's Python.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "thresher"


def _declared() -> tuple[set[str], set[str]]:
    """Normalised distribution names in the main dependencies and in the extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(reqs: list[str]) -> set[str]:
        return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}

    extras = set()
    for reqs in project.get("optional-dependencies", {}).values():
        extras |= names(reqs)
    return names(project["dependencies"]), extras


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _third_party(path: Path) -> set[str]:
    return {m for m in _imports(path) if m != "thresher" and m not in sys.stdlib_module_names}


def test_every_third_party_import_is_declared() -> None:
    main, extras = _declared()
    dists = md.packages_distributions()
    undeclared = []
    for path in sorted(SRC.rglob("*.py")):
        for module in _third_party(path):
            candidates = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
            if not candidates & (main | extras):
                undeclared.append(f"{path.relative_to(ROOT)}: {module} ({', '.join(candidates)})")
    assert not undeclared, "imports without a declared dependency:\n" + "\n".join(undeclared)


def test_trafilatura_fallback_imports() -> None:
    """lxml 6 moved lxml.html.clean out: without lxml_html_clean trafilatura cannot load."""
    from thresher.extract import fallback

    assert fallback.available()


def _first_command() -> str:
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:10]:
        m = re.match(r"^(?: {4}|\t)(python3? -m venv .*)$", line)
        if m:
            return m.group(1)
    raise AssertionError("README.md: no 'python3 -m venv ...' command in its first lines")


def _copy_project(dst: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        src = ROOT / name.decode()
        if src.is_file():
            target = dst / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_readme_first_command_in_a_fresh_venv(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the project's files")
    project = tmp_path / "thresher"
    _copy_project(project)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    # a newcomer's machine: no KenLM tools (lmplz, build_binary live in /usr/local/bin here)
    env["PATH"] = ":".join(
        p
        for p in env.get("PATH", "").split(":")
        if not p.startswith(("/usr/local", str(ROOT / ".venv")))
    )
    env["PATH"] = f"{Path(sys.base_prefix) / 'bin'}:{env['PATH']}"
    proc = subprocess.run(
        ["bash", "-c", _first_command()],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    for bad in ("Traceback", "not installed", "No module named"):
        assert bad not in out, out[-3000:]
    script = (
        "import importlib, pkgutil, thresher\n"
        "for m in pkgutil.walk_packages(thresher.__path__, 'thresher.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "import trafilatura, sentencepiece, kenlm\n"
        "print('imported')\n"
    )
    venv_python = project / ".venv" / "bin" / "python"
    imported = subprocess.run(
        [str(venv_python), "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert "imported" in imported.stdout
