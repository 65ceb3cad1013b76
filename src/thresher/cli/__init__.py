"""The ``thresher`` command line: a thin layer over the Python API.

Each command group lives in its own module with a ``register(app)`` function. Errors the user
can fix (:class:`~thresher.errors.ThresherError`) end as one line on stderr and exit code 2,
never as a traceback.
"""

from __future__ import annotations

import os
import sys
import traceback

import typer

from thresher import __version__
from thresher.cli import (
    crawl,
    extract,
    llm,
    models,
    pipeline,
    quality,
    reddit,
    refine,
    ship,
    ship_exports,
    store,
    tokenize,
)
from thresher.cli import serve as read_serve
from thresher.errors import ThresherError

app = typer.Typer(
    name="thresher",
    help="Turn the web into clean training data for language models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"thresher {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Turn the web into clean training data for language models."""


for _module in (
    crawl, extract, refine, models, pipeline, store, ship, ship_exports, read_serve, reddit,
    llm, quality, tokenize,
):  # fmt: skip
    _module.register(app)


def os_error_line(e: OSError) -> str:
    """One line for an operating-system error: the path(s) it names and the reason. An error
    without a path (a full disk seen on flush) names the output the command was writing."""
    from thresher.output import CLAIMED

    reason = e.strerror or type(e).__name__
    paths = [str(p) for p in (e.filename, e.filename2) if p is not None]
    if not paths and CLAIMED:
        paths = [str(CLAIMED[-1])]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``thresher`` script."""
    try:
        app(args=argv, prog_name="thresher", standalone_mode=True)
    except SystemExit as e:
        code = e.code
        if code == 130 and isinstance(getattr(e.__context__, "__cause__", None), KeyboardInterrupt):
            print("thresher: interrupted", file=sys.stderr)  # Typer turned Ctrl-C into exit 130
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ThresherError as e:
        print(f"thresher: error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:  # a full disk, a folder gone read-only mid-run: the path and why
        if os.environ.get("THRESHER_DEBUG"):
            traceback.print_exc()
        print(f"thresher: error: {os_error_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("thresher: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
