"""``python -m tools.diagrams [--check] [--png]``: see the package docstring."""

import sys

from . import main

sys.exit(main())
