"""`python -m nn` runs the command line (see nn.cli)."""

import sys

from nn.cli import main

sys.exit(main())
