"""The caller check: which browser arguments name which extension, and who is let in."""

from __future__ import annotations

import pytest

from panza.native_host import caller
from panza.native_host.ids import (
    CHROME_EXTENSION_ID,
    CHROME_PUBLIC_KEY,
    GECKO_ID,
    chrome_extension_id,
)

ORIGIN = f"chrome-extension://{CHROME_EXTENSION_ID}/"
MANIFEST = "/home/ada/.mozilla/native-messaging-hosts/org.panza.host.json"


def test_the_fixed_chrome_id_is_the_hash_of_the_shipped_public_key() -> None:
    assert chrome_extension_id(CHROME_PUBLIC_KEY) == CHROME_EXTENSION_ID
    assert len(CHROME_EXTENSION_ID) == 32 and set(CHROME_EXTENSION_ID) <= set("abcdefghijklmnop")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["host", ORIGIN], ORIGIN),  # Chrome, Chromium, Brave, Edge
        (["host", ORIGIN.rstrip("/")], ORIGIN),
        (["host", ORIGIN, "--parent-window=0"], ORIGIN),  # Chrome on Windows
        (["host", MANIFEST, GECKO_ID], GECKO_ID),  # Firefox, Thunderbird
        (["host"], None),
        (["host", MANIFEST], None),
    ],
)
def test_caller_id_from_each_browsers_arguments(argv: list[str], expected: str | None) -> None:
    assert caller.caller_id(argv) == expected


def test_panza_extensions_are_let_in_and_others_refused() -> None:
    assert caller.refusal(["host", ORIGIN], {}) is None
    assert caller.refusal(["host", MANIFEST, GECKO_ID], {}) is None
    other = "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
    assert caller.refusal(["host", other], {}) == (
        f"org.panza.host serves only the Panza extension, not {other}"
    )
    assert "evil@example.org" in str(caller.refusal(["host", MANIFEST, "evil@example.org"], {}))
    assert "without a caller id" in str(caller.refusal(["host"], {}))


def test_extra_ids_from_the_launcher_environment() -> None:
    env = {"PANZA_ALLOWED_CALLERS": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb other@panza.org"}
    assert (
        caller.refusal(["host", "chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/"], env)
        is None
    )
    assert caller.refusal(["host", MANIFEST, "other@panza.org"], env) is None
    assert caller.refusal(["host", MANIFEST, "third@panza.org"], env) is not None
