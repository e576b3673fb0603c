"""A real Dovecot 2.3 IMAP server on 127.0.0.1, started as an unprivileged process.

Used by `make demo`, the IMAP test tier and benchmarks/bench_imap.py. Each server gets a
throwaway config, maildir and log under one temp dir; any user name logs in
with the password ``secret`` (static passdb), so every test gets a fresh
mailbox by picking a new user name.
"""

from __future__ import annotations

import contextlib
import datetime
import grp
import ipaddress
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from imapclient import IMAPClient

PASSWORD = "secret"
NOBODY = 65534


def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None


def dovecot_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for 127.0.0.1 (and nothing else) with its key."""

    cert: Path
    key: Path


def make_self_signed(directory: Path) -> TlsFiles:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Panza test IMAP server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "cert.pem", directory / "key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = {no_plaintext}
auth_mechanisms = plain login xoauth2
auth_verbose = yes
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
imap_logout_format = in=%i out=%o body_count=%{{fetch_body_count}} \
body_bytes=%{{fetch_body_bytes}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
}}
"""


class Dovecot:
    """One server: ``port`` speaks plain IMAP (+STARTTLS with TLS), ``tls_port`` implicit TLS."""

    def __init__(self, binary: str, tls: TlsFiles | None) -> None:
        self.binary = binary
        self.tls = tls
        # Short path under /tmp: Dovecot's unix sockets live in base_dir.
        self.root = Path(tempfile.mkdtemp(prefix="pzdc"))
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        self.uid, self.gid = (NOBODY, NOBODY) if os.geteuid() == 0 else (os.getuid(), os.getgid())
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        if self.tls:
            # Copies the server process (maybe another user) can read.
            shutil.copy(self.tls.cert, self.root / "cert.pem")
            shutil.copy(self.tls.key, self.root / "key.pem")
            ssl_lines = (
                f"ssl = yes\nssl_cert = <{self.root}/cert.pem\nssl_key = <{self.root}/key.pem"
            )
        else:
            ssl_lines = "ssl = no"
        (self.root / "mail").mkdir()
        (self.root / "dovecot.conf").write_text(
            _CONFIG.format(
                root=self.root,
                ssl=ssl_lines,
                no_plaintext="yes" if self.tls else "no",
                user=pwd.getpwuid(self.uid).pw_name,
                group=grp.getgrgid(self.gid).gr_name,
                uid=self.uid,
                gid=self.gid,
                password=PASSWORD,
                port=self.port,
                tls_port=self.tls_port,
            )
        )
        if os.geteuid() == 0:
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, self.uid, self.gid)

    def start(self) -> Dovecot:
        dropped: dict[str, Any] = {}
        if os.geteuid() == 0:  # never run the test server as root
            dropped = {"user": self.uid, "group": self.gid, "extra_groups": []}
        self._stderr = open(self.root / "stderr.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
            **dropped,
        )
        deadline = time.monotonic() + 15
        ports = [p for p in (self.port, self.tls_port) if p]
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self.read_log()}")
            if all(_accepts(p) for p in ports):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen within 15 s:\n{self.read_log()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # The master is gone; make sure no login or imap child lingers on the ports.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def read_log(self) -> str:
        text = ""
        for name in ("dovecot.log", "stderr.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")
        return text

    def logout_stats(self, user: str, sessions: int) -> Counter[str]:
        """Totals of the logout counters (bytes out, bodies fetched) of ``user``'s sessions.

        Dovecot writes its log through a separate process: wait until ``sessions``
        sessions have logged out.
        """
        pattern = re.compile(rf"imap\({re.escape(user)}\).*Disconnected.*")
        deadline = time.monotonic() + 10
        while True:
            lines = [ln for ln in self.read_log().splitlines() if pattern.search(ln)]
            if len(lines) >= sessions or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        totals: Counter[str] = Counter(sessions=len(lines))
        for line in lines:
            for key, value in re.findall(r"(\w+)=(\d+)", line):
                totals[key] += int(value)
        return totals

    def failed_logins(self, user: str) -> int:
        return len(re.findall(rf"\({re.escape(user)},127\.0\.0\.1.*mismatch", self.read_log()))

    def client(self, user: str) -> IMAPClient:
        """A logged-in admin session for seeding and inspecting ``user``'s mailbox."""
        if self.tls:
            ctx = ssl.create_default_context(cafile=str(self.tls.cert))
            client = IMAPClient("127.0.0.1", self.tls_port, ssl_context=ctx, timeout=30)
        else:
            client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=30)
        client.login(user, PASSWORD)
        return client


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def append(
    client: IMAPClient, raws: Iterable[bytes], folder: str = "Sent", chunk: int = 250
) -> None:
    """APPEND messages in order (MULTIAPPEND batches: one round trip per ``chunk``)."""
    batch: list[bytes] = []
    for raw in raws:
        batch.append(raw)
        if len(batch) >= chunk:
            client.multiappend(folder, batch)
            batch = []
    if batch:
        client.multiappend(folder, batch)


def uids(client: IMAPClient, folder: str = "Sent") -> list[int]:
    client.select_folder(folder, readonly=True)
    return sorted(int(u) for u in client.search(["ALL"]))


def flags(client: IMAPClient, folder: str = "Sent") -> dict[int, Sequence[bytes]]:
    found = uids(client, folder)
    if not found:
        return {}
    return {uid: item[b"FLAGS"] for uid, item in client.fetch(found, ["FLAGS"]).items()}


class CommandLog:
    """Records each tagged IMAP command (one round trip) a session sends.

    imapclient sends through two paths: imaplib's ``_command`` and its own
    ``_raw_command`` (SEARCH, ENABLE, APPEND); both are wrapped.
    """

    def __init__(self) -> None:
        self.commands: list[str] = []

    def attach(self, client: IMAPClient) -> IMAPClient:
        imap = client._imap
        send = imap._command
        raw = client._raw_command

        def command(name: str, *args: Any) -> Any:
            self.commands.append(" ".join([name, *(_short(a) for a in args)]))
            return send(name, *args)

        def raw_command(name: bytes, args: Any, uid: bool = True) -> Any:
            parts = list(args) if isinstance(args, list | tuple) else [args]
            prefix = ["UID"] if uid and client.use_uid else []
            self.commands.append(" ".join([*prefix, *(_short(a) for a in [name, *parts])]))
            return raw(name, args, uid=uid)

        imap._command = command
        client._raw_command = raw_command
        return client

    def starting(self, prefix: str) -> list[str]:
        """Commands like ``UID FETCH 1,2 (BODY.PEEK[])`` that start with ``prefix``."""
        return [c for c in self.commands if c.startswith(prefix)]


def _short(arg: Any) -> str:
    text = arg.decode("ascii", "replace") if isinstance(arg, bytes) else str(arg)
    return text if len(text) < 400 else text[:400] + "..."
