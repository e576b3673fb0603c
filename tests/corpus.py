"""Test mail for the learning tier: short emails with their instructions, and a store helper."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from panza.daemon.store import EmailRecord, Store, insert_emails
from panza.training.job_files import Record

# (subject, email text, instruction)
EMAILS: tuple[tuple[str, str, str], ...] = (
    (
        "Zoom link",
        "Hi all,\n\nhere is the Zoom link for Tuesday at 3pm: https://zoom.us/j/555.\n\n"
        "Best,\nDavid",
        "Send the Zoom link for Tuesday at 3pm.",
    ),
    (
        "Invoice",
        "Dear Anna,\n\nplease find the invoice for the GPU cluster attached.\n\nBest,\nDavid",
        "Send Anna the GPU cluster invoice.",
    ),
    (
        "Dinner on Friday?",
        "Hi Tom,\n\nshall we have dinner on Friday at seven? I can book a table.\n\nCheers,\nDavid",
        "Invite Tom to dinner on Friday at seven.",
    ),
    (
        "Re: Review",
        "Dear editor,\n\nI need one more week to finish the review.\n\nBest regards,\nDavid",
        "Ask the editor for one more week for the review.",
    ),
    (
        "Flight",
        "Hi Julia,\n\nI booked the flight to Paris for December 9th.\n\nDavid",
        "Tell Julia the Paris flight on December 9th is booked.",
    ),
    (
        "Re: Internship",
        "Dear Lena,\n\n"
        "thank you for applying. We would like to invite you to an interview.\n\nBest,\nDavid",
        "Invite Lena to an interview for the internship.",
    ),
    (
        "Maintenance",
        "Hi team,\n\nthe servers will be down on Sunday morning. Please save your jobs.\n\nDavid",
        "Warn the team that servers are down Sunday morning.",
    ),
    (
        "Budget",
        "Dear Peter,\n\ncould you approve the travel budget for three students?\n\nThanks,\nDavid",
        "Ask Peter to approve the travel budget for three students.",
    ),
    (
        "Defense date",
        "Dear Professor Weber,\n\n"
        "would June 14th work for the thesis defense?\n\nBest regards,\nDavid",
        "Propose June 14th for the thesis defense to Professor Weber.",
    ),
    (
        "Car repair",
        "Hello,\n\ncould I bring my car for new brakes on Monday morning?\n\nThank you,\nDavid",
        "Ask the garage about new brakes on Monday morning.",
    ),
    (
        "Re: Piano",
        "Hi Sophie,\n\nEmma would love to continue piano lessons on Wednesdays.\n\nDavid",
        "Tell Sophie that Emma continues piano on Wednesdays.",
    ),
    (
        "Slides",
        "Hi Marco,\n\nthe slides for the workshop are in the shared folder.\n\nBest,\nDavid",
        "Tell Marco where the workshop slides are.",
    ),
    (
        "Re: Talk",
        "Dear Stephan,\n\n"
        "thank you for the invitation. I cannot come to Paris, but I can give an online talk."
        "\n\nBest regards,\nDavid",
        "Decline the Paris talk and offer an online one.",
    ),
    (
        "Lunch",
        "Hi Grace,\n\nlunch on Thursday sounds great. See you at noon.\n\nDavid",
        "Accept Grace's lunch on Thursday at noon.",
    ),
    (
        "Report",
        "Dear Clara,\n\n"
        "the quarterly report is attached. Let me know if anything is missing.\n\nBest,\nDavid",
        "Send Clara the quarterly report.",
    ),
    (
        "Re: Keys",
        "Hi Ben,\n\nI left the office keys at the front desk.\n\nCheers,\nDavid",
        "Tell Ben the office keys are at the front desk.",
    ),
)

_serial = itertools.count(1)


def records(rows: tuple[tuple[str, str, str], ...] = EMAILS, start: int = 1) -> list[Record]:
    """The emails as training records with ids start, start+1, ..."""
    base = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        Record(str(start + i), instr, text, (base + timedelta(days=start + i)).isoformat())
        for i, (_, text, instr) in enumerate(rows)
    ]


def add_emails(
    store: Store, rows: tuple[tuple[str, str, str], ...] = EMAILS, *, test_every: int = 4
) -> list[int]:
    """Insert kept emails (every `test_every`-th goes to the test split); returns store ids."""
    base = datetime(2024, 1, 1, tzinfo=UTC)
    ids = []
    for subject, text, _ in rows:
        n = next(_serial)
        rec = EmailRecord(
            account="test",
            provider_id=f"p{n}",
            message_id=f"<m{n}@test>",
            date=base + timedelta(hours=n),
            subject=subject,
            recipients=("x@example.org",),
            text=text,
            thread=(),
            status="kept",
        )
        with store.write() as conn:
            insert_emails(conn, [rec], test_fraction=0.0)
            row = conn.execute("SELECT id FROM emails WHERE provider_id = ?", (rec.provider_id,))
            new_id = int(row.fetchone()[0])
            if len(ids) % test_every == test_every - 1:
                conn.execute("UPDATE emails SET split = 'test' WHERE id = ?", (new_id,))
        ids.append(new_id)
    return ids
