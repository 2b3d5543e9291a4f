"""`python -m kviz ...`: see kviz.cli."""

import sys

from kviz.cli import main

sys.exit(main())
