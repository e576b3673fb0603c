"""The real native host, relaying ``sync`` as well: a long request that streams progress.

The browser may not sync (the host's allowlist keeps it CLI- and tray-only), but a sync
against a real Dovecot is the streaming request these tests can run without a model.
Everything else is the host as the browser starts it.
"""

from __future__ import annotations

import sys

from panza.native_host import relay
from panza.native_host.__main__ import main

relay.RELAYED_METHODS = (*relay.RELAYED_METHODS, "sync")

if __name__ == "__main__":
    sys.exit(main())
