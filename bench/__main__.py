"""``python -m bench [rd|speed|batch] ...`` from the repository root (what ``aecodec bench`` runs)."""

import sys

from bench.cli import main

sys.exit(main())
