"""Baseline: the PanzaMail reference extractor's rules, re-implemented from their description.

Written from ../shared/research/panza-reference.md section 1 (no code copied):
From must contain the address; messages without Date are skipped; every
text/plain part is decoded as UTF-8 and becomes a record; the Gmail forward
marker blanks the text; lines quoted with '>' are dropped; a DOTALL regex cuts
from the first line starting with "On"/"Am" through "wrote"/"schrieb" to the
end; fewer than 10 words or not English (langdetect) is discarded. Used only
to measure the baseline side by side; Panza never imports it.
"""

from __future__ import annotations

import json
import mailbox
import re
import sys
from email import policy
from email.parser import BytesParser

from langdetect import DetectorFactory, LangDetectException, detect

_REPLY = re.compile(r"^(On|Am)\b.*?(wrote|schrieb).*", re.DOTALL | re.MULTILINE)
_FORWARD = "---------- Forwarded message ---------"


def extract(mbox_path: str, address: str) -> list[dict[str, str]]:
    DetectorFactory.seed = 0  # the reference sets none; fixed here so runs compare
    parser = BytesParser(policy=policy.default)
    out: list[dict[str, str]] = []
    for key, raw in _messages(mbox_path):
        msg = parser.parsebytes(raw)
        if address not in str(msg.get("From", "")) or msg.get("Date") is None:
            continue
        for part in msg.walk():
            if part.get_content_type() != "text/plain":
                continue
            try:
                text = part.get_payload(decode=True).decode("utf-8")
            except (UnicodeDecodeError, AttributeError):
                continue
            if _FORWARD in text:
                continue
            main = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith(">"))
            main = _REPLY.sub("", main).strip()
            if len(main.split()) < 10:
                continue
            try:
                if detect(main) != "en":
                    continue
            except LangDetectException:
                continue
            out.append({"message_id": str(msg.get("Message-ID", key)), "text": main})
    return out


def _messages(path: str):  # type: ignore[no-untyped-def]
    box = mailbox.mbox(path)
    for key in box.iterkeys():
        yield key, box.get_bytes(key)


if __name__ == "__main__":
    for row in extract(sys.argv[1], sys.argv[2]):
        print(json.dumps(row))
