"""``python -m kratix_lab.cli``: the ``kratix-lab`` command."""

import sys

from kratix_lab.cli import main

sys.exit(main())
