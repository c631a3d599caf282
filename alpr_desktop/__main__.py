"""``python -m alpr_desktop`` is the same as the ``alpr-desktop`` command."""

import sys

from alpr_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
