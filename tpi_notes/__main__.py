"""`python -m tpi_notes` is the same as the `tpi-notes` command."""

import sys

from tpi_notes.cli import main

sys.exit(main())
