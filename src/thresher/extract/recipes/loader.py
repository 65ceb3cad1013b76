"""The one recipe loader: ``crawl --recipe``, ``extract --recipe`` and recipes written by a
model (``recipe suggest``) all go through :func:`load_recipe` or :func:`parse_recipe`, so a
recipe is checked the same way wherever it is used, before any page is fetched or read.

Stable names: :func:`load_recipe`, :func:`parse_recipe`, :func:`check_selectors`,
:func:`builtin_recipes`, :data:`BUILTIN`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from selectolax.lexbor import LexborHTMLParser

from thresher.errors import ConfigError
from thresher.extract.recipes.model import Recipe

__all__ = ["BUILTIN", "builtin_recipes", "check_selectors", "load_recipe", "parse_recipe"]

#: the folder of the recipes that ship with thresher (``NAME.yaml``)
BUILTIN = Path(__file__).parent


def builtin_recipes() -> list[str]:
    """Names of the recipes that ship with thresher (``--recipe NAME``)."""
    return sorted(p.stem for p in BUILTIN.glob("*.yaml"))


def recipe_path(name: str | Path) -> Path:
    """The file of a recipe given as a path or a built-in name; ConfigError naming the
    built-in recipes when it is neither."""
    p = Path(name)
    if p.exists():
        return p
    builtin = BUILTIN / f"{name}.yaml"
    if builtin.exists():
        return builtin
    raise ConfigError(
        f"recipe {str(name)!r} does not exist: no such file, and the built-in recipes"
        f" are {', '.join(builtin_recipes())}"
    )


def load_recipe(name: str | Path) -> Recipe:
    """Load a recipe (a file path or a built-in name), validated and its selectors checked;
    every problem is one :class:`~thresher.errors.ConfigError` line naming the file."""
    from thresher.config_file import read_yaml

    path = recipe_path(name)
    return parse_recipe(read_yaml(path), str(path))


def parse_recipe(data: Any, origin: str) -> Recipe:
    """A recipe from already-parsed YAML/JSON data (``origin`` names it in errors): the
    schema is validated (unknown keys refused) and every selector checked."""
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as e:
        from thresher.config_file import format_validation_error

        raise ConfigError(format_validation_error(e, origin)) from None
    check_selectors(recipe, origin)
    return recipe


def _selectors(recipe: Recipe) -> list[tuple[str, str, str]]:
    """(page type, kind, selector) of every CSS selector and XPath of a recipe."""
    out: list[tuple[str, str, str]] = []
    for pt in recipe.pages:
        css = [pt.match.css, *(r.css for r in pt.follow)]
        if pt.records is not None:
            css.append(pt.records.each)
            for f in pt.records.fields.values():
                css.append(f.css)
                css.extend(f.exclude)
                if f.xpath:
                    out.append((pt.name, "xpath", f.xpath))
        out.extend((pt.name, "css", c) for c in css if c is not None)
    return out


def check_selectors(recipe: Recipe, origin: str) -> None:
    """Compile every CSS selector and XPath once, so a bad one fails before any page."""
    import lxml.etree

    empty = LexborHTMLParser("<html></html>")
    for page, kind, selector in _selectors(recipe):
        try:
            if kind == "css":
                empty.css(selector)
            else:
                lxml.etree.XPath(selector)
        except Exception as e:  # selectolax: ValueError/SelectolaxError; lxml: XPathSyntaxError
            label = "CSS selector" if kind == "css" else "XPath"
            raise ConfigError(f"{origin}: page {page!r}: bad {label} {selector!r}: {e}") from None
