"""Which extension started the host, and whether it may talk to Panza.

Chrome, Chromium, Brave and Edge pass the caller's origin
(``chrome-extension://<id>/``) as the first argument (Windows adds
``--parent-window=N``); Firefox and Thunderbird pass the manifest's path and
then the add-on id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from panza.native_host.ids import (
    CHROME_EXTENSION_ID,
    EXTRA_CALLERS_ENV,
    GECKO_ID,
    HOST_NAME,
    chrome_origin,
)

_CHROME_SCHEME = "chrome-extension://"


def caller_id(argv: Sequence[str]) -> str | None:
    """The caller the browser named in ``argv`` (program name first), if any."""
    args = [a for a in argv[1:] if not a.startswith("--parent-window")]
    if args and args[0].startswith(_CHROME_SCHEME):
        origin = args[0]
        return origin if origin.endswith("/") else origin + "/"
    if len(args) >= 2:
        return args[1]
    return None


def allowed_callers(env: Mapping[str, str]) -> frozenset[str]:
    """Panza's own extension ids plus any listed in ``PANZA_ALLOWED_CALLERS``."""
    extra = set()
    for item in env.get(EXTRA_CALLERS_ENV, "").split():
        if item.startswith(_CHROME_SCHEME) or "@" in item or "{" in item:
            extra.add(item if not item.startswith(_CHROME_SCHEME) else item.rstrip("/") + "/")
        else:  # a bare Chrome extension id
            extra.add(chrome_origin(item))
    return frozenset({chrome_origin(CHROME_EXTENSION_ID), GECKO_ID, *extra})


def refusal(argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    """Why this caller may not use the host, or None when it may."""
    caller = caller_id(argv)
    if caller is None:
        return (
            f"{HOST_NAME} is started by the browser for the Panza extension; it was started"
            " without a caller id"
        )
    if caller not in allowed_callers(env):
        return f"{HOST_NAME} serves only the Panza extension, not {caller}"
    return None
