"""``python -m panza.daemon.cli`` is the ``panza`` command."""

import sys

from panza.daemon.cli import main

sys.exit(main())
