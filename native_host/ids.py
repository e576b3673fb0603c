"""The fixed names that tie the extension, the native host and the installer together.

The extension, the host manifests and the host's caller check all use these
values; change them only together. Stdlib-only (the host imports this).
"""

from __future__ import annotations

# Native messaging host name: the manifest file is ``org.panza.host.json``.
HOST_NAME = "org.panza.host"

# Chrome derives an unpacked extension's id from the ``key`` in its manifest.json.
# This is the base64 DER (SubjectPublicKeyInfo) of Panza's RSA-2048 public key;
# put it in extension/chrome/manifest.json as "key". The private key is not needed
# (the Web Store assigns its own id to uploads, which must not carry a key).
CHROME_PUBLIC_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwMbhaLH17Lv8GjHLu4Xz3R6l8I4vKBFwFk4aNy8p"
    "0DxPiWSMcfCM/LokqG3WxO3/hztFwa1hGKRmNdBHqq9q3fH5ZGdRdoGci5jRwKG664jktso2srPldk9MYwQp"
    "WgkyyK7PCV5V68LURkYxeJWLvTz/kHF/Wgw7YSZfDafPIMGDf3Uev/wVeHDiVPKUoMOgHkqlsGmkuTR+Ssyj"
    "u/qRtdzQ/eFGHegycEYLZltoQ9wdYOnGK+bdzS6J95rpsO8W2VTMFJj0r8zFcHfXw2e/DMeymqxpsA5p+xyH"
    "hvY36n8Y/iDTiun1NShsdBlhA+/DeTlLDang7XosyWripl5JvwIDAQAB"
)
# == chrome_extension_id(CHROME_PUBLIC_KEY); a test pins the two together.
CHROME_EXTENSION_ID = "keepcaajjmmjnokhdiknjlphjkemagmh"

# Thunderbird/Firefox add-on id: browser_specific_settings.gecko.id in the manifest.
GECKO_ID = "panza@panza.org"

# Extra callers to accept (space-separated origins or add-on ids), e.g. a Web Store
# id; the installer writes it into the launcher when given ``--allow-id``.
EXTRA_CALLERS_ENV = "PANZA_ALLOWED_CALLERS"


def chrome_extension_id(public_key_b64: str) -> str:
    """The id Chrome gives an extension with this manifest ``key``: sha256, 32 hex digits a-p."""
    import base64  # here, not at the top: the host never needs them
    import hashlib

    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def chrome_origin(extension_id: str) -> str:
    """The caller string Chrome passes to the host and lists in ``allowed_origins``."""
    return f"chrome-extension://{extension_id}/"
