"""Entry point of ``python -m style_core``."""

import sys

from .cli import main

sys.exit(main())
