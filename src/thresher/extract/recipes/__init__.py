"""Recipes: YAML files of CSS/XPath selectors that turn list pages, item pages and pagination
into structured records (e.g. a forum: subforum → threads → posts with author, date, text,
quoted post, images and links), and tell the crawler which links to follow.

Built-in recipes (``phpbb``, ``xenforo``, ``vbulletin``, ``discourse``) can be named instead
of a path. :mod:`.model` holds what a recipe is, :mod:`.loader` the one loader every command
uses, :mod:`.apply` a recipe over one page under the extract budgets. Nothing here imports
the extract runner (:mod:`thresher.extract.run` imports this package, not the reverse).
"""

from __future__ import annotations

from thresher.extract.recipes.apply import page_records
from thresher.extract.recipes.loader import (
    BUILTIN,
    builtin_recipes,
    check_selectors,
    load_recipe,
    parse_recipe,
    recipe_path,
)
from thresher.extract.recipes.model import FieldRule, LinkRule, Match, PageType, Recipe, RecordRule

__all__ = [
    "BUILTIN",
    "FieldRule",
    "LinkRule",
    "Match",
    "PageType",
    "Recipe",
    "RecordRule",
    "builtin_recipes",
    "check_selectors",
    "load_recipe",
    "page_records",
    "parse_recipe",
    "recipe_path",
]
