"""The field-mapping options shared by commands that read documents (docs/datasets.md):
``--text-field``, ``--id-field``, ``--url-field``, ``--title-field``, ``--date-field``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from thresher.store.mapping import FieldMap

TextField = Annotated[
    str | None,
    typer.Option(
        "--text-field",
        help="Field of the text in records of another layout (a.b: a nested field; the rest "
        "goes to metadata).",
    ),
]
IdField = Annotated[
    str | None,
    typer.Option("--id-field", help="Field of the id (default: an id from the content)."),
]
UrlField = Annotated[str | None, typer.Option("--url-field", help="Field of the URL.")]
TitleField = Annotated[str | None, typer.Option("--title-field", help="Field of the title.")]
DateField = Annotated[str | None, typer.Option("--date-field", help="Field of the date.")]


def fields_from(
    text: str | None,
    id_: str | None,
    url: str | None,
    title: str | None,
    date: str | None,
    base: FieldMap | None = None,
) -> FieldMap | None:
    """The mapping the options name, over ``base`` (the YAML's); None when there is none."""
    from thresher.store.mapping import field_map

    return field_map(text, id_, url, title, date, base=base)
