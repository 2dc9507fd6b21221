"""`python main.py` is the same as the installed `tpi-notes` command."""

import sys

from tpi_notes.cli import main

if __name__ == "__main__":
    sys.exit(main())
