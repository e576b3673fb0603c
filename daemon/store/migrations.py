"""Numbered schema migrations. Append only: never edit a migration that has shipped."""

from __future__ import annotations

from typing import NamedTuple


class Migration(NamedTuple):
    number: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial",
        """
        CREATE TABLE emails (
            id               INTEGER PRIMARY KEY,
            account          TEXT NOT NULL,
            folder           TEXT NOT NULL DEFAULT '',
            provider_id      TEXT NOT NULL,
            message_id       TEXT,
            date             TEXT,
            subject          TEXT NOT NULL DEFAULT '',
            recipients       TEXT NOT NULL DEFAULT '[]',
            text             TEXT NOT NULL DEFAULT '',
            thread           TEXT NOT NULL DEFAULT '[]',
            thread_key       TEXT,
            language         TEXT,
            status           TEXT NOT NULL CHECK (status IN ('kept', 'discarded')),
            reason           TEXT,
            content_hash     TEXT NOT NULL,
            split            TEXT NOT NULL CHECK (split IN ('train', 'test')),
            instruction      TEXT,
            instruction_model TEXT,
            playback_error   TEXT,
            added_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE UNIQUE INDEX emails_message_id ON emails (message_id)
            WHERE message_id IS NOT NULL;
        CREATE UNIQUE INDEX emails_provider ON emails (account, provider_id);
        CREATE INDEX emails_status ON emails (status, split);
        CREATE INDEX emails_date ON emails (date);

        CREATE TABLE sync_cursors (
            account    TEXT NOT NULL,
            folder     TEXT NOT NULL,
            value      TEXT NOT NULL,
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            PRIMARY KEY (account, folder)
        );

        CREATE TABLE adapter_versions (
            version     INTEGER PRIMARY KEY,
            path        TEXT NOT NULL,
            parent      INTEGER REFERENCES adapter_versions (version),
            method      TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
            reason      TEXT,
            email_count INTEGER NOT NULL DEFAULT 0,
            cutoff_date TEXT,
            metrics     TEXT NOT NULL DEFAULT '{}',
            created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );

        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        CREATE TABLE drafts (
            id              TEXT PRIMARY KEY,
            created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            mode            TEXT NOT NULL CHECK (mode IN ('new', 'reply')),
            instruction     TEXT NOT NULL,
            subject         TEXT NOT NULL DEFAULT '',
            text            TEXT NOT NULL DEFAULT '',
            adapter_version INTEGER,
            retrieved       TEXT NOT NULL DEFAULT '[]',
            timings         TEXT NOT NULL DEFAULT '{}',
            sent_text       TEXT,
            feedback_at     TEXT
        );
        """,
    ),
    Migration(
        2,
        "account_status",
        """
        CREATE TABLE account_status (
            account      TEXT PRIMARY KEY,
            state        TEXT NOT NULL CHECK (state IN ('ok', 'auth_needed', 'error')),
            message      TEXT NOT NULL DEFAULT '',
            last_sync_at TEXT,
            last_new     INTEGER NOT NULL DEFAULT 0,
            updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        """,
    ),
    Migration(
        3,
        "draft_similarity",
        """
        ALTER TABLE drafts ADD COLUMN similarity REAL;
        """,
    ),
    Migration(
        4,
        "autodraft",
        """
        CREATE TABLE autodraft_messages (
            account          TEXT NOT NULL,
            provider_id      TEXT NOT NULL,
            folder           TEXT NOT NULL DEFAULT '',
            message_id       TEXT,
            thread_key       TEXT,
            thread_id        TEXT,
            sender           TEXT NOT NULL DEFAULT '',
            subject          TEXT NOT NULL DEFAULT '',
            received_at      TEXT,
            state            TEXT NOT NULL CHECK (state IN
                ('skipped', 'pending', 'intent', 'written', 'edited', 'sent', 'deleted')),
            reason           TEXT,
            alias            TEXT,
            original         BLOB,
            body             TEXT,
            draft_message_id TEXT,
            draft_raw        BLOB,
            draft_ref        TEXT,
            draft_id         TEXT REFERENCES drafts (id),
            adapter_version  INTEGER,
            written_at       TEXT,
            seen_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            PRIMARY KEY (account, provider_id)
        );
        CREATE INDEX autodraft_state ON autodraft_messages (state, account);
        CREATE INDEX autodraft_thread ON autodraft_messages (thread_key);
        CREATE INDEX emails_thread_key ON emails (thread_key);
        """,
    ),
)
