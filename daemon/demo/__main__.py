"""``python -m panza.daemon.demo`` (what ``make demo`` runs)."""

import sys

from panza.daemon.demo.run import main

sys.exit(main())
