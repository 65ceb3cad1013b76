"""Precise exceptions. Every one carries a one-line message fit to show a user as is."""

from __future__ import annotations


class ThresherError(Exception):
    """Base class: a problem with the user's input or environment, reported in one line."""

    #: the process exit status when this error ends a command (see docs/cli.md)
    exit_code = 2


class ConfigError(ThresherError):
    """A configuration file or option is invalid (names the file and the key)."""


class InputError(ThresherError):
    """An input file cannot be read (names the file and what is wrong)."""


class VerifyError(ThresherError):
    """An output folder does not match its manifest."""


class OutputError(ThresherError):
    """An output path cannot be used: not a folder, not writable, or locked by another run."""


class NothingToDoError(ThresherError):
    """The inputs held nothing the command can use (no document, no page): says what to run."""

    exit_code = 1


class Unfinished(InputError):
    """An input item that could not be read now but may be on a rerun (a network failure left
    after the retries): its shard is left without a completion marker."""


class IncompleteRunError(ThresherError):
    """A run whose other items are done but some were left unfinished (see
    :class:`Unfinished`): rerunning the same command does just those.
    Exit status 75 (EX_TEMPFAIL: try again later)."""

    exit_code = 75


class Interrupted(ThresherError):
    """A run stopped by SIGINT/SIGTERM with its state saved: rerunning the same command goes
    on from there. Exit status 130, as an interrupted command's."""

    exit_code = 130
