"""Errors a user can act on. Each renders as one line that names the place."""

from __future__ import annotations


class DeriveError(Exception):
    """Base of every error derive reports as a one-line message."""

    exit_code = 1


class UsageError(DeriveError):
    exit_code = 2


class ProofFileError(DeriveError):
    """A proof file that cannot be loaded: the message starts with file:line."""

    exit_code = 2

    def __init__(self, location, message: str):
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message
