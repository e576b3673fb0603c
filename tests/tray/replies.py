"""Recorded ``status`` replies, one per tray state (shape of `panza status --json`).

FRESH is verbatim from a just-initialised daemon; the others are a running daemon's
replies with the job, account and adapter fields each state turns on. NOW is the
moment they were taken (2026-03-10 12:00:00 UTC).
"""

from __future__ import annotations

import copy
from typing import Any

NOW = 1773144000.0

FRESH: dict[str, Any] = {
    "paused": False,
    "config_error": None,
    "uptime_s": 3.5,
    "accounts": [],
    "emails": {"kept": 0, "discarded": 0, "discarded_by_reason": {}},
    "index": {"loaded": False, "count": None},
    "adapter": None,
    "jobs": {},
    "running": [],
}

_SYNC_DONE = {
    "name": "sync",
    "running": False,
    "stage": "index",
    "done": 12,
    "total": 12,
    "started_at": 1773143690.2,
    "finished_at": 1773143700.9,
    "last_error": None,
    "last_result": {
        "accounts": [
            {
                "account": "work",
                "ok": True,
                "error": None,
                "auth_needed": False,
                "kept": 12,
                "discarded": 3,
                "duplicates": 0,
            }
        ]
    },
}

IDLE: dict[str, Any] = {
    "paused": False,
    "config_error": None,
    "uptime_s": 5021.3,
    "accounts": [
        {
            "name": "work",
            "kind": "imap",
            "state": "ok",
            "message": "",
            "last_sync_at": "2026-03-10T11:55:00.911Z",
        },
        {
            "name": "home",
            "kind": "gmail",
            "state": "ok",
            "message": "",
            "last_sync_at": "2026-03-10T10:40:12.004Z",
        },
    ],
    "emails": {
        "kept": 1234,
        "discarded": 310,
        "discarded_by_reason": {"auto_reply": 120, "too_short": 190},
    },
    "index": {"loaded": True, "count": 1234},
    "adapter": {
        "version": 3,
        "method": "rosa",
        "created_at": "2026-03-10T09:00:04.120Z",
        "email_count": 1200,
        # stored as TEXT, so the daemon sends it as a JSON string
        "metrics": '{"heldout": {"loss": 2.31, "perplexity": 10.07, "tokens": 5120,'
        ' "examples": 40}, "compared_heldout": {"loss": 2.409, "perplexity": 11.12,'
        ' "tokens": 5120, "examples": 40}, "compared_with": "v0002"}',
    },
    "jobs": {"sync": _SYNC_DONE},
    "running": [],
}


def _variant(**changes: Any) -> dict[str, Any]:
    reply = copy.deepcopy(IDLE)
    reply.update(changes)
    return reply


SYNCING = _variant(
    jobs={
        "sync": {
            **_SYNC_DONE,
            "running": True,
            "stage": "sync work",
            "done": 40,
            "total": 120,
            "started_at": 1773143990.0,
            "finished_at": 1773143700.9,
        }
    },
    running=["sync"],
)

TRAINING = _variant(
    jobs={
        "sync": _SYNC_DONE,
        "train": {
            "name": "train",
            "running": True,
            "stage": "training",
            "done": 42,
            "total": 100,
            "started_at": 1773143100.0,
            "finished_at": None,
            "last_error": None,
            "last_result": {},
        },
    },
    running=["train"],
)

PAUSED = _variant(paused=True)

AUTH_NEEDED = _variant()
AUTH_NEEDED["accounts"][0].update(
    state="auth_needed", message="[AUTHENTICATIONFAILED] Invalid credentials (Failure)"
)

CONFIG_ERROR = _variant(
    config_error="config.toml has 1 problem:\n  - cleaning.min_wrods: unknown key"
    " (did you mean 'min_words'?)"
)

IMPORTING = _variant(
    jobs={
        "import sent.mbox": {
            **_SYNC_DONE,
            "name": "import sent.mbox",
            "running": True,
            "stage": "import",
            "done": 1048576,
            "total": 4194304,
        }
    },
    running=["import sent.mbox"],
)
