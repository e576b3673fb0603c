"""One exception tree for the daemon side; turned into messages only at the edge."""

from __future__ import annotations


class PanzaError(Exception):
    """Base of every error Panza raises on purpose.

    ``str(err)`` is a message a person can act on; the CLI prints it as one line.
    """

    exit_code = 1


class UserError(PanzaError):
    """Something the user asked for cannot be done as asked (bad path, bad flag)."""

    exit_code = 2


class ConfigError(UserError):
    """The config file is missing, unreadable or invalid; ``problems`` lists every issue."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        full = (
            message
            if not self.problems
            else message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        )
        super().__init__(full)


class BusyError(PanzaError):
    """The work asked for is already running (a sync, a training run); try again later."""


class NotReadyError(PanzaError):
    """What the request needs is not there yet (no adapter trained)."""


class WorkCancelled(PanzaError):
    """The work was cancelled before it finished; nothing was kept."""


class StoreError(PanzaError):
    """The state database cannot be opened, migrated or written."""


class IndexStoreError(PanzaError):
    """The retrieval index or its embedding model cannot be loaded, built or searched."""


class SecretsError(PanzaError):
    """The OS keyring is missing, insecure or refused access."""


class UnsafeSocketError(PanzaError):
    """The socket folder, or whoever listens on the socket, is not this user's own."""


class SourceError(PanzaError):
    """A mail source (mbox, IMAP, Gmail) failed."""

    def __init__(self, message: str, account: str = "") -> None:
        self.account = account
        super().__init__(message)


class AuthError(SourceError):
    """The server refused our credentials: the account needs re-authentication; never retried."""


class MboxError(SourceError, UserError):
    """The file given is not a readable mbox."""
