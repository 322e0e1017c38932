"""``python -m assistant``, as before the command had a package of its own: ``python -m newsqa``."""

import sys

from newsqa.cli import main

sys.exit(main())
