"""The durable state: SQLite (WAL) with numbered migrations and one writer."""

from panza.daemon.store.db import Store
from panza.daemon.store.emails import InsertResult, counts, insert_emails, iter_emails
from panza.daemon.store.records import EmailRecord, ThreadItem

__all__ = [
    "EmailRecord",
    "InsertResult",
    "Store",
    "ThreadItem",
    "counts",
    "insert_emails",
    "iter_emails",
]
