"""``python -m timebench`` is the same as the ``timebench`` command."""

import sys

from .cli import main

sys.exit(main())
