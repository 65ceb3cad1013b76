"""Where a run may put its output folder: never into a folder of the user's, never nested with
its inputs.

A run replaces what an earlier run of thresher left in its folder (docs/outputs.md), so a
folder that holds other files (``-o .``, a project folder with its own README.md) is refused
rather than mixed with parts, manifest and dataset card. An output inside an input folder
would be read back as input by the next run; an input inside the output would be replaced
by ``--overwrite``: both are refused too, in one line, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from thresher.errors import OutputError
from thresher.output import LOCK_NAME
from thresher.store.hf import is_dataset_spec
from thresher.store.remote import is_remote, local_path

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _local_input(spec: str) -> Path | None:
    """The resolved local path of an input, None for inputs that name no local file (object
    store URLs, ``hf:`` datasets, ``cc:`` slices)."""
    if is_dataset_spec(spec) or is_remote(spec):
        return None
    if _SCHEME.match(spec) and not spec.startswith("file://") and not Path(spec).exists():
        return None
    return local_path(spec).resolve()


def check_nesting(out: Path, inputs: Iterable[str | Path]) -> None:
    """Refuse an output folder that is an input, lies inside an input folder, or holds an
    input (:class:`OutputError`, one line naming both)."""
    where = out.resolve()
    for given in inputs:
        found = _local_input(str(given))
        if found is None:
            continue
        if where == found:
            raise OutputError(f"{out}: is the input {given} itself; choose another output folder")
        if where.is_relative_to(found):
            raise OutputError(
                f"{out}: lies inside the input folder {given}, whose next read would take the "
                "output as input; choose an output folder outside it"
            )
        if found.is_relative_to(where):
            raise OutputError(
                f"{out}: holds the input {given}, which the output would mix with or replace; "
                "choose an output folder outside the inputs"
            )


def check_not_foreign(out: Path, work: str) -> None:
    """Refuse a non-empty folder in which no thresher run left anything (called when the
    folder holds no manifest, no part file and no plan of this run): only its lock and
    ``work`` (this command's own work folder) may be there."""
    others = sorted(e.name for e in out.iterdir() if e.name not in (LOCK_NAME, work))
    if others:
        raise OutputError(
            f"{out}: folder is not empty and holds no thresher output (it has {others[0]!r}); "
            "choose a new or empty folder for the output"
        )
