"""The IMAP tier's fixtures: real Dovecot servers on loopback, fresh mailboxes, accounts.

Dovecot missing: skipped on a developer machine, but a failure under CI (the
tier must run there; `make test` installs dovecot-imapd when root).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from imapclient import IMAPClient

from panza.daemon.config import Config, ImapAccount, UserConfig
from panza.daemon.config.schema import CleaningConfig
from panza.daemon.demo.sample import PERSONA
from panza.daemon.demo.sample.dovecot import (
    PASSWORD,
    Dovecot,
    TlsFiles,
    dovecot_binary,
    dovecot_version,
)
from panza.daemon.demo.sample.dovecot import make_self_signed as _make_self_signed
from panza.daemon.secrets import set_secret
from panza.daemon.store import Store

_ids = itertools.count()


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def dovecot_bin() -> str:
    binary = dovecot_binary()
    if binary is None:
        message = "Dovecot is not installed (apt-get install dovecot-imapd; `make test` does it)"
        if _in_ci():
            pytest.fail(f"the IMAP tier must run in CI: {message}")
        pytest.skip(message)
    version = dovecot_version(binary)
    if not version.startswith("2.3."):
        message = f"the test server config is written for Dovecot 2.3, found {version}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return binary


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return _make_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def server(dovecot_bin: str, tls_files: TlsFiles) -> Iterator[Dovecot]:
    """The shared TLS server (implicit TLS on tls_port, STARTTLS on port)."""
    dovecot = Dovecot(dovecot_bin, tls_files).start()
    yield dovecot
    dovecot.cleanup()


@pytest.fixture
def own_server(dovecot_bin: str, tls_files: TlsFiles) -> Iterator[Dovecot]:
    """A server of the test's own, for tests that stop it."""
    dovecot = Dovecot(dovecot_bin, tls_files).start()
    yield dovecot
    dovecot.cleanup()


@pytest.fixture
def plain_server(dovecot_bin: str) -> Iterator[Dovecot]:
    """A server without TLS at all (so without STARTTLS)."""
    dovecot = Dovecot(dovecot_bin, None).start()
    yield dovecot
    dovecot.cleanup()


@pytest.fixture
def user() -> str:
    """A user nobody else uses: a fresh, empty mailbox (Sent is auto-created)."""
    return f"ada{os.getpid()}x{next(_ids)}"


@dataclass
class Setup:
    """One account "work" on a server, with its password in the (test) keyring."""

    server: Dovecot
    user: str
    ca_file: Path
    max_bytes: int = 200_000
    clients: list[IMAPClient] = field(default_factory=list)

    def admin(self) -> IMAPClient:
        """A session of our own to seed and inspect the mailbox (closed after the test)."""
        client = self.server.client(self.user)
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            try:
                client.logout()
            except Exception:
                client.shutdown()

    def account(self, **changes: object) -> ImapAccount:
        fields: dict[str, object] = {
            "kind": "imap",
            "host": "127.0.0.1",
            "port": self.server.tls_port,
            "user": self.user,
            "ca_file": str(self.ca_file),
        }
        fields.update(changes)
        return ImapAccount.model_validate(fields)

    def config(self, **changes: object) -> Config:
        return Config(
            user=UserConfig(name=PERSONA.name, emails=[PERSONA.address, PERSONA.alias]),
            cleaning=CleaningConfig(max_message_bytes=self.max_bytes),
            accounts={"work": self.account(**changes)},
        )


@pytest.fixture
def setup(
    server: Dovecot, user: str, tls_files: TlsFiles, test_keyring: dict[str, str]
) -> Iterator[Setup]:
    """A fresh mailbox on the shared server, its password already in the keyring."""
    set_secret("work", "password", PASSWORD)
    made = Setup(server, user, tls_files.cert)
    yield made
    made.close()


@pytest.fixture
def own_setup(
    own_server: Dovecot, user: str, tls_files: TlsFiles, test_keyring: dict[str, str]
) -> Iterator[Setup]:
    """Like ``setup``, on a server of the test's own."""
    set_secret("work", "password", PASSWORD)
    made = Setup(own_server, user, tls_files.cert)
    yield made
    made.close()


@pytest.fixture
def mailbox(server: Dovecot, user: str, tls_files: TlsFiles) -> Iterator[Setup]:
    """A fresh mailbox with nothing in the keyring (for ``panza account add``)."""
    made = Setup(server, user, tls_files.cert)
    yield made
    made.close()


@pytest.fixture
def own_mailbox(own_server: Dovecot, user: str, tls_files: TlsFiles) -> Iterator[Setup]:
    made = Setup(own_server, user, tls_files.cert)
    yield made
    made.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "panza.db") as s:
        yield s
