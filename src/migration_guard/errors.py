"""One exception type per failure kind; the CLI turns each into one line and an exit code.

Exit codes (design.md): 0 ok, 1 findings, 2 bad usage/config/input, 3 could not decide.
"""

from __future__ import annotations


class GuardError(Exception):
    """An expected failure: shown to the user as one message (and a hint), never a traceback."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(GuardError):
    """The command line does not make sense."""


class ConfigError(GuardError):
    """migration-guard.toml / [tool.migration-guard] is invalid or names something missing."""


class InputError(GuardError):
    """A file the user pointed at cannot be read or is of the wrong kind."""


class DeployedChangeError(InputError):
    """A migration to move (or one after it) is deployed on a database."""

    exit_code = 1


class UndecidableError(GuardError):
    """We could not see all the data, so we must not claim 'OK'."""

    exit_code = 3


class UnreadableChainError(UndecidableError):
    """A chain could not be read in full: comparing what was read would miss migrations."""


class GitError(UndecidableError):
    """git failed or is missing; the repository state is unknown."""


class ForgeError(UndecidableError):
    """The forge (GitHub, GitLab) could not be asked, or answered incompletely."""


class DatabaseError(UndecidableError):
    """A database could not be started or reached."""
