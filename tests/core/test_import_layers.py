"""No import cycle, between files or between packages, and every package in its layer.

An import inside a function counts (it is a dependency of the design all the same); only
imports under ``if TYPE_CHECKING:`` do not. The layers, lowest first (a package imports only
from its own layer or those below; one layer's members do not import each other in a cycle):

0. base: errors, document, stats, nesting, progress, retry, atomic, output, settings_base,
   config_file (YAML reading, one-line validation errors), hashing, pipeline, the ``thresher``
   root, and any other module that imports no thresher module
1. archive   WARC / WET / ARC reading and writing
2. execute   local and Ray executors and their settings
3. store     writers, readers (files, object stores, ``hf:`` datasets), manifest, markers
4. sources   the Page type, the registry of named sources, Common Crawl, Reddit
5. llm       OpenAI-compatible client, schema extraction, the extract step
6. extract   main content, metadata, recipes (and recipes suggested by a model)
7. crawl     polite fetching, frontier, the crawl engine (extracts with recipes)
8. refine    the CCNet-style pipeline
9. ship, report
10. config   the pipeline YAML composed of every stage's section
11. serve, flow, demo
12. cli, __main__
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.import_graph import cycles, imports, module_graph, package_graph, show

LAYERS: list[set[str]] = [
    {"errors", "document", "stats", "nesting", "progress", "retry", "atomic", "output",
     "settings_base", "config_file", "hashing", "pipeline", ""},
    {"archive"},
    {"store"},
    {"execute"},
    {"sources"},
    {"llm"},
    {"extract"},
    {"crawl"},
    {"refine"},
    {"ship", "report"},
    {"config"},
    {"serve", "flow", "demo"},
    {"cli", "__main__"},
]  # fmt: skip


def test_no_file_level_import_cycle() -> None:
    graph = module_graph()
    assert len(graph) > 100
    found = cycles(graph)
    assert not found, "import cycles between files:\n" + "\n\n".join(show(c, graph) for c in found)


def test_no_package_level_import_cycle() -> None:
    graph = package_graph(module_graph())
    found = cycles(graph)
    assert not found, "import cycles between packages:\n" + "\n\n".join(
        show(c, graph) for c in found
    )


def test_every_package_imports_only_its_layer_and_below() -> None:
    level = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    graph = package_graph(module_graph())
    level |= {p: 0 for p, deps in graph.items() if p not in level and not deps}  # a leaf: base
    unplaced = sorted(p for p in graph if p not in level)
    assert not unplaced, f"put these packages in a layer of LAYERS: {unplaced}"
    upward = [
        f"  {a or 'thresher'} (layer {level[a]}) -> {b or 'thresher'} (layer {level[b]}): {why}"
        for a, deps in graph.items()
        for b, why in deps.items()
        if level[b] > level[a]
    ]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_the_checker_sees_lazy_imports_and_skips_type_checking(tmp_path: Path) -> None:
    code = (
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n    from thresher.c import C\n"
        "else:\n    import thresher.e\n"
        "def f():\n    from thresher.d import g\n"
    )
    path = tmp_path / "a.py"
    path.write_text(code)
    known = {"thresher.p.a", "thresher.p.b", "thresher.c", "thresher.d", "thresher.e"}
    found = imports(path, "thresher.p.a", known)
    assert found == {"thresher.p.b": (2, False), "thresher.e": (6, False), "thresher.d": (8, True)}
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [
        ["a", "b", "c", "a"]
    ]


@pytest.mark.parametrize(
    "module",
    [
        "thresher.config_file",
        "thresher.sources.page",
        "thresher.sources.registry",
        "thresher.store.hf",
        "thresher.extract.stream",
        "thresher.extract.recipes.suggest",
        "thresher.extract.recipes.loader",
        "thresher.extract.recipes.model",
        "thresher.extract.recipes.apply",
        "thresher.extract.recipes",
        "thresher.extract.run",
        "thresher.crawl.engine",
        "thresher.serve.app",
    ],
)
def test_each_module_imports_on_its_own(module: str) -> None:
    """A module that only loads after another (an order a cycle used to hide: the moved
    modules, the recipe loader and what imports it) fails here."""
    run = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
