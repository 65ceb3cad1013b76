"""``thresher reddit``: subreddits through Reddit's API (PRAW) into raw JSON and threads."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from thresher.errors import ConfigError, NothingToDoError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""

    @app.command("reddit")
    def reddit_cmd(
        subreddits: list[str] = typer.Argument(..., help="Subreddits: r/NAME or NAME."),
        out: Path = typer.Option(
            ..., "-o", "--out", help="Collection folder: state.sqlite, raw/, documents/."
        ),
        limit: int = typer.Option(
            100, "--limit", min=1, help="Submissions looked at per subreddit listing."
        ),
        sort: str = typer.Option("new", "--sort", help="Listing: new, top or hot."),
        time_filter: str = typer.Option(
            "all", "--time", help="Period of --sort top: all, year, month, week, day, hour."
        ),
        site: str | None = typer.Option(
            None, "--site", help="praw.ini site to read credentials from (default: DEFAULT)."
        ),
        link_posts: bool = typer.Option(
            False, "--link-posts", help="Make threads of link posts too (title only)."
        ),
    ) -> None:
        """Collect submissions and comments through the API (OAuth credentials from
        praw_client_id / praw_client_secret / praw_user_agent or praw.ini); a second run
        adds only what is new. Raw JSON in DIR/raw, thread documents in DIR/documents."""
        from thresher.extract.config import ExtractConfig
        from thresher.extract.to_folder import extract_to_folder
        from thresher.output import lock_folder
        from thresher.sources.reddit.api import SORTS, TIME_FILTERS, RedditAPI, connect
        from thresher.sources.reddit.collect import check_collection, collect, raw_files
        from thresher.sources.reddit.settings import RedditSettings, subreddit_name
        from thresher.stats import StepStats

        if sort not in SORTS:
            raise ConfigError(f"--sort {sort!r}: unknown; choose one of {', '.join(SORTS)}")
        if time_filter not in TIME_FILTERS:
            raise ConfigError(f"--time {time_filter!r}: choose one of {', '.join(TIME_FILTERS)}")
        if any(not subreddit_name(s) for s in subreddits):
            raise ConfigError("an empty subreddit name")
        check_collection(out)
        reddit = connect(site)
        stats = StepStats("reddit")
        with lock_folder(out):
            result = collect(
                RedditAPI(reddit, stats), subreddits, out, sort=sort, limit=limit,
                time_filter=time_filter,
            )  # fmt: skip
            for line in result.failed:
                print(f"thresher: warning: {line}", file=sys.stderr)
            names = ", ".join(f"r/{subreddit_name(s)}" for s in subreddits)
            print(
                f"collected {result.new_submissions} new submissions and "
                f"{result.new_comments} new comments from {names} into {out} "
                f"({result.known_submissions} already collected; {len(result.failed)} failed; "
                f"{stats.counters.get('api:rate_limited', 0)} rate-limit waits)",
                file=sys.stderr,
            )
            files = raw_files(out)
            if not files:
                return
            cfg = ExtractConfig(reddit=RedditSettings(link_posts=link_posts))
            try:
                docs = extract_to_folder(files, out / "documents", cfg, overwrite=True)
            except NothingToDoError as e:  # e.g. only link posts so far: the archive stays
                print(f"{out / 'documents'}: no threads yet ({e})", file=sys.stderr)
                return
        print(f"{out / 'documents'}: {docs.documents} threads", file=sys.stderr)
