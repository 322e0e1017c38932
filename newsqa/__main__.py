"""``python -m newsqa``: the ``newsqa`` command."""

import sys

from newsqa.cli import main

sys.exit(main())
