"""Opening an IMAP session safely, and retrying the network faults worth retrying.

TLS is never optional: implicit TLS (port 993) or STARTTLS that must succeed,
with certificate and host name checked against the system CAs or the user's
own CA file. A refused login is an :class:`AuthError` and is never retried;
drops, timeouts and BYE are retried with capped exponential backoff + jitter.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import LoginError

from panza.daemon.errors import AuthError, SourceError, UserError
from panza.daemon.sources.retry import RetryPolicy

log = logging.getLogger(__name__)


def _no_debug(record: logging.LogRecord) -> bool:
    return record.levelno > logging.DEBUG


# imapclient logs the protocol at DEBUG, server responses (message content) included,
# and `panza -v` turns DEBUG on everywhere: drop those records without changing levels.
for _name in ("imapclient.imapclient", "imapclient.imaplib", "imapclient.util"):
    logging.getLogger(_name).addFilter(_no_debug)

CONNECT_TIMEOUT_S = 20.0
# Per socket read, not per command: a slow link fetching a large batch keeps going.
READ_TIMEOUT_S = 120.0

T = TypeVar("T")


@dataclass(frozen=True)
class ImapSettings:
    """Where and how to log in; the secret never appears in repr() or logs."""

    host: str
    port: int
    user: str = field(repr=False)
    secret: str = field(repr=False)
    starttls: bool = False
    ca_file: str = ""
    oauth2: bool = False
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    read_timeout_s: float = READ_TIMEOUT_S

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


Connector = Callable[[ImapSettings], IMAPClient]


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """A verifying client context: system CAs, or only ``ca_file`` when given."""
    cafile = None
    if ca_file:
        path = Path(ca_file).expanduser()
        if not path.is_file():
            raise UserError(f"CA file {ca_file} not found")
        cafile = str(path)
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except ssl.SSLError as exc:
        raise UserError(f"CA file {ca_file} is not a PEM certificate ({exc.reason})") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def open_session(settings: ImapSettings) -> IMAPClient:
    """Connect, secure and log in; the one seam tests and benchmarks wrap."""
    ctx = tls_context(settings.ca_file)
    timeout = SocketTimeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s)
    try:
        client = IMAPClient(
            settings.host,
            port=settings.port,
            ssl=not settings.starttls,
            ssl_context=ctx,
            timeout=timeout,
        )
    except ssl.SSLError as exc:
        raise _tls_error(exc, settings) from None
    try:
        client.normalise_times = False  # keep INTERNALDATE's zone instead of local time
        if settings.starttls:
            # Mandatory: a server (or someone in between) that drops STARTTLS never gets
            # to see the password in clear.
            if not client.has_capability("STARTTLS"):
                raise SourceError(
                    f"{settings.where} does not offer STARTTLS; refusing to log in without TLS"
                )
            try:
                client.starttls(ctx)
            except ssl.SSLError as exc:
                raise _tls_error(exc, settings) from None
        login(client, settings)
    except BaseException:
        drop(client)
        raise
    return client


def login(client: IMAPClient, settings: ImapSettings) -> None:
    """LOGIN or XOAUTH2; refused credentials are an AuthError, a busy server is transient."""
    try:
        if settings.oauth2:
            client.oauth2_login(settings.user, settings.secret)
        else:
            client.login(settings.user, settings.secret)
    except LoginError as exc:
        text = server_text(exc)
        if "[UNAVAILABLE]" in text or "[SERVERBUG]" in text:
            # RFC 5530: the server cannot check credentials right now; not the user's fault.
            raise ConnectionError(f"{settings.host} cannot log anyone in now ({text})") from None
        what = "OAuth2 token" if settings.oauth2 else "user name or password"
        raise AuthError(f"{settings.host} refused the {what} ({text})") from None


def _tls_error(exc: ssl.SSLError, settings: ImapSettings) -> Exception:
    if is_transient(exc):  # the connection dropped during the handshake
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = (
            "check that --ca-file is the CA that signed the server's certificate"
            if settings.ca_file
            else "if the server uses its own CA (self-hosted), pass it with --ca-file PEM"
        )
        return SourceError(
            f"the TLS certificate of {settings.host} is not trusted ({exc.verify_message}); {hint}"
        )
    mode = "STARTTLS" if settings.starttls else "implicit TLS"
    return SourceError(
        f"TLS with {settings.where} failed ({exc.reason}); is {settings.port} the port for"
        f" {mode}? (993 is implicit TLS; 143 needs --starttls)"
    )


def drop(client: IMAPClient) -> None:
    """Close without LOGOUT: after a fault the session may be unusable (imapclient docs)."""
    try:
        client.shutdown()
    except Exception:
        log.debug("closing a broken IMAP connection failed", exc_info=True)


def close(client: IMAPClient) -> None:
    """LOGOUT politely, falling back to just closing the socket."""
    try:
        client.logout()
    except Exception:
        drop(client)


def server_text(exc: BaseException) -> str:
    """The server's words from an imaplib error, without Python's b'' quoting."""
    arg = exc.args[0] if exc.args else ""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    quoted = re.fullmatch(r"b(['\"])(.*)\1", text, re.DOTALL)
    return (quoted.group(2) if quoted else text).strip()[:200]


def is_transient(exc: BaseException) -> bool:
    """Worth another try after a pause: drops, timeouts, BYE, refused or reset connections."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return False
    if isinstance(exc, imaplib.IMAP4.abort):  # BYE, EOF on the socket, garbled response
        return True
    if isinstance(exc, ssl.SSLError):
        return isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ssl.SSLSyscallError)
    if isinstance(exc, TimeoutError | ConnectionError | socket.gaierror):
        return True
    # Plain OSError: unreachable network or host; its subclasses for files are not.
    return type(exc) is OSError


def describe(exc: BaseException) -> str:
    """A short, secret-free reason for logs and the account status."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, imaplib.IMAP4.abort):
        return f"connection lost ({server_text(exc)})"
    return f"{type(exc).__name__}: {exc}"[:200]


def with_retry(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    *,
    where: str,
    progress: Callable[[], int] = lambda: 0,
) -> T:
    """Run ``attempt`` until it succeeds, retrying transient faults.

    ``progress`` counts committed work: a fault after progress starts the count of
    failures afresh, so a long sync over a flaky link keeps going while a dead
    server gives up after ``policy.attempts`` tries.
    """
    failures, seen = 0, progress()
    while True:
        try:
            return attempt()
        except Exception as exc:
            if not is_transient(exc):
                raise
            now = progress()
            failures = 1 if now != seen else failures + 1
            seen = now
            if failures >= policy.attempts:
                raise SourceError(
                    f"cannot reach {where} after {failures} attempts: {describe(exc)}"
                ) from None
            pause = policy.delay(failures)
            log.warning("IMAP %s: %s; retrying in %.1fs", where, describe(exc), pause)
            policy.sleep(pause)
