"""``python -m evoskill``: the command line."""

import sys

from evoskill.cli import main

sys.exit(main())
