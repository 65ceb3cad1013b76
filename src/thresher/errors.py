"""Precise exceptions. Every one carries a one-line message fit to show a user as is."""

from __future__ import annotations


class ThresherError(Exception):
    """Base class: a problem with the user's input or environment, reported in one line."""


class ConfigError(ThresherError):
    """A configuration file or option is invalid (names the file and the key)."""


class InputError(ThresherError):
    """An input file cannot be read (names the file and what is wrong)."""


class VerifyError(ThresherError):
    """An output folder does not match its manifest."""
